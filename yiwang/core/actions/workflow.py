"""Writes of the workflow engine (流程引擎): define workflows, start cases, take actions,
assign (签收), comment, attach files and escalate overdue cases (超期督办).

A history note (意见) is either what a person typed — a ``str``, kept as typed — or a
note the platform writes (自动派单, 秒批, 重办时限 …): a ``Bilingual`` from
``yiwang.core.notify.text.bilingual``, stored in Chinese with its English beside it
(``CaseEvent.comment_en``), so each reader reads the note in their own language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yiwang.core import access, audit, subjects, uploads
from yiwang.core import calendar as workdays
from yiwang.core.actions.uploads import do_open_upload
from yiwang.core.errors import Conflict, Forbidden
from yiwang.core.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    Department,
    Division,
    Workflow,
)
from yiwang.core.notify.text import Text, bilingual, split
from yiwang.core.numbering import next_number
from yiwang.core.roles import ROLES
from yiwang.core.workflow import (
    ENGINE_EVENTS,
    NUMBER_KIND_DEFAULT,
    Definition,
    definition_of,
    handling_roles,
    validate_definition,
)

# Allowed upload types and the leading bytes each must start with (None: no magic check).
# --- definitions ---


def _texts(comment: Text | None) -> tuple[str, str]:
    """(意见, its English) of a history note, trimmed: a person's words have no English
    copy (they are shown as typed), a platform's ``Bilingual`` note has both."""
    zh, en = split(comment or "")
    return zh.strip(), en.strip()


def _note(case: Case, action: str, actor, comment: Text = "", at=None) -> CaseEvent:
    """A history entry that does not move the case (assign, comment, attach, escalate)."""
    zh, en = _texts(comment)
    return CaseEvent.objects.create(
        case=case,
        action=action,
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        comment=zh,
        comment_en=en,
        at=at or timezone.now(),
    )


@transaction.atomic
def do_define_workflow(
    *,
    actor,
    code: str,
    name: str,
    definition: dict,
    case_time_limit_days: int | None = None,
) -> Workflow:
    """Store a validated workflow definition (流程定义); an existing code gets a new
    version (older versions stay for the cases running on them). Loading the same
    definition again changes nothing."""
    if not code or len(code) > 64:
        raise ValidationError({"code": _("流程编码不能为空，且不超过 64 个字符。")})
    data = validate_definition(definition)
    data = {**data, **{k: v for k, v in definition.items() if k in ("number_kind", "name_en")}}
    latest = Workflow.objects.filter(code=code).order_by("-version").first()
    if (
        latest is not None
        and latest.definition == data
        and latest.name == name
        and latest.case_time_limit_days == case_time_limit_days
    ):
        return latest
    version = (Workflow.objects.filter(code=code).aggregate(m=Max("version"))["m"] or 0) + 1
    Workflow.objects.filter(code=code, active=True).update(active=False)
    wf = Workflow.objects.create(
        code=code,
        version=version,
        name=name,
        case_time_limit_days=case_time_limit_days,
        definition=data,
        active=True,
    )
    audit.record(
        actor=actor,
        action="core.workflow.define",
        obj=wf,
        change={"code": code, "version": version, "states": [s["code"] for s in data["states"]]},
    )
    return wf


# --- cases ---


def _deadline(start: date, days: int | None) -> tuple[date | None, bool]:
    if days is None:
        return None, False
    return workdays.add_working_days(start, days)


def _within_case(state_due: date | None, case_due: date | None) -> date | None:
    """A step's deadline (环节时限) never falls after the whole case's (承诺办结时限): a
    step whose own limit would run past it ends when the case must. A step without a
    limit stays without one."""
    if state_due is None or case_due is None:
        return state_due
    return min(state_due, case_due)


def _unknown(field: str, value: Any):
    raise ValidationError({field: _("未找到：%s") % value}, code="unknown")


