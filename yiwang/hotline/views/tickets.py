"""Staff pages of the 12345 room: the agent console (fast intake with knowledge search
and similar tickets beside the form, and the agent's queues), one ticket with the steps
the user may take, the department's handling list and the supervisor overview."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from yiwang.core.access import has_perm, pick
from yiwang.core.errors import status_of
from yiwang.core.inbox import case_events
from yiwang.core.masking import masked, reveal_fields
from yiwang.core.paging import KeysetPaginator, capped_count
from yiwang.hotline import access, stats
from yiwang.hotline.actions import handling
from yiwang.hotline.actions.tickets import do_take_ticket
from yiwang.hotline.forms import (
    STEP_FORMS,
    RevealForm,
    TakeCallForm,
    TicketStepForm,
    posted_op,
)
from yiwang.hotline.models import Callback, Extension, Ticket
from yiwang.hotline.models.tickets import HANDLING_STATES
from yiwang.hotline.operations import operations
from yiwang.hotline.queries import for_list, queue_states, row, rows, waiting, with_case


def home(request: HttpRequest) -> HttpResponse:
    """12345 诉求: how to reach the hotline, submit and follow a request; staff see their
    own entry points."""
    user = request.user
    return render(
        request,
        "hotline/home.html",
        {
            "can_take": access.may_take(user),
            "can_handle": has_perm(user, "hotline.handle"),
            "can_view": has_perm(user, "hotline.view"),
            "can_grid": has_perm(user, "grid.report"),
            "can_publish": has_perm(user, "warning.publish"),
            "can_supervise": has_perm(user, "hotline.supervise"),
            "can_edit_taxonomy": access.may_edit_taxonomy(user),
            "is_public": getattr(user, "kind", "") in ("citizen", "enterprise"),
        },
    )


# The console's queues by step (a step not named here is listed by its workflow name).
QUEUE_LABELS = {
    "registered": _lazy("待派单（含待确认分类）"),
    "returned": _lazy("退单待审核"),
    "replied": _lazy("已答复待审核"),
    "concluded": _lazy("待回访"),
    "extension": _lazy("延期待审核"),
    "dispatched": _lazy("已派单待签收（可合并）"),
}


def _queues(user) -> list[dict[str, Any]]:
    """The agent's work lists, one per step in which they may act — to confirm and
    dispatch, returned, answered, to call back, extensions to decide (值班长) — drawn from
    the tickets waiting for them (``waiting``: the inbox's own definition), each with
    how many wait in it, so together they show what the workbench counts."""
    mine = waiting(user)
    listed = for_list(mine).order_by("-created_at", "-id")
    # Each queue reads the newest 20 tickets of one step through the (step, time) index.
    return [
        {
            "state": code,
            "label": QUEUE_LABELS[code],
            "count": capped_count(mine.filter(case_state=code)),
            "rows": rows(listed.filter(case_state=code)[:20]),
        }
        for code in queue_states(user)
    ]


@login_required
def console(request: HttpRequest) -> HttpResponse:
    """话务员工作台: take a call in seconds; knowledge answers and similar tickets appear
    beside the form as the agent types."""
    if not access.may_take(request.user):
        raise PermissionDenied(_("只有 12345 话务员和值班长可以使用受理台。"))
    form = TakeCallForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                ticket = do_take_ticket(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_refusal(exc)
                status = status_of(exc)
            else:
                messages.success(
                    request,
                    _("已受理，工单编号 %(number)s，查询码 %(code)s（请告知来电人）。")
                    % {"number": ticket.number, "code": ticket.query_code},
                )
                return redirect("hotline:ticket", pk=ticket.pk)
    context = {"form": form, "queues": _queues(request.user)}
    return render(request, "hotline/console.html", context, status=status)


def _dispatch(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """派单: to the department chosen (or the one the routing rules suggest)."""
    handling.do_dispatch(
        actor=u,
        ticket=ticket,
        department=data["department"],
        category=data["category"],
        comment=data["comment"],
    )
    return _("已派单。")


def _answer_now(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """即时办结: the agent answers the caller directly."""
    handling.do_answer_now(actor=u, ticket=ticket, answer=data["answer"])
    return _("已即时答复并办结。")


def _hand_off(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """移交应急联动: an emergency goes to 110/119/120."""
    handling.do_hand_off(actor=u, ticket=ticket, service=data["service"], comment=data["comment"])
    return _("已移交应急联动。")


def _merge(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """合并工单: into another ticket the user may see, named by its number."""
    from yiwang.hotline.actions.duplicates import do_merge_ticket

    into = access.tickets(u).filter(number=data["into"]).first()
    if into is None:
        raise ValidationError({"into": _("未找到要并入的工单：%s") % data["into"]})
    do_merge_ticket(actor=u, ticket=ticket, into=into, comment=data["comment"])
    return _("已合并到 %s。") % into.number


def _sign(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """签收: the department accepts the ticket."""
    handling.do_sign(actor=u, ticket=ticket)
    return _("已签收。")


def _return(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """退单: the department says it is not theirs, with the reason."""
    handling.do_return(actor=u, ticket=ticket, reason=data["comment"])
    return _("已退单。")


def _reject_return(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """退单不成立: the return is refused and the ticket goes back."""
    handling.do_reject_return(actor=u, ticket=ticket, comment=data["comment"])
    return _("退单不成立，已退回原部门。")


def _reply(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """答复: the department's result and reply to the caller."""
    handling.do_reply(actor=u, ticket=ticket, result=data["result"], reply=data["comment"])
    return _("已答复。")


def _request_extension(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """申请延期: more working days, decided by the 12345 duty supervisor."""
    handling.do_request_extension(actor=u, ticket=ticket, days=data["days"], reason=data["comment"])
    return _("已申请延期，待 12345 值班长审核。")


def _decide_extension(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """延期审核: the duty supervisor approves or refuses."""
    approve = data["decision"] == "approve"
    handling.do_decide_extension(actor=u, ticket=ticket, approve=approve, note=data["comment"])
    return _("已同意延期。") if approve else _("已不同意延期。")


def _send_back(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """退回重办: the reply is not good enough."""
    handling.do_send_back(actor=u, ticket=ticket, comment=data["comment"])
    return _("已退回承办部门重办。")


def _conclude(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """办结."""
    handling.do_conclude(actor=u, ticket=ticket)
    return _("已办结。")


def _callback(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """回访: an unsatisfied caller reopens the ticket."""
    cb = handling.do_callback(
        actor=u, ticket=ticket, satisfaction=data["satisfaction"], comment=data["comment"]
    )
    return _("回访不满意，已重办。") if cb.reopened else _("已回访归档。")


def _supervise(u, ticket: Ticket, data: dict[str, Any]) -> str:
    """督办."""
    handling.do_supervise(actor=u, ticket=ticket, comment=data["comment"])
    return _("已督办。")


# Page operation (the form's ``op``) → what runs it, with what its form
# (``hotline.forms.STEP_FORMS``) read; which of them a user may take on a ticket is
# decided by ``operations``, not here.
PAGE_OPERATIONS = {
    "dispatch": _dispatch,
    "answer_now": _answer_now,
    "hand_off": _hand_off,
    "merge": _merge,
    "sign": _sign,
    "return": _return,
    "reject_return": _reject_return,
    "reply": _reply,
    "extension": _request_extension,
    "decide_extension": _decide_extension,
    "send_back": _send_back,
    "conclude": _conclude,
    "callback": _callback,
    "supervise": _supervise,
}


def _step_forms(t: Ticket, ops: set[str], posted: TicketStepForm | None) -> dict[str, Any]:
    """The form of each step the user may take now; the one just sent as it was sent."""
    return {
        op: posted if posted is not None and posted.step == op else STEP_FORMS[op](ticket=t)
        for op in ops
        if op in STEP_FORMS
    }


def _reveal(request: HttpRequest, t: Ticket, form: RevealForm) -> tuple[dict[str, Any], int]:
    """查看完整个人信息 for the purpose given: the contact in clear (logged), or the
    form's refusal and its status."""
    contact = {
        "name": masked("name", t.contact_name),
        "phone": masked("phone", t.contact_phone),
        "revealed": False,
    }
    if not form.is_bound:
        return contact, 200
    if not form.is_valid():
        return contact, 400
    purpose = form.cleaned_data["purpose"]
    try:
        subject = t.citizen.id_number if t.citizen_id and t.citizen is not None else ""
        clear = reveal_fields(
            request.user, t, ("contact_name", "contact_phone"), purpose, subject=subject
        )
        contact = {
            "name": clear["contact_name"],
            "phone": clear["contact_phone"],
            "revealed": True,
        }
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return contact, 403
    return contact, 200


@login_required
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """One ticket for staff: what was asked, where and by whom (masked), how it was
    classified and routed, deadlines, history, and the steps the user may take."""
    t = pick(with_case(access.tickets(request.user)), pk)
    summary: list[str] = []
    op = posted_op(request.POST) if request.method == "POST" else ""
    reveal_form = RevealForm(request.POST if op == "reveal" else None)
    contact, status = _reveal(request, t, reveal_form)
    posted: TicketStepForm | None = None
    if op and op != "reveal":
        if op not in set(operations(request.user, t)) or op not in STEP_FORMS:
            summary, status = [_("您现在不能对该工单执行此操作。")], 403
        else:
            posted = STEP_FORMS[op](request.POST, ticket=t)
            status = 400
            if posted.is_valid():
                try:
                    done = PAGE_OPERATIONS[op](request.user, t, posted.cleaned_data)
                except ValidationError as exc:
                    posted.add_refusal(exc)
                    status = status_of(exc)
                else:
                    messages.success(request, done)
                    return redirect("hotline:ticket", pk=t.pk)
            t = pick(with_case(access.tickets(request.user)), pk)
    ops = set(operations(request.user, t))
    context = {
        "t": t,
        "r": row(t),
        "contact": contact,
        "can_reveal": has_perm(request.user, "personal.unmask") and not t.anonymous,
        "reveal_form": reveal_form,
        "ops": ops,
        "steps": _step_forms(t, ops, posted),
        "posted": posted,
        "summary": summary,
        "events": case_events(t.case) if t.case_id else [],
        "attachments": t.attachments.all(),
        "returns": t.returns.select_related("department", "returned_by"),
        "extensions": t.extensions.select_related("requested_by", "decided_by"),
        "pending_extension": t.extensions.filter(state=Extension.State.PENDING).last(),
        "callbacks": t.callbacks.all(),
        "links": t.links.select_related("other").order_by("-score")[:5],
    }
    return render(request, "hotline/ticket.html", context, status=status)


# 承办工单 tabs: the steps each shows (None: every ticket of the departments).
DEPARTMENT_TABS = {"open": HANDLING_STATES, "done": ("replied", "concluded", "archived")}


@login_required
def department_list(request: HttpRequest) -> HttpResponse:
    """承办工单: the tickets of the user's departments, to sign, handle and answer, the
    soonest whole-ticket deadline (and so the overdue) first; paged by cursor through
    the department's (deadline, id) index, whatever the backlog."""
    access.require_perm(request.user, "hotline.handle", _("只有承办部门的人员可以查看承办工单。"))
    mine = access.department_tickets(request.user)
    tab = request.GET.get("tab", "open")
    # 待办: the department's tickets waiting for this user (the inbox's definition) —
    # not those another colleague has taken, nor those waiting on the 12345 centre.
    open_ = waiting(request.user, mine.filter(case_state__in=DEPARTMENT_TABS["open"]))
    qs = for_list(open_ if tab == "open" else mine)
    states = DEPARTMENT_TABS.get(tab)
    if tab != "open" and states is not None:
        qs = qs.filter(case_state__in=states)
    today = timezone.localdate()
    page = KeysetPaginator(
        qs,
        sorts={"due": "case_due_key"},
        default="due",
        per_page=30,
        split=access.department_split(request.user),
    ).get_page(request.GET)
    return render(
        request,
        "hotline/department.html",
        {
            "page": page,
            "rows": [row(t, today) for t in page.object_list],
            "tab": tab,
            "tabs": [("open", _("待办")), ("done", _("已答复")), ("all", _("全部"))],
            "waiting": capped_count(open_),
        },
    )


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """运行总览 for the duty supervisor and leaders: on-time closure, closure and
    satisfaction rates, per department, trends, and what waits on the centre."""
    access.require_perm(request.user, "hotline.view", _("您无权查看 12345 运行总览。"))
    qs = access.tickets(request.user)
    days = 30
    overdue = for_list(qs).filter(stats.listed_overdue_q()).order_by("case_due_key", "id")[:20]
    return render(
        request,
        "hotline/overview.html",
        {
            "kpis": stats.kpis(qs),
            "departments": stats.by_department(qs)[:30],
            "daily": stats.daily_counts(qs, days),
            "days": days,
            "overdue": rows(overdue),
            "pending_extensions": rows(for_list(qs).filter(case_state="extension")[:20]),
            "pending_returns": rows(for_list(qs).filter(case_state="returned")[:20]),
            "callbacks": Callback.objects.filter(ticket__in=qs).count(),
        },
    )


@login_required
def caller_history(request: HttpRequest) -> HttpResponse:
    """来电历史 (htmx partial): earlier tickets from the same phone number, for the agent."""
    if not access.may_take(request.user):
        raise PermissionDenied(_("只有 12345 话务员和值班长可以查看来电历史。"))
    phone = "".join(request.GET.get("contact_phone", "").split())
    found = []
    if len(phone) >= 7:
        index = Ticket._meta.get_field("contact_phone_index").index_of(phone)
        found = rows(with_case(access.tickets(request.user).filter(contact_phone_index=index))[:10])
    return render(request, "hotline/_caller_history.html", {"rows": found, "phone": phone})


urlpatterns = [
    path("", home, name="home"),
    path("console/", console, name="console"),
    path("console/caller/", caller_history, name="caller-history"),
    path("tickets/<int:pk>/", ticket, name="ticket"),
    path("department/", department_list, name="department"),
    path("overview/", overview, name="overview"),
]
