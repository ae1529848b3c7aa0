"""分类模型 page on a phone (390 px), in Chinese and in English: the 值班长 sees the
versions, the accuracy chart and tables from agents' labels, and rolls back; nothing
scrolls sideways and axe-core (WCAG 2.1 A and AA) finds nothing."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD
from tests.browser.test_elder_mode import axe_violations
from tests.browser.test_phone_width import OVERFLOW, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def taxonomy(city):
    from yiwang.hotline.tests.synthetic import install_taxonomy

    return install_taxonomy()


def _world(make_staff, taxonomy):
    """A supervisor, a promoted second version and one label."""
    from django.utils import timezone

    from yiwang.hotline.actions.classifier import ensure_shipped
    from yiwang.hotline.models import ClassificationLabel, ClassifierVersion, Ticket

    make_staff("hotline_supervisor", "410800", "hotline", username="hx_clf")
    agent = make_staff("hotline_agent", "410800", "hotline")
    ensure_shipped()
    ClassifierVersion.objects.filter(number=1).update(status="retired")
    metrics = {
        "heldout": 40,
        "candidate": {
            "leaf": {"macro_f1": 0.81},
            "level1": {
                "macro_f1": 0.9,
                "per_class": {"01": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 20}},
            },
        },
        "active_number": 1,
        "active": {"leaf": {"macro_f1": 0.7}, "level1": {"macro_f1": 0.8}},
    }
    ClassifierVersion.objects.create(
        number=2, status="active", metrics=metrics, note="scheduled", promoted_at=timezone.now()
    )
    from yiwang.hotline.actions.tickets import do_take_ticket

    ticket = do_take_ticket(
        actor=agent,
        channel="phone",
        kind="complaint",
        content="你好，我想反映一个情况，麻烦尽快处理一下",
        address="武陟县城关镇建设路 12 号",
        contact_name="李女士",
        contact_phone="13912345678",
    )
    leaf = taxonomy[0]
    ClassificationLabel.objects.create(
        ticket=Ticket.objects.get(pk=ticket.pk),
        leaf=leaf,
        predicted=ticket.predicted_category,
        model_version=1,
        verdict="corrected",
        by=agent,
        at=timezone.now(),
    )


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_supervisor_reads_the_classifier_page_on_a_phone(
    browser, live_server, make_staff, taxonomy, language
):
    _world(make_staff, taxonomy)
    context = browser.new_context(
        base_url=live_server.url, locale=language, viewport=PHONE, is_mobile=True, has_touch=True
    )
    if language == "en":
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto("/login/")
        page.locator("input[name=username]").fill("hx_clf")
        page.locator("input[name=password]").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        page.goto("/hotline/classifier/")
        page.wait_for_selector("#accuracy-chart canvas")
        assert page.locator("#versions tbody tr").count() == 2
        overflow = page.evaluate(OVERFLOW)
        assert overflow["scroll"] <= overflow["width"], overflow
        assert axe_violations(page) == []
        with page.expect_navigation():
            page.locator("#rollback").click()
        assert "v1" in page.locator("#active-version").inner_text()
    finally:
        context.close()
