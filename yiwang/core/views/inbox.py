"""Staff pages for cases: 我的待办 (inbox) and the case page with history, actions,
comments, attachments and 签收."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import access, uploads
from yiwang.core.actions.workflow import (
    do_assign,
    do_attach,
    do_comment,
    do_open_attachment,
    do_transition,
)
from yiwang.core.errors import error_codes, status_of
from yiwang.core.forms import add_errors
from yiwang.core.forms_pages import CaseOpForm, case_forms
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.inbox import (
    INBOX_SORTS,
    applicant_events,
    applicant_summary,
    case_events,
    case_summary,
    inbox_for,
    inbox_split,
    visible_cases,
)
from yiwang.core.paging import KeysetPaginator
from yiwang.core.subjects import page_for
from yiwang.core.workflow import available_actions, definition_of, handling_roles

# HTTP status of a refused upload; every other refusal answers by its kind.
UPLOAD_STATUS = {"too_large": 413, "bad_type": 415}


@login_required
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的待办: open cases waiting for me, soonest deadline first, overdue marked; paged
    by cursor (下一页/上一页), so any page costs the same whatever the backlog."""
    if request.user.kind != "staff":
        raise PermissionDenied(_("待办仅对工作人员开放。"))
    page = KeysetPaginator(
        inbox_for(request.user),
        sorts=INBOX_SORTS,
        default="due",
        per_page=50,
        split=inbox_split(request.user),
    ).get_page(request.GET)
    today = timezone.localdate()
    rows = [case_summary(c, today) for c in page.object_list]
    return render(
        request,
        "core/inbox.html",
        {"page": page, "rows": rows, "any_estimated": any(r["calendar_estimated"] for r in rows)},
    )


def _run(op: str, data: dict, user, case) -> str:
    """Run the operation of the form sent (``op``); returns the success message."""
    if op == "transition":
        do_transition(actor=user, case=case, action_code=data["action"], comment=data["comment"])
        return _("已办理：%(state)s") % {
            "state": definition_of(case.workflow).state_name(case.state)
        }
    if op == "claim":
        do_assign(actor=user, case=case, assignee=user)
        return _("已签收，该案件只出现在您的待办中。")
    if op == "release":
        do_assign(actor=user, case=case, assignee=None)
        return _("已退回组内待办。")
    if op == "comment":
        do_comment(actor=user, case=case, comment=data["comment"])
        return _("意见已保存。")
    do_attach(actor=user, case=case, uploaded_file=data["file"])
    return _("附件已上传。")


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """办件详情: history, attachments, the actions open to me as buttons, comment box.
    Each of its forms says which it is by a hidden ``op``; a refused one re-renders with
    the error summary, its messages on its fields and what was typed kept."""
    case = access.pick(visible_cases(request.user), pk)
    room_page = page_for(case, request.user)
    if room_page:
        return redirect(room_page)
    own = applicants_view(request.user)
    posted = request.method == "POST"
    op_form = CaseOpForm(request.POST if posted else None)
    op = op_form.cleaned_data["op"] if posted and op_form.is_valid() else ""
    if own and op and op not in _applicant_ops(case):
        raise PermissionDenied(_("申请人不能在办件上进行此操作。"))
    forms = case_forms(op, request.POST, request.FILES) if op else case_forms()
    status = 200
    if posted:
        status = 400
        form = forms.get(op)
        if form is not None and form.is_valid():
            try:
                done = _run(op, form.cleaned_data, request.user, case)
            except ValidationError as exc:
                add_errors(form, exc)
                # An upload the attachment check refused keeps its own status.
                codes = error_codes(exc)
                status = max([status_of(exc), *(UPLOAD_STATUS.get(c, 0) for c in codes)])
            else:
                messages.success(request, done)
                return redirect("core:case", pk=case.pk)
    if own:
        return _applicant_page(request, case, forms, op_form, status)
    d = definition_of(case.workflow)
    user = request.user
    actions = available_actions(user, case)
    can_claim = (
        case.closed_at is None
        and case.assignee_id != user.pk
        and bool(handling_roles(user, case) & d.roles_acting_in(case.state))
    )
    context = {
        "case": case,
        "row": case_summary(case),
        "actions": actions,
        # The usual way forward is highlighted: the first action needing no opinion.
        "primary_action": next((a.code for a in actions if not a.comment_required), ""),
        "events": case_events(case),
        "attachments": case.attachments.all(),
        "can_claim": can_claim,
        "can_release": case.closed_at is None and case.assignee_id == user.pk,
        "op_form": op_form,
        "forms": forms,
    }
    return render(request, "core/case.html", context, status=status)


def applicants_view(user) -> bool:
    """Whether ``user`` sees cases as an applicant (申请人视图): citizens and enterprises
    never see a case's handling (承办人, 备注, 督办, the calendar's estimates) — the only
    cases they may open are their own."""
    return getattr(user, "kind", "") != "staff"


def _applicant_ops(case) -> set[str]:
    """What an applicant may send from their case's page: the steps open to them (撤回,
    提交补正材料), and files while it is their turn to supply them (补正)."""
    if case.closed_at is not None:
        return set()
    if definition_of(case.workflow).applicants_turn(case.state):
        return {"transition", "attach"}
    return {"transition"}


def _applicant_page(request, case, forms, op_form, status: int) -> HttpResponse:
    """办件进度 as the applicant sees it: the step and the promised completion date, the
    department, what happened when, and the steps open to them — no handling details."""
    ops = _applicant_ops(case)
    actions = available_actions(request.user, case) if "transition" in ops else []
    row = applicant_summary(case)
    if case.closed_at:
        step = _("已办结（%s）") % row["state_name"]
        due = (_("办结时间"), timezone.localtime(case.closed_at).strftime("%Y-%m-%d"))
    else:
        step = row["state_name"]
        due = (_("承诺办结时限"), case.case_due.isoformat() if case.case_due else "—")
    facts = [
        (_("办件编号"), case.number),
        (_("办理进度"), step),
        (_("受理部门"), f"{row['division']} · {row['department']}"),
        (_("申请时间"), timezone.localtime(case.opened_at).strftime("%Y-%m-%d %H:%M")),
        due,
    ]
    context = {
        "case": case,
        "row": row,
        "facts": facts,
        "actions": actions,
        "events": applicant_events(case),
        "attachments": case.attachments.all(),
        "can_attach": "attach" in ops,
        "op_form": op_form,
        "forms": forms,
    }
    return render(request, "core/case_applicant.html", context, status=status)


@login_required
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    """Download an attachment of a visible case: decrypted, its SM3 digest checked."""
    case = access.pick(visible_cases(request.user), pk)
    att = get_object_or_404(case.attachments, pk=attachment_id)
    data = do_open_attachment(actor=request.user, attachment=att)  # altered file: 409
    return uploads.download(att, data)