def _opening(
    *,
    actor,
    workflow_code: str,
    title: str,
    division: Division | str,
    department: Department | str,
    applicant,
    subject: Any,
    case_time_limit_days: int | None,
) -> tuple[Case, Definition]:
    """A new case, not yet stored: the active workflow's initial state, its number and
    deadlines in working days, after checking the actor may start it there."""
    wf = Workflow.objects.filter(code=workflow_code, active=True).order_by("-version").first()
    if wf is None:
        raise ValidationError(_("未找到启用的流程：%s") % workflow_code, code="workflow_unknown")
    if not isinstance(division, Division):
        division = Division.objects.filter(code=division).first() or _unknown("division", division)
    if not isinstance(department, Department):
        department = Department.objects.filter(code=department).first() or _unknown(
            "department", department
        )
    access.deny_unless(
        actor,
        access.may_start_case(actor, division=division, department=department, applicant=applicant),
        _("您无权在该区划和部门发起此流程。"),
    )
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("标题不能为空。")})
    d = definition_of(wf)
    now = timezone.now()
    today = timezone.localdate(now)
    state_due, est1 = _deadline(today, d.time_limit(d.initial))
    case_due, est2 = _deadline(
        today, wf.case_time_limit_days if case_time_limit_days is None else case_time_limit_days
    )
    state_due = _within_case(state_due, case_due)
    subject_type, subject_id = audit.object_ref(subject) if subject is not None else ("", "")
    case = Case(
        workflow=wf,
        number=next_number(division.code, wf.definition.get("number_kind", NUMBER_KIND_DEFAULT)),
        title=title[:200],
        state=d.initial,
        subject_type=subject_type,
        subject_id=subject_id,
        division=division,
        department=department,
        applicant=applicant,
        opened_at=now,
        state_entered_at=now,
        state_due=state_due,
        case_due=case_due,
        case_time_limit_days=case_time_limit_days,
        calendar_estimated=est1 or est2,
    )
    return case, d


def _start_change(case: Case) -> dict:
    """The ledger's account of a case just opened (taken before any step moves it)."""
    return {
        "number": case.number,
        "workflow": f"{case.workflow.code}@{case.workflow.version}",
        "state": case.state,
        "state_due": case.state_due,
        "case_due": case.case_due,
    }


def _record_start(actor, case: Case, change: dict | None = None) -> None:
    audit.record(
        actor=actor, action="core.case.start", obj=case, change=change or _start_change(case)
    )


@transaction.atomic
def do_start_case(
    *,
    actor,
    workflow_code: str,
    title: str,
    division: Division | str,
    department: Department | str,
    applicant=None,
    subject: Any = None,
    comment: Text = "",
    case_time_limit_days: int | None = None,
) -> Case:
    """Open a case (办件) on the active version of a workflow: number, initial state and
    its deadlines in working days. Staff start cases within their jurisdiction; a citizen
    or enterprise starts their own; ``actor=None`` is the platform itself.
    ``case_time_limit_days`` overrides the workflow's whole-case limit (e.g. a service
    item's promised time limit 承诺时限)."""
    case, d = _opening(
        actor=actor,
        workflow_code=workflow_code,
        title=title,
        division=division,
        department=department,
        applicant=applicant,
        subject=subject,
        case_time_limit_days=case_time_limit_days,
    )
    case.save(force_insert=True)
    subjects.copy_listed(case, subject)
    zh, en = _texts(comment)
    CaseEvent.objects.create(
        case=case,
        action="start",
        to_state=d.initial,
        actor=actor,
        comment=zh,
        comment_en=en,
        at=case.opened_at,
    )
    _record_start(actor, case)
    return case


