"""The ticket loop after intake (国办发〔2020〕53号): 派单 → 签收/退单 → 办理 → 答复 → 督办
→ 办结 → 回访 → 评价, with approved extensions, re-opening after an unsatisfied callback,
即接即办 on the spot and hand-off of emergencies. Each step is a workflow transition plus
the ticket's own facts."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yiwang.core import audit
from yiwang.core import calendar as workdays
from yiwang.core.actions.notify import do_notify_many
from yiwang.core.actions.workflow import (
    do_record_event,
    do_route_case,
    do_set_case_due,
    do_transition,
)
from yiwang.core.errors import Conflict
from yiwang.core.models import Department, User
from yiwang.core.notify.text import Bilingual, Text, bilingual
from yiwang.hotline import access
from yiwang.hotline.actions.classifier import record_label
from yiwang.hotline.actions.tickets import resolve_category
from yiwang.hotline.models import (
    Callback,
    Emergency,
    Extension,
    Result,
    Satisfaction,
    Ticket,
    TicketReturn,
)

HANDLER_ROLES = ("hotline_handler", "dept_admin")


def _locked(ticket: Ticket) -> Ticket:
    row = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("case", "department", "category")
        .get(pk=ticket.pk)
    )
    if row.case is None:
        raise ValidationError(_("工单 %s 尚未开始流转。") % row.number, code="no_case")
    return row


def _sync(target: Ticket, source: Ticket) -> Ticket:
    for f in Ticket._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))
    if source.case is not None:
        target.case = source.case
    return target


def handlers_of(department: Department | None) -> list[User]:
    """Active people who handle tickets for ``department`` (承办人员, 部门管理员)."""
    return list(
        User.objects.filter(
            is_active=True,
            role_assignments__role__in=HANDLER_ROLES,
            role_assignments__org_unit__department=department,
        ).distinct()
    )


def _tell(users, ticket: Ticket, title: Text, body: Text = "", url: str = "") -> None:
    do_notify_many(actor=None, users=users, title=title, body=body or ticket.title, url=url)


def _staff_url(ticket: Ticket) -> str:
    return reverse("hotline:ticket", args=[ticket.pk])


def _tell_citizen(ticket: Ticket, title: Text, body: Text) -> None:
    if ticket.citizen_id:
        _tell([ticket.citizen], ticket, title, body, reverse("hotline:my_ticket", args=[ticket.pk]))


def _record(actor, ticket: Ticket, verb: str, **change) -> None:
    audit.record(
        actor=actor,
        action=f"hotline.ticket.{verb}",
        obj=ticket,
        change={"number": ticket.number, **change},
    )


# --- 派单 ---


@transaction.atomic
def do_dispatch(
    *,
    actor,
    ticket: Ticket,
    department: Department | None = None,
    category=None,
    comment: Text = "",
) -> Ticket:
    """派单 (or 改派 after a return): confirm the category, choose the department (the
    routing rule's unless named) and hand the case to it; its handlers are told. The
    note is the agent's words, or the platform's in both languages (自动派单); without
    one the history says where the ticket went (派往 …)."""
    from yiwang.hotline.routing import route

    access.require_perm(actor, "hotline.intake")
    row = _locked(ticket)
    chosen = resolve_category(category) if category not in (None, "") else row.category
    if chosen is None:
        raise ValidationError({"category": _("派单前须确定诉求分类。")}, code="category_required")
    department = department or route(chosen, row.division)
    if department is None:
        raise ValidationError(
            {"department": _("没有找到该分类在该区划的承办部门，请手动选择。")},
            code="department_required",
        )
    redispatch = row.flow.state == "returned"
    if redispatch and department.pk == row.department_id:
        raise ValidationError(
            {"department": _("退单后改派须选择另一个承办部门；如退单理由不成立，请由值班长驳回。")},
            code="same_department",
        )
    note: Text = comment if isinstance(comment, Bilingual) else comment.strip()
    if not note:
        note = bilingual(lambda: _("派往 %s") % department.name)
    do_route_case(actor=actor, case=row.flow, department=department, comment=note)
    do_transition(
        actor=actor,
        case=row.flow,
        action_code="redispatch" if redispatch else "dispatch",
        comment=note,
    )
    if redispatch:
        TicketReturn.objects.filter(ticket=row, accepted=None).update(accepted=True)
    row.category = chosen
    was_pending = row.needs_review
    row.needs_review = False
    row.department = department
    row.save(update_fields=["category", "needs_review", "department"])
    _record(actor, row, "dispatch", department=department.pk, category=chosen.code)
    if category not in (None, "") or was_pending:
        # 分类标注: the agent's own word — a category they named, or the suggestion they
        # confirmed; a category the citizen chose, dispatched as it stands, is no label.
        record_label(actor=actor, ticket=row, leaf=chosen)
    _tell(
        handlers_of(department),
        row,
        bilingual(lambda: _("新派工单：%s") % row.number),
        row.title,
        _staff_url(row),
    )
    return _sync(ticket, row)


@transaction.atomic
def do_answer_now(*, actor, ticket: Ticket, answer: str, entry=None) -> Ticket:
    """即接即办: the agent answers on the spot (often from the knowledge base) and the
    ticket is concluded; it still gets its callback or the caller's own rating."""
    access.require_perm(actor, "hotline.intake")
    row = _locked(ticket)
    do_transition(actor=actor, case=row.flow, action_code="answer_now", comment=answer)
    now = timezone.now()
    row.reply, row.result, row.replied_at = answer.strip(), Result.RESOLVED, now
    row.concluded_at, row.on_time = now, True
    row.save(update_fields=["reply", "result", "replied_at", "concluded_at", "on_time"])
    if entry is not None:
        from yiwang.hotline.actions.knowledge import do_cite_entry

        do_cite_entry(actor=actor, entry=entry, ticket=row)
    _record(actor, row, "answer_now", entry=getattr(entry, "pk", None))
    return _sync(ticket, row)


@transaction.atomic
def do_hand_off(*, actor, ticket: Ticket, service: str, comment: str) -> Ticket:
    """移交应急联动: an emergency goes to 110/119/120/122 and leaves the 12345 loop."""
    access.require_perm(actor, "hotline.intake")
    if service not in {c for c in Emergency.values if c}:
        raise ValidationError(
            {"service": _("请选择 110、119、120 或 122。")}, code="service_unknown"
        )
    row = _locked(ticket)
    text = bilingual(
        lambda: _("已移交 %(service)s：%(comment)s") % {"service": service, "comment": comment}
    )
    do_transition(actor=actor, case=row.flow, action_code="hand_off", comment=text)
    row.emergency = service
    row.concluded_at = timezone.now()
    row.save(update_fields=["emergency", "concluded_at"])
    _record(actor, row, "hand_off", service=service)
    return _sync(ticket, row)


# --- 承办部门 ---


@transaction.atomic
def do_sign(*, actor, ticket: Ticket) -> Ticket:
    """签收: the department takes the ticket; the signer becomes its handler."""
    row = _locked(ticket)
    access.require_handler(actor, row)
    do_transition(actor=actor, case=row.flow, action_code="sign")
    _record(actor, row, "sign")
    return _sync(ticket, row)


def _dispatched_on(row: Ticket) -> date:
    event = row.flow.events.filter(action__in=["dispatch", "redispatch", "reject_return"]).last()
    return timezone.localtime(event.at if event else row.created_at).date()


@transaction.atomic
def do_return(
    *, actor, ticket: Ticket, reason: str, suggested_department: Department | None = None
) -> Ticket:
    """退单: a wrongly routed ticket goes back to the centre with reasons, only within the
    configured working days of its dispatch (default 2)."""
    row = _locked(ticket)
    access.require_handler(actor, row)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("退单须写明理由。")}, code="comment_required")
    days = settings.YIWANG["HOTLINE_RETURN_DAYS"]
    last_day, _estimated = workdays.add_working_days(_dispatched_on(row), days)
    if timezone.localdate() > last_day:
        raise ValidationError(
            ngettext(
                "已超过退单时限（派单后 %(days)d 个工作日，截至 %(day)s），请继续办理或申请延期。",
                "已超过退单时限（派单后 %(days)d 个工作日，截至 %(day)s），请继续办理或申请延期。",
                days,
            )
            % {"days": days, "day": last_day},
            code="return_too_late",
        )
    do_transition(actor=actor, case=row.flow, action_code="return", comment=reason)
    assert row.department is not None, "a dispatched ticket has a department"
    TicketReturn.objects.create(
        ticket=row,
        department=row.department,
        reason=reason,
        suggested_department=suggested_department,
        returned_by=actor,
        returned_at=timezone.now(),
    )
    _record(actor, row, "return", department=row.department_id, reason=reason)
    return _sync(ticket, row)


