"""网格化管理 pages: the grid worker's phone page (their grids, the report form with photos
from the camera and the position from the browser, their grids' events and how far each
has got), one event with its history and the worker's check (核查) once concluded, and
the grid register for the 12345 值班长 and organisation admins (划定网格, 配备网格员)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from yiwang.core import uploads
from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.core.inbox import case_events
from yiwang.core.models import Division, User
from yiwang.core.workflow import definition_of
from yiwang.hotline import access
from yiwang.hotline.actions.grid import (
    CITY_PATH,
    GRID_LEVELS,
    MAX_PHOTOS,
    WORKER_ROLE,
    do_define_grid,
    do_report_grid_event,
    do_set_grid_workers,
    do_verify_grid_event,
)
from yiwang.hotline.actions.tickets import do_open_ticket_attachment
from yiwang.hotline.forms import (
    GridDefineForm,
    GridReportForm,
    GridVerifyForm,
    GridWorkersForm,
    posted_op,
)
from yiwang.hotline.models import Channel, Grid, Ticket, TicketAttachment

EVENTS_SHOWN = 50
GRIDS_PER_PAGE = 50


def _my_grids(user):
    return Grid.objects.filter(workers=user).select_related("division").order_by("code")


def _state_name(t: Ticket) -> str:
    return definition_of(t.flow.workflow).state_name(t.flow.state) if t.case_id else _("未流转")


def _state_names(tickets: list[Ticket]) -> list[Ticket]:
    """The tickets, each with its ``state_name`` set for the templates."""
    for t in tickets:
        setattr(t, "state_name", _state_name(t))  # noqa: B010 - an attribute the model lacks
    return tickets


def _events(grids) -> list[Ticket]:
    rows = (
        Ticket.objects.filter(channel=Channel.GRID, grid__in=grids)
        .select_related("case__workflow", "grid", "category", "department", "received_by")
        .order_by("-created_at", "-id")[:EVENTS_SHOWN]
    )
    return _state_names(list(rows))


@login_required
def grid_home(request: HttpRequest) -> HttpResponse:
    """网格员工作台: their grids, the report form, their grids' recent events."""
    user = request.user
    access.require_perm(user, "grid.report", _("只有网格员可以上报网格事件。"))
    grids = list(_my_grids(user))
    posted = request.method == "POST"
    form = GridReportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        grids=grids,
        max_photos=MAX_PHOTOS,
    )
    status = 200
    if posted:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = do_report_grid_event(
                    actor=user,
                    grid=data["grid"],
                    kind=data["kind"],
                    title=data["title"],
                    content=data["content"],
                    category=data["category"] or None,
                    address=data["address"],
                    longitude=data["longitude"] or None,
                    latitude=data["latitude"] or None,
                    photos=data["photos"],
                )
            except ValidationError as exc:
                form.add_refusal(exc)
                status = status_of(exc)
            else:
                messages.success(
                    request,
                    _("已上报，事件编号 %(number)s，当前环节：%(state)s。")
                    % {"number": ticket.number, "state": _state_name(ticket)},
                )
                return redirect("hotline:grid-event", pk=ticket.pk)
    return render(
        request,
        "hotline/grid/home.html",
        {
            "grids": grids,
            "events": _events(grids),
            "form": form,
            "can_manage": access.may_manage_grids(user),
        },
        status=status,
    )


def _event(request: HttpRequest, pk: int) -> Ticket:
    ticket = (
        access.tickets(request.user)
        .filter(channel=Channel.GRID, pk=pk)
        .select_related("case__workflow", "grid__division", "category", "department", "division")
        .first()
    )
    if ticket is None:
        raise Http404(_("未找到该事件，或您无权查看。"))
    return ticket