@transaction.atomic(savepoint=False)
def do_start_case_through(
    *,
    actor,
    workflow_code: str,
    title: str,
    division: Division | str,
    department: Department | str,
    steps: Sequence[tuple[str, Text]],
    applicant=None,
    subject: Any = None,
    comment: Text = "",
    case_time_limit_days: int | None = None,
) -> Case:
    """Open a case and take ``steps`` (action code, comment) on it at once as the
    platform (``actor=None`` on each step, as for 秒批): the same checks, states,
    deadlines, history and ledger entries as ``do_start_case`` followed by
    ``do_transition`` for each step, but the case is written once in its final state and
    its history in one bulk insert. ``subject`` may be a row not stored yet, with its
    primary key drawn (``core.fields.assign_row_ids``): it gets the list fields
    (``CaseListed``) to be inserted with, and the caller stores it. No savepoint of its
    own: a refusal rolls back the caller's transaction (or its savepoint)."""
    case, d = _opening(
        actor=actor,
        workflow_code=workflow_code,
        title=title,
        division=division,
        department=department,
        applicant=applicant,
        subject=subject,
        case_time_limit_days=case_time_limit_days,
    )
    opened = _start_change(case)
    zh, en = _texts(comment)
    events = [
        CaseEvent(
            action="start",
            to_state=d.initial,
            actor=actor,
            comment=zh,
            comment_en=en,
            at=case.opened_at,
        )
    ]
    moves = []
    for code, note in steps:
        action, from_state, (zh, en) = _move(case, d, code, None, note)
        moves.append(_transition_change(case, action, from_state))
        events.append(
            CaseEvent(
                action=action.code,
                from_state=from_state,
                to_state=action.to,
                actor=None,
                comment=zh,
                comment_en=en,
                at=case.state_entered_at,
            )
        )
    case.save(force_insert=True)
    if subject is not None and subject._state.adding:
        subjects.set_listed(case, subject)
    else:
        subjects.copy_listed(case, subject)
    for event in events:
        event.case = case
    CaseEvent.objects.bulk_create(events)
    _record_start(actor, case, opened)
    for change in moves:
        audit.record(actor=None, action="core.case.transition", obj=case, change=change)
    return case


def _locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("workflow", "division", "department")
        .get(pk=case.pk)
    )


def _sync(target: Case, source: Case) -> Case:
    """Copy the written row back onto the caller's instance."""
    for f in Case._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))
    return target


def _check_actor(actor, row: Case, action) -> None:
    """The actor holds one of the action's roles within the case's jurisdiction (or is the
    applicant, for applicant actions) and the case is not assigned to someone else."""
    is_applicant = (
        action.applicant and row.applicant_id is not None and actor.pk == row.applicant_id
    )
    by_role = bool(action.roles & handling_roles(actor, row)) and access.can_see(
        actor, row, "case.handle"
    )
    if not (by_role or is_applicant):
        raise Forbidden(
            _("您没有在本案件所属区划和部门执行“%(action)s”的角色（需要：%(roles)s）。")
            % {
                "action": action.label,
                "roles": "、".join(str(ROLES[r].label) for r in sorted(action.roles))
                or _("申请人"),
            },
            code="role_missing",
        )
    if (
        by_role
        and not is_applicant
        and row.assignee_id not in (None, actor.pk)
        and not access.may_override_assignment(actor, row)
    ):
        raise Forbidden(
            _("该案件已由 %(name)s 签收，只有承办人可以办理。") % {"name": row.assignee},
            code="assigned_elsewhere",
        )


def _move(row: Case, d: Definition, action_code: str, actor, comment: Text):
    """Take one action on ``row`` in memory: checks the state, the actor (``None``: the
    platform) and a required comment; moves the state, resets its deadline, closes the
    case at a final state. Returns the action, the state it left and the comment with
    its English (``_texts``)."""
    texts = _texts(comment)
    if row.closed_at is not None:
        raise Conflict(_("案件 %s 已办结，不能再办理。") % row.number, code="case_closed")
    action = d.action(action_code)
    if action is None:
        raise ValidationError(
            _("流程“%(workflow)s”没有“%(action)s”这个操作。")
            % {"workflow": row.workflow.display_name, "action": action_code},
            code="action_unknown",
        )
    if not action.allowed_from(row.state, d.finals):
        raise Conflict(
            _("当前环节“%(state)s”不能执行“%(action)s”。")
            % {"state": d.state_name(row.state), "action": action.label},
            code="action_not_allowed",
        )
    if actor is not None:  # actor=None: the platform itself (e.g. an instant-approval rule)
        _check_actor(actor, row, action)
    if action.comment_required and not texts[0]:
        raise ValidationError(
            {"comment": _("执行“%s”须填写意见。") % action.label}, code="comment_required"
        )
    now = timezone.now()
    from_state = row.state
    row.state = action.to
    row.state_entered_at = now
    row.escalation_level = 0
    row.escalation_step = 0
    if action.assign == "clear":
        row.assignee = None
    elif action.assign == "actor":
        row.assignee = actor
    if action.to in d.finals:
        row.closed_at = now
        row.state_due = None
        state_est = False
    else:
        row.state_due, state_est = _deadline(timezone.localdate(now), d.time_limit(action.to))
        row.state_due = _within_case(row.state_due, row.case_due)
    case_est = row.case_due is not None and workdays.is_estimated(
        timezone.localdate(row.opened_at), row.case_due
    )
    row.calendar_estimated = state_est or (case_est and row.closed_at is None)
    return action, from_state, texts