@transaction.atomic
def do_reject_return(*, actor, ticket: Ticket, comment: str) -> Ticket:
    """退单不成立: the duty supervisor sends the ticket back to the same department."""
    access.require_perm(actor, "hotline.supervise")
    row = _locked(ticket)
    do_transition(actor=actor, case=row.flow, action_code="reject_return", comment=comment)
    TicketReturn.objects.filter(ticket=row, accepted=None).update(accepted=False)
    _record(actor, row, "reject_return")
    _tell(
        handlers_of(row.department),
        row,
        bilingual(lambda: _("退单未通过：%s") % row.number),
        comment,
        _staff_url(row),
    )
    return _sync(ticket, row)


@transaction.atomic
def do_reply(*, actor, ticket: Ticket, result: str, reply: str) -> Ticket:
    """答复: the department's answer with its result code (解决/部分解决/未解决)."""
    row = _locked(ticket)
    access.require_handler(actor, row)
    if result not in (Result.RESOLVED, Result.PARTIAL, Result.UNRESOLVED):
        raise ValidationError(
            {"result": _("请选择办理结果：解决、部分解决或未解决。")}, code="result_unknown"
        )
    reply = (reply or "").strip()
    if len(reply) > 5000:
        raise ValidationError({"reply": _("答复不能超过 5000 字。")})
    do_transition(actor=actor, case=row.flow, action_code="reply", comment=reply)
    row.result, row.reply, row.replied_at = result, reply, timezone.now()
    row.save(update_fields=["result", "reply", "replied_at"])
    _record(actor, row, "reply", result=result)
    return _sync(ticket, row)


