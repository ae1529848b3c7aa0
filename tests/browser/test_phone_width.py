"""No page scrolls sideways on a 390 px phone, in normal or elder mode (长辈版): every
public page, every page a demo citizen meets with their own cases and licences, and the
main pages of demo staff, with the 政务服务中心 pages (预约, 我的预约, 排队号, the hall's
desk) and 亮证. Screenshots of each go to test-artifacts/phone/."""

from __future__ import annotations

import re

import pytest

from tests import demo_world
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
ELDER_COOKIE = "yiwang_elder"

# What overflows, for the failure message: the widest elements past the right edge.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1) {
      out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
               `${el.className && typeof el.className === "string" ? "." + el.className : ""}` +
               ` right=${Math.round(box.right)}`);
    }
  }
  return {scroll: document.documentElement.scrollWidth, width: width, culprits: out.slice(0, 5)};
}"""

PUBLIC = [
    "/",
    "/login/",
    "/register/citizen/",
    "/register/enterprise/",
    "/login/reset/",
    "/services/",
    "/services/items/",
    "/services/bundles/",
    "/licences/verify/",
    "/hotline/track/",
    "/hotline/warnings/public/",
    "/opendata/",
]
STAFF = {
    "jiaozuo_window_clerk": [
        "/workbench/",
        "/inbox/",
        "/messages/",
        "/account/",
        "/services/hall/",  # 预约取号: the halls the clerk works
        "/services/hall/hall-410800/",  # the city hall's desk: queue, 叫号, bookings
    ],
    "jiaozuo_police_window_clerk": ["/services/staff/", "/services/window/"],
    "jiaozuo_police_approver": ["/licences/", "/licences/issued/"],
    "jiaozuo_hotline_agent": ["/hotline/", "/hotline/console/"],
}


VISIT_ITEM = "410800-GG-0201-01"  # 居住证申领: one visit to the city's 政务服务中心


def take_a_number(world):
    """The demo citizen books today's first free 预约时段 for a visit item at the city's
    hall and, arrived, takes a 排队号: so 我的预约 and the ticket page have something on
    them."""
    from yiwang.services import halls
    from yiwang.services.actions.halls import do_book, do_take_ticket
    from yiwang.services.models import ServiceItem

    item = ServiceItem.objects.get(code=VISIT_ITEM)
    hall = halls.hall_for_item(item)
    assert hall is not None
    slot = next(s for s in halls.availability(hall) if s.free)
    booking = do_book(actor=world.citizen, item=item, hall=hall, day=slot.day, start=slot.start)
    return do_take_ticket(actor=world.citizen, hall=hall, booking=booking)


def citizen_pages(world, ticket=None) -> list[str]:
    """Every page the demo citizen reaches from their own space."""
    pages = [
        "/me/",
        "/account/",
        "/messages/",
        "/services/my/",
        "/services/ratings/mine/",
        "/licences/wallet/",
        "/hotline/my/",
        "/hotline/submit/",
        "/data/my-data/",
    ]
    pages += [f"/services/my/{a.number}/" for a in world.applications]
    pages += [f"/services/my/{world.applications[0].number}/rate/"]
    pages += [f"/services/items/{demo_world.INSTANT_ITEM}/"]
    pages += [f"/services/items/{demo_world.INSTANT_ITEM}/apply/"]
    pages += [f"/licences/wallet/{lic.pk}/" for lic in world.licences]
    pages += [f"/licences/wallet/{lic.pk}/show/" for lic in world.licences]  # 亮证
    pages += [f"/cases/{case.pk}/" for case in world.cases]
    # 政务服务中心: 预约, 我的预约, the 排队号 and 短信通知.
    pages += [f"/services/items/{VISIT_ITEM}/book/", "/services/me/bookings/"]
    pages += [f"/services/me/tickets/{ticket.pk}/"] if ticket is not None else []
    pages += ["/services/me/notices/"]
    return pages


def staff_pages(world) -> dict[str, list[str]]:
    pages = {user: list(urls) for user, urls in STAFF.items()}
    permit = world.applications[0]
    pages["jiaozuo_police_window_clerk"].append(f"/services/staff/{permit.number}/")
    pages["jiaozuo_window_clerk"] += [f"/cases/{case.pk}/" for case in world.cases[:1]]
    return pages


def walk(browser, live_server, username: str | None, urls: list[str]) -> list[str]:
    """Open each page at 390 px in normal and then elder mode; the pages that overflow."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    wide = []
    try:
        if username:
            page.goto("/login/")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(demo_world.PASSWORD)
            with page.expect_navigation():
                page.locator("#login-form button[type=submit]").click()
            assert "/login/" not in page.url, username
        for mode in ("normal", "elder"):
            context.add_cookies(
                [
                    {
                        "name": ELDER_COOKIE,
                        "value": "1" if mode == "elder" else "0",
                        "url": live_server.url,
                    }
                ]
            )
            for url in urls:
                response = page.goto(url)
                assert response is not None and response.status == 200, (username, url)
                assert ("elder" in (page.locator("body").get_attribute("class") or "")) == (
                    mode == "elder"
                )
                found = page.evaluate(OVERFLOW)
                name = re.sub(r"[^a-z0-9]+", "-", f"{username or 'public'}{url}").strip("-")
                page.screenshot(
                    path=str(ARTIFACTS / "phone" / f"{name}-{mode}.png"), full_page=True
                )
                if found["scroll"] > PHONE["width"]:
                    wide.append(f"{mode} {username or 'public'} {url}: {found}")
    finally:
        context.close()
    return wide


def test_no_page_scrolls_sideways_on_a_phone(browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (ARTIFACTS / "phone").mkdir(parents=True, exist_ok=True)
    world = demo_world.build()
    wide = walk(browser, live_server, None, PUBLIC)
    ticket = take_a_number(world)
    wide += walk(browser, live_server, demo_world.CITIZEN, citizen_pages(world, ticket))
    for username, urls in staff_pages(world).items():
        wide += walk(browser, live_server, username, urls)
    assert not wide, "\n".join(wide)