def _transition_change(row: Case, action, from_state: str) -> dict:
    """The ledger's account of one step, as the case stands right after it."""
    return {
        "action": action.code,
        "from": from_state,
        "to": action.to,
        "state_due": row.state_due,
        "closed": row.closed_at is not None,
    }


def _record_transition(actor, row: Case, action, from_state: str) -> None:
    audit.record(
        actor=actor,
        action="core.case.transition",
        obj=row,
        change=_transition_change(row, action, from_state),
    )


@transaction.atomic
def do_transition(*, actor, case: Case, action_code: str, comment: Text = "") -> Case:
    """Take a workflow action (流转) on a case: checks the current state, the actor's role
    within the case's jurisdiction (or applicant rights), the assignment and a required
    comment; moves the state, resets its deadline, closes the case at a final state.
    ``comment`` is a person's words, or the platform's note in both languages."""
    row = _locked(case)
    d = definition_of(row.workflow)
    action, from_state, (zh, en) = _move(row, d, action_code, actor, comment)
    row.save()
    subjects.copy_listed(row)
    CaseEvent.objects.create(
        case=row,
        action=action.code,
        from_state=from_state,
        to_state=action.to,
        actor=actor,
        comment=zh,
        comment_en=en,
        at=row.state_entered_at,
    )
    _record_transition(actor, row, action, from_state)
    return _sync(case, row)


@transaction.atomic
def do_route_case(*, actor, case: Case, department: Department, comment: Text = "") -> Case:
    """Hand a case to another department (派单/改派), e.g. a 12345 ticket routed to the
    department responsible for its matter; the assignee is cleared. The calling room
    checks who may route; the move is written to the history and the audit ledger."""
    row = _locked(case)
    if row.closed_at is not None:
        raise Conflict(_("案件 %s 已办结，不能再办理。") % row.number, code="case_closed")
    before = row.department_id
    row.department = department
    row.assignee = None
    row.save(update_fields=["department", "assignee"])
    _note(row, "route", actor, comment or department.name)
    audit.record(
        actor=actor,
        action="core.case.route",
        obj=row,
        change={"from": before, "to": department.pk},
    )
    return _sync(case, row)


@transaction.atomic
def do_set_case_due(*, actor, case: Case, due: date, comment: Text) -> Case:
    """Move a case's whole-case deadline (全程时限), e.g. an approved extension (延期) or a
    re-opened ticket's new limit; the reason is kept in the history and the audit ledger."""
    row = _locked(case)
    if row.closed_at is not None:
        raise Conflict(_("案件 %s 已办结，不能再办理。") % row.number, code="case_closed")
    before = row.case_due
    opened = timezone.localdate(row.opened_at)
    row.case_due = due
    # The step's own limit again, within the new whole-case deadline (a step cut short
    # by the old one gets its time back when the case is extended).
    own_due, _est = _deadline(
        timezone.localdate(row.state_entered_at), definition_of(row.workflow).time_limit(row.state)
    )
    row.state_due = _within_case(own_due, due)
    # Kept as a count of working days, so a calendar loaded later recounts it faithfully.
    row.case_time_limit_days = max(0, workdays.working_days_between(opened, due))
    row.escalation_step = 0
    row.escalation_level = 0
    row.calendar_estimated = workdays.is_estimated(opened, due)
    row.save(
        update_fields=[
            "case_due",
            "state_due",
            "case_time_limit_days",
            "escalation_step",
            "escalation_level",
            "calendar_estimated",
        ]
    )
    subjects.copy_listed(row)
    event = _note(row, "deadline", actor, comment)
    audit.record(
        actor=actor,
        action="core.case.set_due",
        obj=row,
        change={"before": before, "after": due, "reason": event.comment},
    )
    return _sync(case, row)


