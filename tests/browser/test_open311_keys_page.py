"""Open311 接口密钥 on a phone (390 px), in Chinese and in English: the 值班长 issues a key
with the keyboard-labelled form, reads it once, revokes it; nothing scrolls sideways and
axe-core (WCAG 2.1 A and AA) finds nothing on the page with a key shown and with the list."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD
from tests.browser.test_elder_mode import axe_violations
from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_supervisor_keeps_open311_keys_on_a_phone(browser, live_server, make_staff, language):
    from yiwang.hotline.actions.open311 import do_issue_open311_key, find_key

    make_staff("hotline_supervisor", "410800", "hotline", username="hx_keys")
    do_issue_open311_key(actor=None, name="焦作日报社 随手拍 移动客户端（安卓与苹果两个版本）")
    context = browser.new_context(
        base_url=live_server.url, locale=language, viewport=PHONE, is_mobile=True, has_touch=True
    )
    if language == "en":
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/login/")
        page.locator("input[name=username]").fill("hx_keys")
        page.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        page.goto("/hotline/open311/keys/")
        name = "Calling app" if language == "en" else "调用方名称"
        page.get_by_label(name).fill("市场监管局 食品安全投诉小程序")
        page.locator("#key-issue").click()
        page.wait_for_selector("#issued-key")
        key = page.locator("#issued-key").inner_text().strip()
        assert find_key(key) is not None
        for state in ("issued", "listed"):
            overflow = page.evaluate(OVERFLOW)
            assert overflow["scroll"] <= overflow["width"], (state, overflow)
            assert axe_violations(page) == [], state
            if state == "issued":
                page.goto("/hotline/open311/keys/")
                assert key not in page.content()
        revoke = "Revoke" if language == "en" else "吊销"
        with page.expect_navigation():
            page.get_by_role("button", name=revoke).first.click()  # the newest key: row one
        assert find_key(key) is None
        assert page.locator("#open311-keys").count() == 1
    finally:
        context.close()
