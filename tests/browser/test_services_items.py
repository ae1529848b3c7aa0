"""The service hall as a person uses it: search a fragment from the keyboard, open the
办事指南, see the 免证可办 marks and time limits; a department admin's refused save."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_items(city, licence_types):
    from yiwang.services.demo import seed_services_demo

    seed_services_demo()


def test_search_and_guide(page, shot, demo_items):
    page.goto("/services/")
    page.get_by_role("searchbox", name="搜索事项").fill("食品经营")
    page.keyboard.press("Enter")
    page.wait_for_url("**/services/items/?q=*")
    assert "找到" in page.locator("#result-count").inner_text()
    shot("services-search")
    page.get_by_role("link", name="食品经营许可（新办）").first.click()
    page.wait_for_selector("#guide")
    materials = page.locator("#materials").inner_text()
    assert "可用电子证照免提交（营业执照）" in materials
    assert "核验免提交" in materials
    assert page.locator("#promised-days").inner_text() == "5"
    assert (
        page.get_by_role("link", name="在线申请")
        .get_attribute("href")
        .endswith("/services/items/410800-XK-0101-01/apply/")
    )
    shot("services-guide")


def test_admin_refused_promised_over_statutory(page, shot, login, make_staff, demo_items):
    admin = make_staff("dept_admin", "410800", "civil_affairs")
    login(admin.username)
    page.goto("/services/manage/items/410800-JF-0302-01/edit/")
    page.get_by_label("承诺办结时限（工作日）").fill("45")
    page.get_by_role("button", name="保存").click()
    alert = page.locator("#form-errors")
    assert "承诺办结时限（45 个工作日）不能超过法定办结时限（30 个工作日）。" in alert.inner_text()
    assert page.get_by_label("事项编码", exact=True).input_value() == "410800-JF-0302-01"
    assert page.get_by_label("承诺办结时限（工作日）").input_value() == "45"
    shot("services-item-refused")
    from yiwang.services.models import ServiceItem

    assert ServiceItem.objects.get(code="410800-JF-0302-01").promised_days == 20
