"""12345 in a real browser: an agent searches the knowledge base in traditional script
and cites an answer without leaving the page; a leader sees a hotspot with the trend
charts drawn and acknowledges it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_searches_knowledge_and_cites(page, login, shot, make_staff, city):
    from yiwang.hotline.demo_knowledge import seed_knowledge_demo
    from yiwang.hotline.models import KnowledgeEntry

    seed_knowledge_demo(None)
    make_staff("hotline_agent", "410800", "hotline", username="kbagent")
    login("kbagent")
    page.goto("/hotline/knowledge/")
    page.get_by_label("市民问题或关键词").fill("居住證怎麼辦理")  # typed, results follow
    first = page.locator("#kb-list > li").first
    first.get_by_role("heading", name="居住证怎么办理").wait_for()
    first.get_by_role("button", name="引用此答复").click()
    page.locator("#kb-list [role=status]").first.wait_for()
    assert "累计 1 次" in page.locator("#kb-list [role=status]").first.inner_text()
    assert page.url.endswith("/hotline/knowledge/")  # cited in place, no navigation
    shot("hotline-knowledge-search")
    assert KnowledgeEntry.objects.get(question="居住证怎么办理").hits == 1


def test_leader_sees_and_acknowledges_a_hotspot(page, login, shot, make_staff, city):
    from yiwang.hotline.actions.hotspots import do_raise_hotspot_alerts
    from yiwang.hotline.tests.synthetic import many

    now = timezone.now()
    many(
        12,
        "城关镇建设路自来水管爆裂，整条街停水",
        start=now - dt.timedelta(hours=4),
        step=dt.timedelta(minutes=15),
        division="410823001",
        category="010301",
    )
    many(
        20,
        "井盖丢失",
        start=now - dt.timedelta(days=20),
        step=dt.timedelta(days=1),
        division="410822001",
        category="010403",
    )
    make_staff("leader", "410800", "general_office", username="hsleader")
    # The burst of one matter; the daily 井盖丢失 of one township over 20 days is a
    # hotspot by content of its own.
    (alert,) = [a for a in do_raise_hotspot_alerts(now=now) if a.kind == "matter"]
    login("hsleader")
    page.goto("/hotline/hotspots/")
    row = page.locator(f"#hotspot-{alert.pk}")
    assert "武陟县城关镇" in row.inner_text() and "12" in row.inner_text()
    page.locator("#trend-category-chart canvas").wait_for()
    page.locator("#trend-division-chart canvas").wait_for()
    shot("hotline-hotspots")
    with page.expect_navigation():
        row.get_by_role("button", name="确认知悉").click()
    assert "已知悉" in page.locator(f"#hotspot-{alert.pk}").inner_text()


def test_a_hotspot_by_content_on_a_phone(page, login, shot, make_staff, city):
    """Ten neighbours' complaints about one restaurant, in their own words and under
    different matters: one alert naming the compound and listing the tickets, readable
    on a 390 px phone without sideways scrolling."""
    from yiwang.hotline.actions.hotspots import do_raise_hotspot_alerts
    from yiwang.hotline.tests.test_content_hotspots import _everyday, _neighbours

    now = timezone.now().replace(microsecond=0)
    agent = make_staff("hotline_agent", "410800", "hotline", username="hsagent")
    ten = _neighbours(now, agent)
    _everyday(now)
    make_staff("hotline_supervisor", "410800", "hotline", username="hssuper")
    (alert,) = [a for a in do_raise_hotspot_alerts(now=now) if a.kind == "content"]
    page.set_viewport_size({"width": 390, "height": 844})
    login("hssuper")
    page.goto("/hotline/hotspots/")
    row = page.locator(f"#hotspot-{alert.pk}")
    text = row.inner_text()
    assert "同一问题" in text and "丰泽园" in text
    assert sum(t.number in text for t in ten) >= 9
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("hotline-hotspot-content")
