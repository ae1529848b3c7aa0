"""The ticket loop on the workflow engine: 受理 → 派单 → 退单/改派 → 签收 → 办理 → 延期 →
答复 → 办结 → 回访 (不满意重办) → 评价, with deadlines in working days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from yiwang.core.models import AuditEntry, Notification
from yiwang.hotline.actions import handling as h
from yiwang.hotline.models import Callback, Ticket, TicketReturn

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def state(ticket: Ticket) -> str:
    ticket.flow.refresh_from_db()
    return ticket.flow.state


def test_intake_routes_to_county_department_and_encrypts_contact(take, city):
    t = take()
    assert t.number == t.case.number and not t.number.startswith("tmp-")
    assert t.division.code.startswith("410823")
    assert t.department == city.department("410823", "market")
    assert state(t) == "dispatched"  # an agent's category is confident: dispatched at once
    assert t.case.department == city.department("410823", "market")
    with connection.cursor() as cur:
        cur.execute("SELECT contact_phone FROM hotline_ticket WHERE id = %s", [t.pk])
        raw = cur.fetchone()[0]
    assert raw.startswith("sm4:") and "13912345678" not in raw
    assert Ticket.objects.get(pk=t.pk).contact_phone == "13912345678"
    assert AuditEntry.objects.filter(action="hotline.ticket.take", object_id=str(t.pk)).exists()


def test_whole_loop_with_return_extension_and_reopen(
    take, agent, supervisor, wuzhi_market, wuzhi_housing, city
):
    t = take("武陟县城关镇小区物业把楼道堵了", category="060101")  # wrongly sent to 市场监管
    assert state(t) == "dispatched" and t.department.line == "market"
    assert Notification.objects.filter(user=wuzhi_market, title__contains=t.number).exists()
    with pytest.raises(PermissionDenied):
        h.do_sign(actor=wuzhi_housing, ticket=t)  # not their department's ticket
    with pytest.raises(ValidationError):
        h.do_return(actor=wuzhi_market, ticket=t, reason="  ")  # reasons required
    h.do_return(actor=wuzhi_market, ticket=t, reason="属于物业管理，应由住建部门办理")
    assert state(t) == "returned"
    with pytest.raises(ValidationError) as same:
        h.do_dispatch(actor=agent, ticket=t, department=city.department("410823", "market"))
    assert "另一个承办部门" in str(same.value)
    h.do_dispatch(actor=agent, ticket=t, category="010201")  # 物业管理 → 住建局 by routing
    t.refresh_from_db()
    assert t.department == city.department("410823", "housing") and state(t) == "dispatched"
    assert TicketReturn.objects.get(ticket=t).accepted is True

    h.do_sign(actor=wuzhi_housing, ticket=t)
    assert state(t) == "handling" and t.case.assignee == wuzhi_housing
    due_before = t.case.case_due
    ext = h.do_request_extension(actor=wuzhi_housing, ticket=t, days=3, reason="需要协调物业公司")
    assert state(t) == "extension" and t.case.case_due == due_before  # not assumed
    with pytest.raises(PermissionDenied):
        h.do_decide_extension(actor=agent, ticket=t, approve=True)  # only the 值班长
    h.do_decide_extension(actor=supervisor, ticket=t, approve=True, note="同意")
    ext.refresh_from_db()
    assert ext.state == "approved" and state(t) == "handling"
    assert t.case.case_due > due_before

    h.do_reply(actor=wuzhi_housing, ticket=t, result="resolved", reply="已约谈物业，楼道已清理")
    assert state(t) == "replied"
    h.do_conclude(actor=agent, ticket=t)
    t.refresh_from_db()
    assert state(t) == "concluded" and t.on_time is True and t.concluded_at

    cb = h.do_callback(actor=agent, ticket=t, satisfaction="unsatisfied", comment="又堵上了")
    t.refresh_from_db()
    assert cb.reopened and state(t) == "handling" and t.reopen_count == 1
    assert t.department.line == "housing" and t.concluded_at is None
    h.do_reply(actor=wuzhi_housing, ticket=t, result="resolved", reply="已再次清理并安排巡查")
    h.do_conclude(actor=agent, ticket=t)
    h.do_callback(actor=agent, ticket=t, satisfaction="satisfied")
    t.refresh_from_db()
    assert state(t) == "archived" and t.satisfaction == "satisfied"
    assert t.case.closed_at is not None
    assert Callback.objects.filter(ticket=t).count() == 2
    actions = list(t.case.events.values_list("action", flat=True))
    for step in (
        "start",
        "route",
        "dispatch",
        "return",
        "redispatch",
        "sign",
        "request_extension",
        "approve_extension",
        "deadline",
        "reply",
        "conclude",
        "reopen",
        "archive",
    ):
        assert step in actions, step


def test_transitions_not_allowed_for_the_actor_are_refused(take, agent, wuzhi_market):
    t = take()
    with pytest.raises(ValidationError) as exc:
        h.do_conclude(actor=agent, ticket=t)  # not yet answered
    assert exc.value.code == "action_not_allowed"
    with pytest.raises(PermissionDenied):
        h.do_reply(actor=agent, ticket=t, result="resolved", reply="x")  # agent is no handler
    with pytest.raises(PermissionDenied):
        h.do_supervise(actor=agent, ticket=t, comment="快办")  # only the 值班长
    h.do_sign(actor=wuzhi_market, ticket=t)
    with pytest.raises(ValidationError) as bad:
        h.do_reply(actor=wuzhi_market, ticket=t, result="maybe", reply="x")
    assert "办理结果" in str(bad.value)
    assert state(t) == "handling"


def test_return_window_is_enforced(take, wuzhi_market, monkeypatch):
    t = take()
    later = timezone.localdate() + dt.timedelta(days=10)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later)
    with pytest.raises(ValidationError) as exc:
        h.do_return(actor=wuzhi_market, ticket=t, reason="不归我们管")
    assert exc.value.code == "return_too_late"


def test_complaint_deadline_counts_working_days_across_national_day(take, monkeypatch):
    start = dt.datetime(2026, 9, 28, 10, 0, tzinfo=SH)  # Monday before 国庆
    monkeypatch.setattr(timezone, "now", lambda: start)
    t = take(kind="complaint")
    assert t.case.case_due == dt.date(2026, 10, 23)  # 15 working days; Mon–Fri would say 10-19
    consult = take("请问公积金怎么提取", kind="consult", category="140201")
    assert consult.case.case_due == dt.date(2026, 9, 30)


def test_answer_on_the_spot_and_citizen_rating(take, agent):
    t = take("请问居住证在哪里办理", kind="consult", category="090101")
    assert state(t) == "registered"  # phone consultations stay with the agent
    h.do_answer_now(actor=agent, ticket=t, answer="携带身份证到户籍所在派出所办理")
    assert state(t) == "concluded"
    h.do_callback(actor=None, ticket=t, satisfaction="basic", via="citizen")
    t.refresh_from_db()
    assert state(t) == "archived" and t.satisfaction == "basic"


def test_similar_tickets_are_linked_at_intake_and_can_be_merged(take, agent):
    from yiwang.hotline.actions.duplicates import do_merge_ticket

    first = take(
        "武陟县城关镇建设路工地晚上十一点还在施工，噪音太大", category="020201", kind="complaint"
    )
    second = take(
        "武陟县城关镇建设路工地晚上十一点还在施工噪音太大", category="020201", kind="complaint"
    )
    unrelated = take("请问居住证怎么办理", category="090101", kind="consult")
    assert list(second.links.values_list("other", flat=True)) == [first.pk]
    assert not unrelated.links.exists()
    do_merge_ticket(actor=agent, ticket=second, into=first, comment="同一工地重复来电")
    second.refresh_from_db()
    assert second.merged_into == first and state(second) == "merged"


def _listed_as_case(t: Ticket) -> None:
    """The ticket's own copy of its case's step and deadlines (what its lists read) is the
    case's, as stored."""
    from yiwang.core.models import due_key

    row = Ticket.objects.select_related("case").get(pk=t.pk)
    case = row.flow
    assert row.case_state == case.state
    assert row.state_due_key == due_key(case.state_due)
    assert row.case_due_key == due_key(case.case_due)


def test_ticket_keeps_its_case_step_and_deadlines_for_lists(client, take, supervisor, wuzhi_market):
    t = take()
    _listed_as_case(t)
    h.do_sign(actor=wuzhi_market, ticket=t)
    _listed_as_case(t)
    assert Ticket.objects.get(pk=t.pk).case_state == "handling"
    h.do_request_extension(actor=wuzhi_market, ticket=t, days=3, reason="需要协调相关部门")
    _listed_as_case(t)
    h.do_decide_extension(actor=supervisor, ticket=t, approve=True, note="同意")
    _listed_as_case(t)  # the new whole-ticket limit (do_set_case_due) is copied too
    client.force_login(wuzhi_market)
    assert t.number in client.get("/hotline/department/").content.decode()
    h.do_reply(actor=wuzhi_market, ticket=t, result="resolved", reply="已处理")
    _listed_as_case(t)
    assert t.number not in client.get("/hotline/department/").content.decode()
    assert t.number in client.get("/hotline/department/?tab=done").content.decode()
