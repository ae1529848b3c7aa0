"""Routing (派单规则) by category × place, urgency limits and escalation of overdue tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.core.actions.workflow import do_escalate_overdue
from yiwang.core.models import Division, Notification
from yiwang.hotline.models import Category
from yiwang.hotline.routing import route

pytestmark = pytest.mark.django_db


def test_default_route_is_the_line_in_the_county_else_the_city(city):
    property_ = Category.objects.get(code="010201")  # 物业管理 → housing
    township = Division.objects.get(code="410823001")
    assert route(property_, township) == city.department("410823", "housing")
    lamps = Category.objects.get(code="010403")  # 市政设施 → urban_management, city only
    assert route(lamps, township) == city.department("410800", "urban_management")
    assert route(None, township) is None


def test_a_rule_for_an_area_overrides_the_line_and_the_most_specific_wins(
    client, supervisor, agent, city
):
    client.force_login(supervisor)
    lamps = Category.objects.get(code="010403")
    litter = Category.objects.get(code="010502")
    top = lamps.parent.parent  # the 大类 both are in
    assert litter.parent.parent == top
    r = client.post(
        reverse("hotline:routing"),
        {"category": top.code, "division": "410800", "department": "410800-housing"},
    )
    assert r.status_code == 302
    client.post(
        reverse("hotline:routing"),
        {"category": "010403", "division": "410823", "department": "410823-housing"},
    )
    assert route(lamps, Division.objects.get(code="410823001")) == city.department(
        "410823", "housing"
    )
    assert route(lamps, Division.objects.get(code="410822")) == city.department(
        "410800", "housing"
    )  # the 大类 rule for the whole city
    assert route(litter, Division.objects.get(code="410802")) == city.department(
        "410800", "housing"
    )
    wrong = client.post(
        reverse("hotline:routing"),
        {"category": "010403", "division": "410822", "department": "410823-housing"},
    )
    assert wrong.status_code == 400 and "承办部门须位于该区划" in wrong.content.decode()
    page = client.get(reverse("hotline:routing")).content.decode()
    assert "武陟县住房和城乡建设局" in page and 'id="rule-form"' in page
    client.force_login(agent)
    assert 'id="rule-form"' not in client.get(reverse("hotline:routing")).content.decode()
    denied = client.post(
        reverse("hotline:routing"),
        {"category": "010403", "division": "410823", "department": "410823-market"},
    )
    assert denied.status_code == 403


def test_urgent_ticket_gets_a_short_limit_and_a_response_time(take):
    t = take("燃气管道漏气，味道很大", kind="help", category="010302", urgency="urgent")
    assert t.respond_by is not None and t.respond_by <= timezone.now() + dt.timedelta(hours=2)
    from yiwang.core import calendar as workdays

    due, _est = workdays.add_working_days(timezone.localdate(), 1)
    assert t.case.case_due == due


def test_overdue_ticket_is_escalated_to_the_supervisor_once(take, supervisor, wuzhi_market):
    t = take()
    later = t.case.case_due + dt.timedelta(days=3)
    assert do_escalate_overdue(today=later) >= 1
    notes = Notification.objects.filter(user=supervisor, title__contains=t.number)
    assert notes.exists()
    before = notes.count()
    do_escalate_overdue(today=later)
    assert notes.count() == before  # each rule fires once
    t.case.refresh_from_db()
    assert t.case.escalation_level >= 1


def test_a_rule_with_a_bad_value_shows_the_error_on_its_field_and_keeps_the_input(
    client, supervisor
):
    client.force_login(supervisor)
    missing = client.post(
        reverse("hotline:routing"),
        {"category": "", "division": "410823", "department": "410823-housing", "note": "试行"},
    )
    page = missing.content.decode()
    assert missing.status_code == 400
    assert (
        'id="error-summary"' in page
        and '<a href="#category">请选择诉求分类、区划和承办部门。' in page
    )
    assert 'value="试行"' in page
    assert '<option value="410823-housing" selected>' in page
    outside = client.post(
        reverse("hotline:routing"),
        {"category": "010403", "division": "410822", "department": "410823-housing"},
    )
    page = outside.content.decode()
    assert outside.status_code == 400
    assert '<a href="#department">承办部门须位于该区划或其上级区划。' in page
    assert 'id="department-error"' in page and '<option value="010403" selected>' in page
