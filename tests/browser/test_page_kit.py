"""The page kit in a real browser: on a 390 px phone a citizen submits the online
request form (网上诉求) without its content; the error summary (错误汇总) is at the top,
has the focus, and its link takes the citizen to the field, which says what is wrong.
The pages built on the kit do not scroll sideways on a phone, in elder mode, or on a
desktop."""

from __future__ import annotations

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Jz-test-pass-2026"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def open_context(browser, live_server, viewport, **extra):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=viewport, **extra
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form button[type=submit]").click()


def scrolls_sideways(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def test_error_summary_is_focused_and_links_to_the_field_on_a_phone(
    browser, live_server, citizen, city
):
    context, page = open_context(browser, live_server, PHONE, is_mobile=True, has_touch=True)
    try:
        sign_in(page, citizen.username)
        page.goto("/hotline/submit/")
        assert not scrolls_sideways(page)
        page.get_by_label("事发地址").fill("武陟县城关镇")
        with page.expect_navigation():
            page.locator("#submit-button").click()

        summary = page.get_by_role("alert")
        assert summary.get_attribute("id") == "error-summary"
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert "诉求未提交" in summary.inner_text()
        # The summary comes before the heading, at the top of the page.
        assert page.evaluate(
            "document.getElementById('error-summary').compareDocumentPosition("
            "document.querySelector('h1')) & Node.DOCUMENT_POSITION_FOLLOWING"
        )
        assert page.title().startswith("错误：")
        assert not scrolls_sideways(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "kit-error-summary-phone.png"), full_page=True)

        link = summary.get_by_role("link", name="诉求内容不能为空。")
        link.click()
        assert page.evaluate("document.activeElement.id") == "content"
        content = page.get_by_label("诉求内容")
        assert content.get_attribute("aria-invalid") == "true"
        described = content.get_attribute("aria-describedby").split()
        assert "content-error" in described and "content-hint" in described
        assert "诉求内容不能为空。" in page.locator("#content-error").inner_text()
        assert page.get_by_label("事发地址").input_value() == "武陟县城关镇"  # input kept

        content.fill("武陟县城关镇饭店后厨卫生差")
        with page.expect_navigation():
            page.locator("#submit-button").click()
        assert "已提交" in page.locator(".messages").inner_text()
        assert not scrolls_sideways(page)

        page.goto("/hotline/my/")
        assert page.locator("#my-tickets tbody tr").count() == 1
        assert not scrolls_sideways(page)
        page.goto("/messages/")
        assert not scrolls_sideways(page)
    finally:
        context.close()


def test_kit_pages_fit_in_elder_mode_and_on_a_desktop(browser, live_server, citizen, city):
    for viewport in (PHONE, DESKTOP):
        context, page = open_context(browser, live_server, viewport)
        try:
            sign_in(page, citizen.username)
            page.goto("/hotline/submit/")
            with page.expect_navigation():
                page.locator("#elder-toggle").click()
            assert "elder" in (page.locator("body").get_attribute("class") or "")
            for url in ("/hotline/submit/", "/hotline/my/", "/messages/"):
                page.goto(url)
                assert not scrolls_sideways(page), (viewport, url)
            page.goto("/hotline/submit/")
            with page.expect_navigation():
                page.locator("#submit-button").click()
            assert page.evaluate("document.activeElement.id") == "error-summary"
            assert not scrolls_sideways(page), (viewport, "errors")
        finally:
            context.close()
