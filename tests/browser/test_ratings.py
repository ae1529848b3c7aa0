"""好差评 in a real browser: a window clerk issues a visit ticket with its QR code; the
visitor, in elder mode and by keyboard, rates it 非常不满意; the department admin calls
back and schedules the fix; the public statistics draw their chart."""

# ruff: noqa: F811 (fixtures imported from ratings_setup are parameters here)
import re

import pytest

from yiwang.services.tests.conftest import make_item  # noqa: F401
from yiwang.services.tests.ratings_setup import item, people  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_visit_rating_rectification_and_public_stats(page, shot, login, people, item):
    login(people.clerk.username)
    page.goto("/services/visits/new/")
    page.get_by_label("办理事项").select_option(item.code)
    with page.expect_navigation():
        page.locator("#visit-issue").click()
    number = page.locator("#ticket-number").inner_text().strip()
    assert re.fullmatch(r"410823-FW-\d{8}-\d{6}", number)
    assert page.get_by_alt_text(f"窗口服务 {number} 的评价二维码").is_visible()
    link = page.locator("#ticket-link").inner_text().strip()
    shot("ratings-visit-ticket")

    # The visitor scans the code: no account, elder mode, keyboard only.
    page.context.clear_cookies()
    page.goto(link[link.index("/services/") :])
    page.locator("#elder-toggle").click()
    page.wait_for_load_state()
    assert "elder" in (page.locator("body").get_attribute("class") or "")
    page.get_by_label("想说的话（选填）").fill("排队一个小时没人管")
    worst = page.get_by_role("button", name=re.compile("非常不满意"))
    box = worst.bounding_box()
    assert box is not None and box["height"] >= 80  # large enough for elder hands
    shot("ratings-visit-elder")
    worst.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "感谢您的评价" in page.content()
    assert page.locator("#rated-level").inner_text() == "非常不满意"
    shot("ratings-visit-done")

    # The department admin calls back and schedules the fix.
    login(people.admin.username)
    page.goto("/services/rectifications/")
    row = page.locator(".rectification-row").first
    assert "排队一个小时没人管" in row.inner_text()
    with page.expect_navigation():
        row.get_by_role("link").first.click()
    assert page.locator("#rectification-state").inner_text() == "回访核实"
    page.get_by_label("回访并限期整改").check()
    page.get_by_label(re.compile("^意见")).fill("已电话回访致歉，限期整改排队引导")
    with page.expect_navigation():
        page.locator("#act-go").click()
    assert page.locator("#rectification-state").inner_text() == "限期整改"
    shot("ratings-rectification")

    page.context.clear_cookies()
    page.goto("/services/ratings/")
    page.locator("#ratings-chart canvas").first.wait_for()
    assert page.locator("#total-count").inner_text() == "1"
    assert "王窗口" not in page.content()
    shot("ratings-public-stats")