@transaction.atomic
def do_request_extension(*, actor, ticket: Ticket, days: int, reason: str) -> Extension:
    """申请延期: the department asks for more working days; nothing changes until the
    centre approves."""
    row = _locked(ticket)
    access.require_handler(actor, row)
    if not isinstance(days, int) or not 1 <= days <= 30:
        raise ValidationError({"days": _("延期天数须为 1 至 30 个工作日。")}, code="days_invalid")
    do_transition(actor=actor, case=row.flow, action_code="request_extension", comment=reason)
    ext = Extension.objects.create(
        ticket=row,
        days=days,
        reason=reason.strip(),
        requested_by=actor,
        requested_at=timezone.now(),
    )
    _record(actor, row, "request_extension", days=days)
    return ext


@transaction.atomic
def do_decide_extension(*, actor, ticket: Ticket, approve: bool, note: str = "") -> Extension:
    """延期审核: approved, the whole-ticket deadline moves by the asked working days;
    refused, the old deadline stands. Either way the ticket goes back to handling."""
    access.require_perm(actor, "hotline.supervise")
    row = _locked(ticket)
    ext = row.extensions.filter(state=Extension.State.PENDING).last()
    if ext is None:
        raise Conflict(_("该工单没有待审核的延期申请。"), code="no_extension")
    do_transition(
        actor=actor,
        case=row.flow,
        action_code="approve_extension" if approve else "refuse_extension",
        comment=note,
    )
    if approve:
        base = row.flow.case_due or timezone.localdate()
        due, _est = workdays.add_working_days(base, ext.days)
        do_set_case_due(
            actor=actor,
            case=row.flow,
            due=due,
            comment=bilingual(
                lambda: (
                    ngettext(
                        "同意延期 %(days)d 个工作日，至 %(due)s",
                        "同意延期 %(days)d 个工作日，至 %(due)s",
                        ext.days,
                    )
                    % {"days": ext.days, "due": due}
                )
            ),
        )
    ext.state = Extension.State.APPROVED if approve else Extension.State.REFUSED
    ext.decided_by, ext.decided_at, ext.decision_note = actor, timezone.now(), note
    ext.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    _record(actor, row, "decide_extension", approve=approve, days=ext.days)
    return ext


# --- 12345 centre: review, supervise, conclude, callback ---


@transaction.atomic
def do_send_back(*, actor, ticket: Ticket, comment: str) -> Ticket:
    """答复不合格: the centre sends the answer back to the department to redo."""
    access.require_perm(actor, "hotline.intake")
    row = _locked(ticket)
    do_transition(actor=actor, case=row.flow, action_code="send_back", comment=comment)
    _record(actor, row, "send_back")
    _tell(
        handlers_of(row.department),
        row,
        bilingual(lambda: _("答复被退回：%s") % row.number),
        comment,
        _staff_url(row),
    )
    return _sync(ticket, row)