@transaction.atomic
def do_record_event(*, actor, case: Case, action: str, comment: Text) -> CaseEvent:
    """Write a history entry that does not move the case (e.g. 督办) for a room that has
    already checked the actor's rights on its own subject; ``action`` must be a known
    engine event label."""
    if action not in ENGINE_EVENTS:
        raise ValueError(f"unknown engine event {action!r}")
    event = _note(case, action, actor, comment)
    audit.record(actor=actor, action=f"core.case.{action}", obj=case, change={"event": event.pk})
    return event


@transaction.atomic
def do_assign(*, actor, case: Case, assignee) -> Case:
    """Assign a case to one person (分派), narrowing the inbox to them; a handler may take
    it for themselves (签收). ``assignee=None`` releases it back to the group."""
    row = _locked(case)
    if row.closed_at is not None:
        raise Conflict(_("案件 %s 已办结。") % row.number, code="case_closed")
    d = definition_of(row.workflow)
    acting_roles = d.roles_acting_in(row.state)
    claim = assignee is not None and assignee.pk == actor.pk
    if claim:
        _check_claim(actor, row, acting_roles)
    elif assignee is None and row.assignee_id == actor.pk:
        pass  # releasing one's own case
    else:
        _check_assign(actor, row, assignee, acting_roles)
    previous = row.assignee_id
    row.assignee = assignee
    row.save(update_fields=["assignee"])
    now = timezone.now()
    _note(
        row,
        "claim" if claim else ("assign" if assignee else "release"),
        actor,
        str(assignee or ""),
        at=now,
    )
    audit.record(
        actor=actor,
        action="core.case.assign",
        obj=row,
        change={"from": previous, "to": assignee.pk if assignee else None},
    )
    return _sync(case, row)


def _check_claim(actor, row: Case, acting_roles) -> None:
    """签收: the actor must hold a role acting in the current step, and the case must be
    free or theirs — unless they may override an assignment."""
    if not (handling_roles(actor, row) & acting_roles):
        raise Forbidden(_("您在当前环节没有办理此案件的角色，不能签收。"), code="role_missing")
    if row.assignee_id not in (None, actor.pk) and not access.may_override_assignment(actor, row):
        raise Forbidden(
            _("该案件已由 %(name)s 签收。") % {"name": row.assignee}, code="assigned_elsewhere"
        )


def _check_assign(actor, row: Case, assignee, acting_roles) -> None:
    """分派 (or release of someone else's case): only who may override assignments, and
    only to a person holding a role acting in the current step."""
    access.require_override_assignment(actor, row, _("您没有分派此案件的权限。"))
    if assignee is not None and not (handling_roles(assignee, row) & acting_roles):
        raise ValidationError(
            {"assignee": _("%(name)s 在当前环节没有办理此案件的角色。") % {"name": assignee}},
            code="assignee_cannot_handle",
        )


@transaction.atomic
def do_comment(*, actor, case: Case, comment: Text) -> CaseEvent:
    """Add a comment (意见/备注) to a case's history without moving it: a person's words,
    or a note of the platform's in both languages (``actor=None``, e.g. why 秒批 did not
    decide)."""
    texts = _texts(comment)
    if not texts[0]:
        raise ValidationError({"comment": _("意见不能为空。")}, code="comment_required")
    if max(map(len, texts)) > 5000:
        raise ValidationError({"comment": _("意见不能超过 5000 字。")})
    access.require_participant(actor, case)
    event = _note(
        case,
        "comment",
        actor,
        comment,
    )
    audit.record(actor=actor, action="core.case.comment", obj=case, change={"event": event.pk})
    return event


