"""诉求分类维护 on a phone (390 px), in Chinese and in English: the city's 12345 值班长 searches
the tree by a keyword, opens the leaf, changes its keywords with the labelled form, sees a
refusal for an empty name, and publishes a version; nothing scrolls sideways and axe-core
(WCAG 2.1 A and AA) finds nothing on the tree, the form with its error and the versions."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD
from tests.browser.test_elder_mode import axe_violations
from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def _checked(page, state: str) -> None:
    overflow = page.evaluate(OVERFLOW)
    assert overflow["scroll"] <= overflow["width"], (state, overflow)
    assert axe_violations(page) == [], state


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_supervisor_edits_a_leaf_and_publishes_on_a_phone(
    browser, live_server, make_staff, language
):
    from yiwang.hotline.models import Category, TaxonomyVersion

    make_staff("hotline_supervisor", "410800", "hotline", username="hx_tax")
    leaf = Category.objects.filter(code__regex=r"^\d{6}$").order_by("code").first()
    english = language == "en"
    context = browser.new_context(
        base_url=live_server.url, locale=language, viewport=PHONE, is_mobile=True, has_touch=True
    )
    if english:
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/login/")
        page.locator("input[name=username]").fill("hx_tax")
        page.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        page.goto("/hotline/taxonomy/")
        page.get_by_label("Find by name or keyword" if english else "按名称或关键词查找").fill(
            leaf.keywords[-1]
        )
        with page.expect_navigation():
            page.locator("#taxonomy-search button[type=submit]").click()
        assert page.locator(f"#leaf-{leaf.code}").is_visible()
        _checked(page, "tree")
        with page.expect_navigation():
            page.locator(f"#leaf-{leaf.code} a").click()
        page.locator("#name").fill("")
        with page.expect_navigation():
            page.locator("#leaf-save").click()
        assert page.locator("#name-error").is_visible()
        _checked(page, "form with an error")
        page.locator("#name").fill(leaf.name)
        page.locator("#keywords").fill("路灯不亮、路灯坏了 路灯闪烁")
        with page.expect_navigation():
            page.locator("#leaf-save").click()
        leaf.refresh_from_db()
        assert leaf.keywords == ["路灯不亮", "路灯坏了", "路灯闪烁"]
        page.goto("/hotline/taxonomy/versions/")
        page.locator("#note").fill("调整路灯关键词")
        with page.expect_navigation():
            page.locator("#publish").click()
        assert page.locator("#version-2").is_visible()
        assert TaxonomyVersion.objects.filter(number=2, note="调整路灯关键词").exists()
        _checked(page, "versions")
    finally:
        context.close()
