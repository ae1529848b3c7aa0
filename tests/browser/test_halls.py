"""政务服务中心 and 亮证 in a real browser, on the demo city: a citizen books a 预约时段
(on a desktop and on a 390 px phone), finds it under 我的预约, arrives and takes a
排队号 with the people ahead and the estimated wait; the hall's clerk takes a number
for a walk-in visitor and calls the next numbers at the desk (叫号); a citizen shows a
wallet licence (亮证), reads its 8-digit code aloud, and the public verify page accepts
the code while it is valid and says 已过期 once its minute is over. Every hall page fits a
390 px phone without sideways scrolling, in normal and elder mode (长辈版).
Screenshots go to test-artifacts/halls/."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests import demo_world
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_elder_mode import axe_violations
from tests.browser.test_phone_width import ELDER_COOKIE, OVERFLOW, PHONE

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}
HALL = "hall-410800"  # the city's 政务服务中心 (焦作市政务服务中心)
VISIT_ITEM = "410800-GG-0201-01"  # 居住证申领: one visit to the city's hall
PHONE_ITEM = "410800-QR-0202-01"  # 户口迁入（夫妻投靠）: one visit too
CLERK = demo_world.STAFF  # the city's window clerk, who works the city's hall
SHOTS = ARTIFACTS / "halls"


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    SHOTS.mkdir(parents=True, exist_ok=True)
    return demo_world.build()


class Visitor:
    """One person's browser: signed in (or not), at a viewport, in normal or elder mode."""

    def __init__(self, browser, live_server, username: str | None, viewport=DESKTOP):
        phone = viewport["width"] < 600
        self.base = live_server.url
        self.context = browser.new_context(
            base_url=self.base,
            locale="zh-CN",
            viewport=viewport,
            is_mobile=phone,
            has_touch=phone,
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.name = username or "public"
        self.size = "phone" if phone else "desktop"
        if username:
            self.page.goto("/login/")
            self.page.get_by_label("用户名").fill(username)
            self.page.get_by_label("密码").fill(demo_world.PASSWORD)
            with self.page.expect_navigation():
                self.page.locator("#login-form button[type=submit]").click()
            assert "/login/" not in self.page.url, username

    def elder(self, on: bool) -> None:
        cookie = {"name": ELDER_COOKIE, "value": "1" if on else "0", "url": self.base}
        self.context.add_cookies([cookie])

    def open(self, url: str):
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        return self.page

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}-{self.size}.png"), full_page=True)

    def close(self) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None


def fits(page) -> dict:
    """The page's width facts: nothing may stick out past a phone's right edge."""
    found = page.evaluate(OVERFLOW)
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert sizes["scroll"] == sizes["client"], (page.url, found)
    return found


def book_first_slot(page, item: str) -> str:
    """From the item's guide: 预约到窗口办理, the first free slot of the day, 确认预约.
    Returns the slot's text as the tile shows it (``10:00—10:30``)."""
    page.goto(f"/services/items/{item}/")
    with page.expect_navigation():
        page.locator("#book-visit").click()
    tile = page.locator("label.slot:not(.full)").first
    when = re.search(r"\d\d:\d\d—\d\d:\d\d", tile.inner_text())
    assert when is not None
    assert re.search(r"余 \d+ 个", tile.inner_text())
    tile.click()
    assert tile.locator("input[type=radio]").is_checked()
    return when.group(0)


def test_book_arrive_take_a_number_and_the_clerk_calls_it(browser, live_server, world):
    from yiwang.services.models import Booking, QueueTicket

    citizen = Visitor(browser, live_server, demo_world.CITIZEN)
    clerk = Visitor(browser, live_server, CLERK)
    try:
        page = citizen.page
        when = book_first_slot(page, VISIT_ITEM)
        citizen.shot("book")
        with page.expect_navigation():
            page.locator("#book-go").click()
        assert page.url.endswith("/services/me/bookings/")
        booking = Booking.objects.get(citizen=world.citizen, item__code=VISIT_ITEM)
        card = page.locator(f"#booking-{booking.pk}")
        assert "居住证申领" in card.inner_text() and when in card.inner_text()
        assert "已预约" in card.inner_text()
        citizen.shot("mine")

        # A walk-in visitor is ahead: the clerk takes a number for them at the desk.
        clerk.open("/services/hall/")
        if "/services/hall/hall-" not in clerk.page.url:
            with clerk.page.expect_navigation():
                clerk.page.locator(f"a[href='/services/hall/{HALL}/']").click()
        with clerk.page.expect_navigation():
            clerk.page.locator("#take-go").click()
        walk_in = QueueTicket.objects.get(booking=None, hall__code=HALL)
        assert f"已取号：{walk_in.number}" in clerk.page.inner_text(".messages")

        page.clock.install()  # the ticket page's 30-second refresh, run on demand below
        with page.expect_navigation():
            card.get_by_role("button", name="我已到达，取号").click()
        mine = QueueTicket.objects.get(booking=booking)
        assert page.locator("#ticket-number").inner_text() == mine.number
        assert page.locator("#ahead").inner_text() == "1 人"
        assert re.fullmatch(r"约 \d+ 分钟", page.locator("#wait").inner_text())
        assert page.locator("#wait").inner_text() != "约 0 分钟"
        citizen.shot("ticket-waiting")

        clerk.open(f"/services/hall/{HALL}/")
        window = clerk.page.locator(f"#window-{mine.window}")
        assert walk_in.number in window.inner_text() and mine.number in window.inner_text()
        clerk.shot("desk")
        for number in (walk_in.number, mine.number):
            with clerk.page.expect_navigation():
                clerk.page.locator(f"#window-{mine.window}").get_by_role(
                    "button", name="叫下一号"
                ).click()
            assert f"请 {number} 号到窗口办理" in clerk.page.inner_text(".messages")
        clerk.shot("desk-called")

        # The waiting ticket fetches itself again every 30 seconds and shows the call in place.
        assert page.locator("#called").count() == 0
        page.clock.run_for(31_000)
        page.locator("#called").wait_for()
        assert "已叫到您的号" in page.locator("#called").inner_text()
        assert page.locator("#ticket-number").inner_text() == mine.number
        citizen.shot("ticket-called")
    finally:
        citizen.close()
        clerk.close()


