"""长辈版 in a real browser on a phone: the elder home has large tiles for the eight most
used services and a one-tap 12345 call (人工帮办); the 朗读本页 button reads the page's
main text through the browser's speech synthesis (stubbed here), and is hidden where the
browser has none; axe-core finds no accessibility violations on the elder pages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import demo_world
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# A speechSynthesis that records what it was asked to say.
SPEECH_STUB = """
window.__spoken = [];
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  speaking: false,
  speak: function (u) { window.__spoken.push(u.text); },
  cancel: function () {},
}});
"""
NO_SPEECH = """
delete window.speechSynthesis;
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: undefined});
"""


def elder_page(browser, live_server, script: str | None = None):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    )
    context.add_cookies([{"name": "yiwang_elder", "value": "1", "url": live_server.url}])
    if script:
        context.add_init_script(script)
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def axe_violations(page) -> list[str]:
    """axe-core's violations on the open page (WCAG 2 A and AA rules)."""
    if not AXE.exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("node_modules/axe-core is missing in CI: run npm ci")
        pytest.skip("axe-core is not installed (npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))"
    )
    return list(result)


def test_elder_home_tiles_call_and_read_aloud(browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = demo_world.build()
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = elder_page(browser, live_server, SPEECH_STUB)
    try:
        page.goto("/")
        tiles = page.locator("#elder-services .elder-tiles a")
        assert tiles.count() == 8
        labels = tiles.all_inner_texts()
        assert {"社保卡", "我的证照", "反映问题"} <= set(labels)
        for i in range(tiles.count()):  # large targets, two to a row on a phone
            box = tiles.nth(i).bounding_box()
            assert box is not None and box["height"] >= 80 and box["width"] >= 150
        call = page.locator("#elder-call")
        assert call.get_attribute("href") == "tel:12345" and "12345" in call.inner_text()
        assert page.locator("#call-help").get_attribute("href") == "tel:12345"
        assert not page.locator(".lead").first.is_visible()  # fewer words
        page.screenshot(path=str(ARTIFACTS / "elder-home-phone.png"), full_page=True)

        button = page.locator("#read-aloud")
        assert button.is_visible()
        button.click()
        spoken = page.evaluate("window.__spoken")
        assert len(spoken) == 1 and "焦作一网" in spoken[0] and "社保卡" in spoken[0]

        for url in ("/services/items/?q=社会保障卡", "/licences/verify/"):
            page.goto(url)
            assert page.locator("#read-aloud").is_visible(), url
            heading = page.locator("h1").first.inner_text()
            page.locator("#read-aloud").click()
            assert heading in page.evaluate("window.__spoken")[-1], url

        page.goto("/login/")
        page.get_by_label("用户名").fill(demo_world.CITIZEN)
        page.get_by_label("密码").fill(demo_world.PASSWORD)
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        assert page.locator("#elder-services .elder-tiles a").count() == 8
        page.screenshot(path=str(ARTIFACTS / "elder-citizen-home-phone.png"), full_page=True)
        with page.expect_navigation():
            page.get_by_role("link", name="我的证照").first.click()
        assert page.url.endswith("/licences/wallet/")
        assert len(world.licences) == page.locator("#wallet tbody tr").count()
    finally:
        context.close()


def test_read_aloud_is_hidden_without_speech_synthesis(browser, live_server, city):
    context, page = elder_page(browser, live_server, NO_SPEECH)
    try:
        page.goto("/")
        assert page.locator("#read-aloud").count() == 1
        assert not page.locator("#read-aloud").is_visible()
    finally:
        context.close()


def test_elder_pages_have_no_axe_violations(browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = demo_world.build()
    context, page = elder_page(browser, live_server, SPEECH_STUB)
    found = {}
    try:
        for url in ("/", "/login/", "/services/", "/licences/verify/", "/hotline/submit/"):
            page.goto(url)
            if violations := axe_violations(page):
                found[url] = violations
        page.goto("/login/")
        page.get_by_label("用户名").fill(demo_world.CITIZEN)
        page.get_by_label("密码").fill(demo_world.PASSWORD)
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        urls = ["/me/", "/licences/wallet/", "/services/my/", "/messages/", "/account/"]
        urls += [f"/services/my/{a.number}/" for a in world.applications]
        urls += [f"/licences/wallet/{world.licences[0].pk}/"]
        for url in urls:
            page.goto(url)
            if violations := axe_violations(page):
                found[url] = violations
        # The menu opened on a phone is checked too.
        page.locator("#menu-toggle").click()
        assert page.locator("#top-menu").is_visible()
        if violations := axe_violations(page):
            found["menu"] = violations
    finally:
        context.close()
    assert not found, "\n".join(f"{url}: {v}" for url, v in found.items())
