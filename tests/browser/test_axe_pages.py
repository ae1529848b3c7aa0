"""The twenty most used pages pass axe-core (WCAG 2.1 A and AA) in Chinese and in English:
the citizen's portal, search, guide, form, cases and licence wallet, the public licence
check and 12345, sign-in and registration, and the staff workbench, inbox, case page,
12345 console and ticket, the data catalogue and the account centre — each opened by
the demo account that uses it."""

from __future__ import annotations

import pytest

from tests import demo_world
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_elder_mode import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

LOCALES = {"zh-hans": "zh-CN", "en": "en-GB"}


def _pages(world) -> dict[str, list[tuple[str, str]]]:
    """Who opens which page: {username or "": [(name, path)]}."""
    from yiwang.core.models import Case, User
    from yiwang.hotline.models import Ticket

    app = world.applications[0]
    licence = world.licences[0]
    clerk = world.staff
    staff_case = (
        Case.objects.filter(department=clerk.org_unit.department).order_by("pk").first()
        or world.cases[0]
    )
    ticket = Ticket.objects.order_by("pk").first()
    assert ticket is not None and User.objects.filter(username="jiaozuo_hotline_agent").exists()
    return {
        "": [
            ("home", "/"),
            ("search", "/services/items/?q=%E5%B1%85%E4%BD%8F%E8%AF%81"),
            ("guide", f"/services/items/{demo_world.INSTANT_ITEM}/"),
            ("verify", "/licences/verify/"),
            ("hotline-track", "/hotline/track/"),
            ("login", "/login/"),
            ("register", "/register/citizen/"),
        ],
        demo_world.CITIZEN: [
            ("apply", f"/services/items/{demo_world.SECOND_ITEM}/apply/"),
            ("my-cases", "/services/my/"),
            ("my-case", f"/services/my/{app.number}/"),
            ("wallet", "/licences/wallet/"),
            ("licence", f"/licences/wallet/{licence.pk}/"),
            ("hotline-submit", "/hotline/submit/"),
            ("account", "/account/"),
        ],
        demo_world.STAFF: [
            ("workbench", "/workbench/"),
            ("inbox", "/inbox/"),
            ("staff-case", f"/cases/{staff_case.pk}/"),
        ],
        "jiaozuo_hotline_agent": [
            ("hotline-console", "/hotline/console/"),
            ("ticket", f"/hotline/tickets/{ticket.pk}/"),
        ],
        "jiaozuo_data_steward": [("data-catalogue", "/data/catalogue/")],
    }


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.locator("#login-form input[name=username]").fill(username)
    page.locator("#login-form input[name=password]").fill(demo_world.PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form button[type=submit]").click()


@pytest.mark.parametrize("language", list(LOCALES))
def test_most_used_pages_have_no_axe_violations(browser, live_server, settings, tmp_path, language):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = demo_world.build()
    pages = _pages(world)
    assert sum(len(v) for v in pages.values()) == 20
    ARTIFACTS.mkdir(exist_ok=True)
    found: dict[str, list[str]] = {}
    for username, visits in pages.items():
        context = browser.new_context(
            base_url=live_server.url,
            locale=LOCALES[language],
            viewport={"width": 1280, "height": 900},
        )
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        page = context.new_page()
        page.set_default_timeout(15000)
        try:
            if username:
                _sign_in(page, username)
            for name, path in visits:
                response = page.goto(path)
                assert response is not None and response.status < 400, (name, path)
                lang = page.locator("html").get_attribute("lang") or ""
                assert lang.lower().startswith(language[:2]), (name, lang)
                violations = axe_violations(page)
                if violations:
                    found[name] = violations
                    page.screenshot(path=str(ARTIFACTS / f"axe-{language}-{name}.png"))
        finally:
            context.close()
    assert found == {}