@login_required
def grid_event(request: HttpRequest, pk: int) -> HttpResponse:
    """网格事件: what was reported, photos, where it has got (流转记录), the answer, and —
    for the grid's workers once concluded — the check form (核查)."""
    ticket = _event(request, pk)
    may_verify = access.is_worker_of(request.user, ticket.grid)
    form = GridVerifyForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not may_verify:
            grid_name = ticket.grid.name if ticket.grid is not None else ""
            raise PermissionDenied(_("只有网格“%s”的网格员可以核查此事件。") % grid_name)
        status = 400
        if form.is_valid():
            try:
                cb = do_verify_grid_event(
                    actor=request.user,
                    ticket=ticket,
                    satisfied=form.cleaned_data["satisfied"] == "1",
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(
                    request,
                    _("核查不通过，已退回承办部门重新办理。")
                    if cb.reopened
                    else _("核查通过，事件已归档。"),
                )
                return redirect("hotline:grid-event", pk=ticket.pk)
        ticket = _event(request, pk)
    _state_names([ticket])
    return render(
        request,
        "hotline/grid/event.html",
        {
            "ticket": ticket,
            "events": case_events(ticket.flow) if ticket.case_id else [],
            "photos": list(ticket.attachments.all()),
            "callbacks": list(ticket.callbacks.select_related("by")),
            "can_verify": may_verify and ticket.case_id and ticket.flow.state == "concluded",
            "form": form,
        },
        status=status,
    )


@login_required
def grid_photo(request: HttpRequest, pk: int, photo_id: int) -> HttpResponseBase:
    """A photo of an event, for those who may see the event: decrypted, its SM3 digest
    checked (a changed file is refused, 409), the read logged."""
    ticket = _event(request, pk)
    photo = TicketAttachment.objects.filter(ticket=ticket, pk=photo_id).first()
    if photo is None:
        raise Http404(_("未找到该照片。"))
    data = do_open_ticket_attachment(actor=request.user, attachment=photo)
    return uploads.download(photo, data, inline=True)


# --- 网格管理 ---


def _grid_divisions():
    return Division.objects.filter(path__startswith=CITY_PATH, level__in=GRID_LEVELS).order_by(
        "code"
    )


def _candidates():
    return (
        User.objects.filter(
            kind=User.Kind.STAFF, is_active=True, role_assignments__role=WORKER_ROLE
        )
        .select_related("org_unit")
        .distinct()
        .order_by("org_unit__division_id", "username")
    )


def _save(request: HttpRequest, op: str, data: dict[str, Any]) -> Grid:
    """Run the grid register's form ``op`` (划定网格 or 配备网格员) and say it is done."""
    if op == "define":
        grid = do_define_grid(
            actor=request.user,
            code=data["code"],
            name=data["name"],
            division=data["division"],
            households=data["households"] or None,
        )
        messages.success(request, _("已保存网格 %s。") % grid.name)
    else:
        grid = do_set_grid_workers(actor=request.user, grid=data["grid"], workers=data["workers"])
        messages.success(request, _("已更新网格 %s 的网格员。") % grid.name)
    return grid


@login_required
def grid_manage(request: HttpRequest) -> HttpResponse:
    """网格管理: the grid register, a form to define (or rename) a grid and one to set
    a grid's workers (the hidden ``op`` says which was sent)."""
    if not access.may_manage_grids(request.user):
        raise PermissionDenied(_("只有12345值班长或组织机构管理员可以管理网格。"))
    op = posted_op(request.POST) if request.method == "POST" else ""
    if request.method == "POST" and op not in ("define", "workers"):
        raise ValidationError(_("未知的操作。"), code="op_unknown")
    define = GridDefineForm(request.POST if op == "define" else None, divisions=_grid_divisions())
    picked = request.GET.get("grid", "")[:24]
    chosen = Grid.objects.filter(code=picked).prefetch_related("workers").first()
    assign = GridWorkersForm(
        request.POST if op == "workers" else None,
        candidates=_candidates(),
        initial={
            "grid": picked,
            "workers": [str(u.pk) for u in chosen.workers.all()] if chosen else [],
        },
    )
    status = 200
    if op:
        form = define if op == "define" else assign
        status = 400
        if form.is_valid():
            try:
                grid = _save(request, op, form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                return redirect(reverse("hotline:grid-manage") + f"?grid={grid.code}")
    grids = (
        Grid.objects.select_related("division")
        .prefetch_related("workers")
        .annotate(events=Count("tickets"))
        .order_by("code")
    )
    page = Paginator(grids, GRIDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "hotline/grid/manage.html",
        {
            "page": page,
            "all_grids": Grid.objects.select_related("division").order_by("code"),
            "define_form": define,
            "workers_form": assign,
            "shown_grid": assign["grid"].value() or "",
        },
        status=status,
    )


urlpatterns = [
    path("grid/", grid_home, name="grid"),
    path("grid/events/<int:pk>/", grid_event, name="grid-event"),
    path("grid/events/<int:pk>/photos/<int:photo_id>/", grid_photo, name="grid-photo"),
    path("grid/manage/", grid_manage, name="grid-manage"),
]
