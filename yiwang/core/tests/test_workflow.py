"""流程引擎: definitions, transitions, roles within jurisdiction, assignment, escalation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from yiwang.core import calendar
from yiwang.core.actions.workflow import (
    do_assign,
    do_comment,
    do_define_workflow,
    do_escalate_overdue,
    do_start_case,
    do_transition,
)
from yiwang.core.inbox import inbox_for
from yiwang.core.models import AuditEntry, Case, CaseEvent, Delivery, Notification, Workflow
from yiwang.core.tests.definitions import two_step

SIMPLE = two_step(1)


@pytest.fixture
def people(city, make_staff, citizen):
    class P:
        clerk = make_staff("window_clerk", "410823", "market")
        clerk2 = make_staff("window_clerk", "410823", "market")
        approver = make_staff("approver", "410823", "market", phone="13900001111")
        admin = make_staff("dept_admin", "410823", "market", phone="13900002222")
        boai_clerk = make_staff("window_clerk", "410822", "market")
        boai_admin = make_staff("dept_admin", "410822", "market")
        applicant = citizen

    return P


@pytest.fixture
def start(people, city):
    def make(title="食品经营许可申请", workflow_code="generic_approval", **kw):
        return do_start_case(
            actor=kw.pop("actor", people.clerk),
            workflow_code=workflow_code,
            title=title,
            division=city.wuzhi,
            department=city.department("410823", "market"),
            applicant=kw.pop("applicant", people.applicant),
            **kw,
        )

    return make


# --- definitions ---


def test_shipped_generic_approval_is_loaded_on_migrate(db):
    wf = Workflow.objects.get(code="generic_approval", active=True)
    names = [s["name"] for s in wf.definition["states"]]
    assert names[:4] == ["申请", "补正", "审查", "决定"]
    assert "办结" in names and "不予受理" in names


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"actions": [{**SIMPLE["actions"][0], "to": "zz"}]}, "目标环节未声明：zz"),
        ({"actions": [{**SIMPLE["actions"][0], "roles": ["wizard"]}]}, "未知角色：wizard"),
        (
            {"states": [*SIMPLE["states"], {"code": "c", "name": "丙", "final": True}]},
            "环节 c 从初始环节无法到达",
        ),
        ({"states": [{**SIMPLE["states"][0], "initial": False}, SIMPLE["states"][1]]}, "初始环节"),
    ],
)
def test_invalid_definitions_are_refused_with_clear_errors(db, broken, message):
    with pytest.raises(ValidationError) as err:
        do_define_workflow(actor=None, code="t", name="测试", definition={**SIMPLE, **broken})
    assert any(message in m for m in err.value.messages)
    assert not Workflow.objects.filter(code="t").exists()


def test_redefining_makes_a_new_version_and_same_definition_does_not(db):
    v1 = do_define_workflow(actor=None, code="t", name="测试", definition=SIMPLE)
    again = do_define_workflow(actor=None, code="t", name="测试", definition=SIMPLE)
    assert again.pk == v1.pk
    changed = {
        **SIMPLE,
        "states": two_step(2)["states"],
    }
    v2 = do_define_workflow(actor=None, code="t", name="测试", definition=changed)
    v1.refresh_from_db()
    assert (v2.version, v2.active, v1.active) == (2, True, False)


# --- cases and transitions ---


def test_start_case_numbers_and_deadlines_in_working_days(start, people):
    case = start()
    today = timezone.localdate()
    assert re.fullmatch(rf"410823-SQ-{today:%Y%m%d}-\d{{6}}", case.number)
    assert case.state == "submitted"
    assert case.state_due == calendar.add_working_days(today, 2)[0]
    assert case.case_due == calendar.add_working_days(today, 20)[0]
    assert case.events.get().action == "start"
    assert AuditEntry.objects.filter(action="core.case.start", object_id=str(case.pk)).exists()
    promised = start(case_time_limit_days=5)  # a service item's 承诺时限 overrides the flow's
    assert promised.case_due == calendar.add_working_days(today, 5)[0]


def test_full_approval_path_closes_the_case(start, people):
    case = start()
    do_transition(actor=people.clerk, case=case, action_code="accept")
    assert case.state == "reviewing"
    do_transition(actor=people.clerk, case=case, action_code="review")
    do_transition(actor=people.approver, case=case, action_code="approve", comment="同意")
    case.refresh_from_db()
    assert case.state == "done" and case.closed_at is not None and case.state_due is None
    assert list(case.events.values_list("action", flat=True)) == [
        "start",
        "accept",
        "review",
        "approve",
    ]
    assert (
        AuditEntry.objects.filter(action="core.case.transition", object_id=str(case.pk)).count()
        == 3
    )
    with pytest.raises(ValidationError, match="已办结"):
        do_transition(actor=people.approver, case=case, action_code="approve")


def test_illegal_transition_is_refused_and_nothing_is_written(start, people):
    case = start()
    events, entries = CaseEvent.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as err:
        do_transition(actor=people.approver, case=case, action_code="approve")
    assert err.value.messages == ["当前环节“申请”不能执行“准予许可”。"]
    with pytest.raises(ValidationError, match="没有“fly”这个操作"):
        do_transition(actor=people.clerk, case=case, action_code="fly")
    case.refresh_from_db()
    assert case.state == "submitted"
    assert (CaseEvent.objects.count(), AuditEntry.objects.count()) == (events, entries)


def test_role_is_needed_for_the_action(start, people):
    case = start()
    with pytest.raises(ValidationError, match="窗口人员"):
        do_transition(actor=people.approver, case=case, action_code="accept")


def test_wrong_county_staff_cannot_act_or_see(start, people):
    case = start()
    with pytest.raises(ValidationError, match="所属区划和部门"):
        do_transition(actor=people.boai_clerk, case=case, action_code="accept")
    assert not inbox_for(people.boai_clerk).filter(pk=case.pk).exists()
    with pytest.raises(PermissionDenied):
        do_comment(actor=people.boai_clerk, case=case, comment="越权")
    assert Case.objects.get(pk=case.pk).state == "submitted"


def test_comment_required_and_applicant_actions(start, people):
    from datetime import date

    from yiwang.core.actions.users import do_create_citizen
    from yiwang.core.identifiers import make_id_number

    case = start()
    with pytest.raises(ValidationError, match="须填写意见"):
        do_transition(actor=people.clerk, case=case, action_code="request_correction")
    do_transition(
        actor=people.clerk, case=case, action_code="request_correction", comment="缺营业执照"
    )
    other = do_create_citizen(
        actor=None,
        username="lisi",
        full_name="李四",
        id_number=make_id_number("410823", date(1980, 5, 1), 12),
        password=None,
        validate=False,
    )
    with pytest.raises(ValidationError):
        do_transition(actor=other, case=case, action_code="resubmit")
    do_transition(actor=people.applicant, case=case, action_code="resubmit")
    assert case.state == "submitted"


def test_citizen_may_start_own_case_but_staff_only_in_jurisdiction(people, city):
    dept = city.department("410823", "market")
    own = do_start_case(
        actor=people.applicant,
        workflow_code="generic_approval",
        title="网上申请",
        division=city.wuzhi,
        department=dept,
        applicant=people.applicant,
    )
    assert own.applicant == people.applicant
    with pytest.raises(PermissionDenied):
        do_start_case(
            actor=people.boai_clerk,
            workflow_code="generic_approval",
            title="越权",
            division=city.wuzhi,
            department=dept,
        )


# --- assignment ---


def test_claiming_narrows_the_inbox_to_one_person(start, people):
    case = start()
    assert inbox_for(people.clerk).filter(pk=case.pk).exists()
    assert inbox_for(people.clerk2).filter(pk=case.pk).exists()
    assert not inbox_for(people.approver).filter(pk=case.pk).exists()  # not their state

    do_assign(actor=people.clerk, case=case, assignee=people.clerk)  # 签收
    assert case.assignee == people.clerk
    assert inbox_for(people.clerk).filter(pk=case.pk).exists()
    assert not inbox_for(people.clerk2).filter(pk=case.pk).exists()
    with pytest.raises(ValidationError, match="签收"):
        do_transition(actor=people.clerk2, case=case, action_code="accept")
    with pytest.raises(ValidationError, match="签收"):
        do_assign(actor=people.clerk2, case=case, assignee=people.clerk2)

    # The department admin re-assigns; approvers cannot be given a state they cannot act in.
    with pytest.raises(ValidationError):
        do_assign(actor=people.admin, case=case, assignee=people.approver)
    do_assign(actor=people.admin, case=case, assignee=people.clerk2)
    assert not inbox_for(people.clerk).filter(pk=case.pk).exists()
    with pytest.raises(ValidationError, match="签收"):
        do_assign(actor=people.clerk, case=case, assignee=people.clerk)
    with pytest.raises(PermissionDenied):
        do_assign(actor=people.clerk, case=case, assignee=people.clerk2)
    with pytest.raises(PermissionDenied):
        do_assign(actor=people.boai_admin, case=case, assignee=people.clerk)
    # "accept" clears the assignment: reviewing is open to the group again.
    do_transition(actor=people.clerk2, case=case, action_code="accept")
    assert case.assignee is None
    assert inbox_for(people.clerk).filter(pk=case.pk).exists()


# --- escalation ---


def test_escalation_fires_once_per_rule_and_notifies_in_jurisdiction(start, people):
    case = start()
    day_after = calendar.add_working_days(case.state_due, 1)[0]
    assert do_escalate_overdue(today=case.state_due) == 0  # due today is not overdue

    assert do_escalate_overdue(today=day_after) == 1
    case.refresh_from_db()
    assert (case.escalation_level, case.escalation_step) == (1, 1)
    note = Notification.objects.get(user=people.admin)
    assert case.number in note.title and note.url == f"/cases/{case.pk}/"
    assert Delivery.objects.filter(notification=note, channel="sms").exists()
    assert not Notification.objects.filter(user=people.boai_admin).exists()  # other county

    assert do_escalate_overdue(today=day_after) == 0  # idempotent
    assert Notification.objects.filter(user=people.admin).count() == 1

    later = calendar.add_working_days(case.state_due, 3)[0]
    assert do_escalate_overdue(today=later) == 1
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert Notification.objects.filter(user=people.admin).count() == 2
    assert case.events.filter(action="escalate").count() == 2

    # A transition starts the new state's clock afresh.
    do_transition(actor=people.clerk, case=case, action_code="accept")
    case.refresh_from_db()
    assert (case.escalation_level, case.escalation_step) == (0, 0)


def test_estimated_deadline_when_a_year_has_no_calendar(db, people, city):
    long = two_step(400, "approver")
    do_define_workflow(actor=None, code="long", name="长时限", definition=long)
    case = do_start_case(
        actor=people.clerk,
        workflow_code="long",
        title="跨年",
        division=city.wuzhi,
        department=city.department("410823", "market"),
    )
    assert case.calendar_estimated
    assert case.state_due > timezone.localdate() + timedelta(days=365)


def test_platform_itself_may_take_an_action(start):
    case = start()
    do_transition(actor=None, case=case, action_code="accept", comment="秒批规则")
    assert case.state == "reviewing"
    assert case.events.last().actor is None


def test_workflows_command_loads_files_and_reports_errors(db, tmp_path, capsys):
    import json

    from django.core.management import CommandError, call_command

    good = tmp_path / "simple.json"
    good.write_text(json.dumps({"code": "simple", "name": "简单流程", **SIMPLE}), "utf-8")
    call_command("workflows", "load", str(good))
    assert Workflow.objects.get(code="simple").name == "简单流程"
    call_command("workflows", "list")
    assert "generic_approval v1" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"code": "bad", "name": "坏", "states": [], "actions": []}), "utf-8")
    with pytest.raises(CommandError, match="缺少环节"):
        call_command("workflows", "load", str(bad))


def test_loading_next_years_calendar_recounts_estimated_deadlines(db, people, city, tmp_path):
    import json
    from datetime import date, datetime

    from yiwang.core.actions.calendar import do_load_calendar_file

    sixty = two_step(60, "approver")
    do_define_workflow(actor=None, code="sixty", name="六十日", definition=sixty)
    case = do_start_case(
        actor=people.clerk,
        workflow_code="sixty",
        title="跨年",
        division=city.wuzhi,
        department=city.department("410823", "market"),
    )
    # Set-up: pin the start to Thu 2026-11-26 so the expected dates are fixed.
    start = timezone.make_aware(datetime(2026, 11, 26, 10, 0))
    before, estimated = calendar.add_working_days(date(2026, 11, 26), 60)
    assert estimated and before == date(2027, 2, 18)  # Mon–Fri count
    Case.objects.filter(pk=case.pk).update(
        opened_at=start, state_entered_at=start, state_due=before, calendar_estimated=True
    )
    path = tmp_path / "2027.json"
    path.write_text(
        json.dumps({"year": 2027, "holidays": [{"from": "2027-02-08", "to": "2027-02-12"}]}),
        "utf-8",
    )
    do_load_calendar_file(actor=None, path=path)
    case.refresh_from_db()
    # 春节 takes five weekdays out: the deadline moves a week later and is official now.
    assert (case.state_due, case.calendar_estimated) == (date(2027, 2, 25), False)
    assert AuditEntry.objects.filter(
        action="core.case.recount_deadlines", object_id=str(case.pk)
    ).exists()


def test_recount_keeps_a_case_s_own_limit_and_its_extension(db, people, city, tmp_path):
    import json
    from datetime import date, datetime

    from yiwang.core.actions.calendar import do_load_calendar_file
    from yiwang.core.actions.workflow import do_set_case_due

    wf = two_step(2, "approver")
    do_define_workflow(actor=None, code="own", name="自有时限", definition=wf)
    case = do_start_case(
        actor=people.clerk,
        workflow_code="own",
        title="承诺时限 40 日",
        division=city.wuzhi,
        department=city.department("410823", "market"),
        case_time_limit_days=40,
    )
    start = timezone.make_aware(datetime(2026, 11, 26, 10, 0))
    due, _est = calendar.add_working_days(date(2026, 11, 26), 40)
    Case.objects.filter(pk=case.pk).update(opened_at=start, case_due=due, calendar_estimated=True)
    case.refresh_from_db()
    extended, _est = calendar.add_working_days(due, 5)
    do_set_case_due(actor=None, case=case, due=extended, comment="同意延期 5 个工作日")
    case.refresh_from_db()
    assert case.case_time_limit_days == 45
    path = tmp_path / "2027.json"
    path.write_text(
        json.dumps({"year": 2027, "holidays": [{"from": "2027-01-18", "to": "2027-01-22"}]}),
        "utf-8",
    )
    do_load_calendar_file(actor=None, path=path)
    case.refresh_from_db()
    official, estimated = calendar.add_working_days(date(2026, 11, 26), 45)
    assert not estimated and case.case_due == official  # 45 working days, not the default
    assert official > extended  # the holiday week pushed it back