def _file_error(exc: ValidationError) -> ValidationError:
    """The upload check's refusal as an error on the ``file`` field, keeping its code
    (too_large → 413, bad_type → 415)."""
    return ValidationError({"file": exc.error_list})


@transaction.atomic
def do_attach(*, actor, case: Case, uploaded_file, comment: str = "") -> CaseAttachment:
    """Attach a file (附件) to a case: checked by ``core.uploads`` (size limit, type by
    content), stored encrypted at rest with its SM3 digest."""
    access.require_participant(actor, case)
    if case.closed_at is not None:
        raise Conflict(_("案件 %s 已办结，不能再上传附件。") % case.number, code="case_closed")
    try:
        upload = uploads.check_upload(uploaded_file)
    except ValidationError as exc:
        raise _file_error(exc) from None
    event = _note(
        case,
        "attach",
        actor,
        (comment or upload.name)[:5000],
    )
    attachment = CaseAttachment(case=case, event=event, uploaded_by=actor)
    uploads.store(attachment, upload)
    attachment.save()
    audit.record(
        actor=actor,
        action="core.case.attach",
        obj=case,
        change={"attachment": attachment.pk, "sm3": attachment.sm3, "size": attachment.size},
    )
    return attachment


# --- escalation ---


def _role_holders(roles: set[str], case: Case) -> list:
    """Active users holding one of ``roles`` whose jurisdiction covers the case."""
    return access.holders(roles, division_path=case.division.path, department=case.department)


def _overdue_days(case: Case, today: date) -> int | None:
    """Working days past the earliest passed deadline, or None when nothing has passed."""
    passed = [d for d in (case.state_due, case.case_due) if d is not None and d < today]
    if not passed:
        return None
    return workdays.working_days_between(min(passed), today)


def _escalate(case: Case, d: Definition, overdue: int, actor) -> int:
    from yiwang.core.actions.notify import do_notify

    applied = 0
    for level, rule in d.escalations_for(case.state):
        if level <= case.escalation_step or overdue < rule.get("overdue_days", 0):
            continue
        case.escalation_step = level
        if rule.get("raise_level", True):
            case.escalation_level += 1
        case.save(update_fields=["escalation_step", "escalation_level"])
        text = bilingual(
            lambda: (
                ngettext(
                    "案件 %(number)s“%(title)s”在“%(state)s”环节已超期 %(days)d 个工作日，请督办。",
                    "案件 %(number)s“%(title)s”在“%(state)s”环节已超期 %(days)d 个工作日，请督办。",
                    overdue,
                )
                % {
                    "number": case.number,
                    "title": case.title,
                    "state": d.state_name(case.state),
                    "days": overdue,
                }
            )
        )
        _note(case, "escalate", actor, text)
        recipients = _role_holders(set(rule.get("notify_roles", [])), case)
        if case.assignee_id and case.assignee not in recipients:
            recipients.append(case.assignee)
        url = reverse("core:case", args=[case.pk])
        for user in recipients:
            do_notify(
                actor=actor,
                user=user,
                title=bilingual(lambda: _("超期督办：%s") % case.number),
                body=text,
                url=url,
            )
        audit.record(
            actor=actor,
            action="core.case.escalate",
            obj=case,
            change={
                "rule": level,
                "level": case.escalation_level,
                "overdue_days": overdue,
                "notified": [u.pk for u in recipients],
            },
        )
        applied += 1
    return applied


