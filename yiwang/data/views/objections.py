"""数据异议 and 数据冲突 pages: raise an objection on one registry value, follow it
(time limit and overdue from the workflow engine), correct or explain as the authority;
list the conflicts a department must resolve and accept or object."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.access import has_perm, require
from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.inbox import case_events
from yiwang.data import access
from yiwang.data.actions.conflicts import do_accept_conflict, do_object_conflict, objection_for
from yiwang.data.actions.objections import (
    do_correct_objection,
    do_explain_objection,
    do_raise_objection,
    open_actions,
)
from yiwang.data.actions.reads import do_record_objection_view
from yiwang.data.forms import (
    ConflictObjectForm,
    NoQuestions,
    ObjectionCorrectForm,
    ObjectionExplainForm,
    ObjectionForm,
    Steps,
    renamed,
)
from yiwang.data.models import Conflict, DataObjection
from yiwang.data.queries.objections import (
    conflict_row,
    filtered_objections,
    objection_row,
    visible_conflicts,
    visible_objections,
)
from yiwang.data.queries.registries import get_record
from yiwang.data.registry import REGISTRIES

STATUS_FILTERS = ("open", "overdue", "closed")


def _staff(request: AuthenticatedHttpRequest) -> None:
    access.require_data_staff(request.user, _("数据异议仅对数据专员和审核人员开放。"))


@login_required
def objections(request: AuthenticatedHttpRequest) -> HttpResponse:
    """数据异议 list: raised by or owed by my department; overdue ones marked."""
    _staff(request)
    status = request.GET.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    page = Paginator(filtered_objections(request.user, status), 50).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    rows = [objection_row(o, today) for o in page.object_list]
    return render(
        request,
        "data/objections/list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "query": f"status={status}" if status else "",
            "can_raise": has_perm(request.user, "data.manage"),
        },
    )


@login_required
def objection_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """提出数据异议: by registry + natural key (or from a record page), field, proposed
    value and reason."""
    _staff(request)
    require(request.user, "data.manage", message=_("只有数据专员可以提出数据异议。"))
    status = 200
    if request.method == "POST":
        form = ObjectionForm(request.POST)
    else:  # a record page links here with the record and field filled in
        form = ObjectionForm({k: request.GET.get(k, "") for k in ObjectionForm.base_fields})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        record = None
        if data["record"]:
            if not data["record"].isdigit() or data["registry"] not in REGISTRIES:
                raise Http404
            record = get_record(request.user, data["registry"], int(data["record"]))
        try:
            objection = do_raise_objection(
                actor=request.user,
                registry=data["registry"],
                key=data["key"],
                record=record,
                field=data["field"],
                proposed_value=data["proposed_value"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
            status = status_of(exc)
        else:
            messages.success(
                request, _("数据异议 %s 已提交，权威部门将在时限内核实。") % objection.number
            )
            return redirect("data:objection", pk=objection.pk)
    return render(request, "data/objections/new.html", {"form": form}, status=status)


OBJECTION_STEPS = {"correct": ObjectionCorrectForm, "explain": ObjectionExplainForm}


def _answer(user, obj: DataObjection, op: str, data: dict) -> str:
    """Take the authority's step on an objection; what to tell the user."""
    if op == "correct":
        do_correct_objection(actor=user, objection=obj, **data)
        return _("已更正，基础库记录已生成新版本，已通知提出部门和共享使用部门。")
    do_explain_objection(actor=user, objection=obj, **data)
    return _("已答复提出部门。")


@login_required
def objection(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One objection: facts, values, the case's history, and (for the authority's
    stewards) the actions 更正 / 说明."""
    _staff(request)
    obj = visible_objections(request.user).filter(pk=pk).first()
    if obj is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    steps = Steps(request.POST if request.method == "POST" else None, OBJECTION_STEPS)
    steps["correct"].fields["value"].widget.attrs["placeholder"] = obj.proposed_value
    status = 200
    if request.method == "POST":
        status = 400
        form = steps.sent
        if form is not None and form.is_valid():
            try:
                done = _answer(request.user, obj, steps.op, form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, renamed(exc, proposed_value="value"))
                status = status_of(exc)
            else:
                messages.success(request, done)
                return redirect("data:objection", pk=obj.pk)
    personal = do_record_objection_view(actor=request.user, objection=obj)
    actions = open_actions(request.user, obj)
    context = {
        "o": obj,
        "row": objection_row(obj, clear=True),
        "events": case_events(obj.case) if obj.case_id else [],
        "can_correct": "correct" in actions,
        "can_explain": "explain" in actions,
        "steps": steps,
        "personal": personal,
    }
    return render(request, "data/objections/detail.html", context, status=status)


@login_required
def conflicts(request: AuthenticatedHttpRequest) -> HttpResponse:
    """数据冲突 list: those my department must resolve, and those against my values."""
    _staff(request)
    status = request.GET.get("status", "open")
    qs = visible_conflicts(request.user)
    if status in Conflict.Status.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "data/conflicts/list.html",
        {
            "page": page,
            "rows": [conflict_row(c) for c in page.object_list],
            "status": status,
            "statuses": Conflict.Status.choices,
            "query": f"status={status}",
        },
    )


@login_required
def conflict(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One conflict: accept the authority's value, or raise an objection against it."""
    _staff(request)
    obj = visible_conflicts(request.user).filter(pk=pk).first()
    if obj is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    steps = Steps(
        request.POST if request.method == "POST" else None,
        {"accept": NoQuestions, "object": ConflictObjectForm},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if steps.op == "accept":  # a button alone: RefusalMiddleware answers its refusal
            do_accept_conflict(actor=request.user, conflict=obj)
            messages.success(request, _("已采纳权威值。"))
            return redirect("data:conflict", pk=obj.pk)
        form = steps.sent
        if form is not None and form.is_valid():
            try:
                made = do_object_conflict(actor=request.user, conflict=obj, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(request, _("已提出数据异议 %s。") % made.number)
                return redirect("data:objection", pk=made.pk)
    can_resolve = (
        obj.status == Conflict.Status.OPEN
        and access.by_department(
            request.user, Conflict.objects.filter(pk=obj.pk), "data.manage", "department"
        ).exists()
    )
    context = {
        "c": obj,
        "row": conflict_row(obj),
        "objection": objection_for(obj),
        "can_resolve": can_resolve,
        "steps": steps,
    }
    return render(request, "data/conflicts/detail.html", context, status=status)


urlpatterns = [
    path("objections/", objections, name="objections"),
    path("objections/new/", objection_new, name="objection_new"),
    path("objections/<int:pk>/", objection, name="objection"),
    path("conflicts/", conflicts, name="conflicts"),
    path("conflicts/<int:pk>/", conflict, name="conflict"),
]