@transaction.atomic
def do_supervise(*, actor, ticket: Ticket, comment: str) -> Ticket:
    """督办: the duty supervisor presses the handling department; noted in the history and
    sent to its handlers."""
    access.require_perm(actor, "hotline.supervise")
    row = _locked(ticket)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("督办须写明要求。")}, code="comment_required")
    if row.flow.closed_at is not None:
        raise Conflict(_("工单已办结，无需督办。"), code="case_closed")
    do_record_event(actor=actor, case=row.flow, action="supervise", comment=comment)
    _record(actor, row, "supervise")
    if row.department_id:
        _tell(
            handlers_of(row.department),
            row,
            bilingual(lambda: _("督办：%s") % row.number),
            comment,
            _staff_url(row),
        )
    return _sync(ticket, row)


@transaction.atomic
def do_conclude(*, actor, ticket: Ticket) -> Ticket:
    """办结: the centre accepts the answer; on time when within the whole-ticket limit."""
    access.require_perm(actor, "hotline.intake")
    row = _locked(ticket)
    do_transition(actor=actor, case=row.flow, action_code="conclude")
    now = timezone.now()
    row.concluded_at = now
    row.on_time = row.flow.case_due is None or timezone.localdate(now) <= row.flow.case_due
    row.save(update_fields=["concluded_at", "on_time"])
    _record(actor, row, "conclude", on_time=row.on_time)
    _tell_citizen(row, bilingual(lambda: _("您的诉求已办结：%s") % row.number), row.reply)
    return _sync(ticket, row)


@transaction.atomic
def do_callback(
    *, actor, ticket: Ticket, satisfaction: str, comment: str = "", via: str = Callback.Via.AGENT
) -> Callback:
    """回访/评价: satisfied or basically satisfied archives the ticket; unsatisfied re-opens
    it to the same department with a fresh limit, up to the configured number of times."""
    if via == Callback.Via.AGENT:
        access.require_perm(actor, "hotline.intake")
    if satisfaction not in (Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.UNSATISFIED):
        raise ValidationError(
            {"satisfaction": _("请选择满意、基本满意或不满意。")}, code="satisfaction_unknown"
        )
    row = _locked(ticket)
    if row.flow.state != "concluded":
        raise Conflict(_("工单尚未办结，暂不能评价。"), code="not_concluded")
    comment = (comment or "").strip()[:2000]
    reopen = (
        satisfaction == Satisfaction.UNSATISFIED
        and row.department_id is not None
        and row.reopen_count < settings.YIWANG["HOTLINE_MAX_REOPENS"]
    )
    engine_actor = actor if via == Callback.Via.AGENT else None
    label = Satisfaction(satisfaction).label
    if reopen:
        do_transition(
            actor=engine_actor,
            case=row.flow,
            action_code="reopen",
            comment=bilingual(lambda: _("回访不满意：%s") % (comment or label)),
        )
        due, _est = workdays.add_working_days(
            timezone.localdate(), settings.YIWANG["HOTLINE_REOPEN_DAYS"]
        )
        do_set_case_due(
            actor=engine_actor, case=row.flow, due=due, comment=bilingual(lambda: _("重办时限"))
        )
        row.reopen_count += 1
        row.result = ""
        row.concluded_at = None
        row.on_time = None
        _tell(
            handlers_of(row.department),
            row,
            bilingual(lambda: _("工单重办：%s") % row.number),
            comment,
            _staff_url(row),
        )
    else:
        do_transition(
            actor=engine_actor,
            case=row.flow,
            action_code="archive",
            comment=bilingual(
                lambda: _("评价：%(label)s %(comment)s") % {"label": label, "comment": comment}
            ),
        )
    row.satisfaction, row.rated_at = satisfaction, timezone.now()
    row.save(
        update_fields=[
            "satisfaction",
            "rated_at",
            "reopen_count",
            "result",
            "concluded_at",
            "on_time",
        ]
    )
    cb = Callback.objects.create(
        ticket=row,
        via=via,
        satisfaction=satisfaction,
        comment=comment,
        reopened=reopen,
        by=actor if getattr(actor, "pk", None) else None,
        at=timezone.now(),
    )
    _record(actor, row, "callback", via=via, satisfaction=satisfaction, reopened=reopen)
    return cb