def do_escalate_overdue(*, actor=None, today: date | None = None) -> int:
    """Apply escalation rules (超期督办) to open overdue cases: each rule of the current
    state fires once (raising the 督办级别 and notifying its roles' holders within the
    case's jurisdiction, plus the assignee). Returns the number of rules applied."""
    today = today or timezone.localdate()
    candidates = (
        Case.objects.filter(closed_at__isnull=True)
        .filter(Q(state_due__lt=today) | Q(case_due__lt=today))
        .select_related("workflow")
        .only("pk", "state", "state_due", "case_due", "escalation_step", "workflow")
    )
    applied = 0
    for seen in candidates.iterator(chunk_size=500):
        overdue = _overdue_days(seen, today)
        if overdue is None or not _pending_rules(seen, overdue):
            continue  # nothing new to do: no lock, no write
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",))
                .select_related("workflow", "division", "department", "assignee")
                .get(pk=seen.pk)
            )
            overdue = _overdue_days(case, today)
            if overdue is None or case.closed_at is not None:
                continue
            applied += _escalate(case, definition_of(case.workflow), overdue, actor)
    return applied


def _pending_rules(case: Case, overdue: int) -> bool:
    """Whether some escalation rule of the case's state has not fired yet and is due."""
    return any(
        level > case.escalation_step and overdue >= rule.get("overdue_days", 0)
        for level, rule in definition_of(case.workflow).escalations_for(case.state)
    )


# --- shipped definitions ---


def workflow_files() -> list:
    """JSON definitions shipped in the workflow folder each installed room's manifest
    names (``workflows/`` by default)."""
    from yiwang.core.rooms import workflow_dirs

    return [path for folder in workflow_dirs() for path in sorted(folder.glob("*.json"))]


def do_load_workflows(*, actor, paths=None) -> list[Workflow]:
    """Define each workflow file (``{"code", "name", "case_time_limit_days", "states",
    "actions", "escalations"}``); unchanged files keep their current version."""
    import json
    from pathlib import Path

    out = []
    for path in paths if paths is not None else workflow_files():
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValidationError(
                _("无法读取流程文件 %(path)s：%(err)s") % {"path": path, "err": exc}
            ) from exc
        if not isinstance(data, dict):
            raise ValidationError(_("流程文件 %s 应为 JSON 对象。") % path)
        try:
            out.append(
                do_define_workflow(
                    actor=actor,
                    code=data.get("code", ""),
                    name=data.get("name", ""),
                    definition=data,
                    case_time_limit_days=data.get("case_time_limit_days"),
                )
            )
        except ValidationError as exc:
            raise ValidationError([_("流程文件 %s：") % path, *exc.messages]) from exc
    return out


# --- calendar changes ---


@transaction.atomic
def do_recompute_estimated_deadlines(*, actor) -> int:
    """After a calendar year is loaded, recount the deadlines of open cases that were
    estimated (Mon–Fri), so they follow the official schedule — with each case's own
    whole-case limit where it has one; returns cases updated."""
    updated = 0
    cases = Case.objects.select_for_update(of=("self",)).select_related("workflow")
    for case in cases.filter(closed_at__isnull=True, calendar_estimated=True):
        d = definition_of(case.workflow)
        state_due, est1 = _deadline(
            timezone.localdate(case.state_entered_at), d.time_limit(case.state)
        )
        limit = (
            case.case_time_limit_days
            if case.case_time_limit_days is not None
            else case.workflow.case_time_limit_days
        )
        case_due, est2 = _deadline(timezone.localdate(case.opened_at), limit)
        state_due = _within_case(state_due, case_due)
        before = (case.state_due, case.case_due)
        case.state_due, case.case_due, case.calendar_estimated = state_due, case_due, est1 or est2
        case.save(update_fields=["state_due", "case_due", "calendar_estimated"])
        subjects.copy_listed(case)
        audit.record(
            actor=actor,
            action="core.case.recount_deadlines",
            obj=case,
            change={"before": before, "after": (state_due, case_due), "estimated": est1 or est2},
        )
        updated += 1
    return updated


def do_open_attachment(*, actor, attachment: CaseAttachment) -> bytes:
    """Read an attachment for a participant of its case: decrypted, its SM3 digest
    checked (附件完整性) and the access logged; a file whose content no longer matches is
    refused (code ``tampered``)."""
    access.require_participant(actor, attachment.case)
    return do_open_upload(
        actor=actor,
        record=attachment,
        obj=attachment.case,
        action="core.case.attachment_open",
        change={"attachment": attachment.pk},
    )
