"""接入系统管理 in a real browser: the city's bureau administrator registers a relying
party on a 390 px phone, in Chinese and in English; the list and the page showing the
secret once do not scroll sideways and pass axe-core (WCAG 2.1 A and AA)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_elder_mode import axe_violations
from tests.browser.test_phone_width import OVERFLOW

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
PASSWORD = "Jz-test-pass-2026"
LONG = "https://gongjijin-zhongxin.jiaozuo.example/oidc/callback/with/a/rather/long/path"


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_bureau_registers_a_relying_party_on_a_phone(browser, live_server, make_staff, language):
    bureau = make_staff("bureau_admin", username="rp_bureau", password=PASSWORD)
    context = browser.new_context(
        base_url=live_server.url, locale=language, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/login/")
        page.locator("#id_username").fill(bureau.username)
        page.locator("#id_password").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        page.goto("/org/relying-parties/")
        layout = page.evaluate(OVERFLOW)
        assert layout["scroll"] <= layout["width"], layout
        assert axe_violations(page) == []
        page.locator("#id_name").fill("焦作市住房公积金管理中心")
        page.locator("#id_redirect_uris").fill(LONG)
        page.locator("#id_backchannel_logout_uri").fill(LONG + "/backchannel-logout")
        with page.expect_navigation():
            page.locator("#rp-register button[type=submit]").click()
        assert page.locator("#client-secret").inner_text()
        layout = page.evaluate(OVERFLOW)
        assert layout["scroll"] <= layout["width"], layout
        assert axe_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"relying-party-{language}.png"), full_page=True)
        page.goto("/org/relying-parties/")
        layout = page.evaluate(OVERFLOW)
        assert layout["scroll"] <= layout["width"], layout
    finally:
        context.close()