def test_booking_on_a_phone_and_every_hall_page_fits_it(browser, live_server, world):
    """Book at 390 px; then every hall and 亮证 page, normal and elder, has no sideways
    scroll and no axe-core (WCAG 2.1 A/AA) violation."""
    from yiwang.services.models import Booking

    citizen = Visitor(browser, live_server, demo_world.CITIZEN, PHONE)
    clerk = Visitor(browser, live_server, CLERK, PHONE)
    try:
        page = citizen.page
        when = book_first_slot(page, PHONE_ITEM)
        fits(page)
        citizen.shot("book")
        with page.expect_navigation():
            page.locator("#book-go").click()
        booking = Booking.objects.get(citizen=world.citizen, item__code=PHONE_ITEM)
        assert when in page.locator(f"#booking-{booking.pk}").inner_text()
        with page.expect_navigation():
            page.locator(f"#booking-{booking.pk}").get_by_role(
                "button", name="我已到达，取号"
            ).click()
        ticket = page.url
        assert re.fullmatch(r"[A-Z]\d{3}", page.locator("#ticket-number").inner_text())

        licence = world.licences[0]
        citizen_pages = [
            ("book", f"/services/items/{VISIT_ITEM}/book/"),
            ("bookings", "/services/me/bookings/"),
            ("ticket", ticket),
            ("notices", "/services/me/notices/"),
            ("show", f"/licences/wallet/{licence.pk}/show/"),
            ("verify", "/licences/verify/"),
        ]
        clerk_pages = [("halls", "/services/hall/"), ("desk", f"/services/hall/{HALL}/")]
        found: dict[str, list[str]] = {}
        for who, visits in ((citizen, citizen_pages), (clerk, clerk_pages)):
            for elder in (False, True):
                who.elder(elder)
                for name, url in visits:
                    who.open(url)
                    body = who.page.locator("body").get_attribute("class") or ""
                    assert ("elder" in body) == elder, url
                    fits(who.page)
                    mode = "elder" if elder else "normal"
                    who.shot(f"{name}-{mode}")
                    if violations := axe_violations(who.page):
                        found[f"{name}-{mode}"] = violations
        assert found == {}
    finally:
        citizen.close()
        clerk.close()


def test_show_a_licence_and_verify_its_code(browser, live_server, world, clock):
    licence = world.licences[0]
    citizen = Visitor(browser, live_server, demo_world.CITIZEN)
    checker = Visitor(browser, live_server, None)
    try:
        page = citizen.open(f"/licences/wallet/{licence.pk}/")
        with page.expect_navigation():
            page.locator("#show-licence").click()
        assert page.locator("#show-qr").is_visible()
        shown = page.locator("#show-code").inner_text()
        assert re.fullmatch(r"\d{4} \d{4}", shown), shown
        left = page.locator("#show-left")
        first = int(re.search(r"\d+", left.inner_text()).group(0))
        assert 0 < first <= 60
        page.wait_for_function(
            "n => Number(/\\d+/.exec(document.getElementById('show-left').textContent)[0]) < n",
            arg=first,
        )
        citizen.shot("show")

        check = checker.open("/licences/verify/")
        check.get_by_label("亮证数字核验码（8 位，一分钟内有效）").fill(shown)
        with check.expect_navigation():
            check.locator("#show-go").click()
        verdict = check.locator("#verdict")
        assert verdict.get_attribute("data-result") == "valid"
        assert licence.number in verdict.inner_text()
        checker.shot("verify-valid")

        citizen.close()  # the holder puts the phone away: no fresh code is fetched
        clock.shift(dt.timedelta(seconds=61))
        check.get_by_label("亮证数字核验码（8 位，一分钟内有效）").fill(shown.replace(" ", ""))
        with check.expect_navigation():
            check.locator("#show-go").click()
        late = check.locator("#verdict")
        assert late.get_attribute("data-result") == "show_expired"
        assert "已过期，请让持证人刷新" in late.inner_text()
        assert licence.number not in late.inner_text()
        checker.shot("verify-expired")
    finally:
        citizen.close()
        checker.close()
