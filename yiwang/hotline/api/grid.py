"""网格化管理 API (mounted under /api/v1/hotline/): the grids a caller works in or manages,
and their events — a grid worker reports one (multipart, with JPG/PNG photos) and gets
back the 12345 ticket number and where it stands."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from yiwang.core.access import has_perm
from yiwang.core.identity.tokens import require_scope
from yiwang.core.workflow import definition_of
from yiwang.hotline import access
from yiwang.hotline.actions.grid import do_report_grid_event
from yiwang.hotline.models import Channel, Grid, Ticket

router = Router(tags=["12345 网格化管理"])
EVENTS_MAX = 200


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict]


class ErrorOut(Schema):
    error: ErrorBody


class GridOut(Schema):
    code: str
    name: str
    division: str
    division_name: str
    households: int | None
    workers: list[str] = Field(..., description="网格员用户名")


class EventOut(Schema):
    number: str
    title: str
    kind: str
    status: str = Field(..., description="流程环节编码")
    status_name: str
    category: str | None
    department: str | None
    grid: str
    created_at: dt.datetime
    concluded_at: dt.datetime | None
    satisfaction: str


def grid_out(g: Grid) -> dict:
    return {
        "code": g.code,
        "name": g.name,
        "division": g.division_id,
        "division_name": g.division.name,
        "households": g.households,
        "workers": [u.username for u in g.workers.all()],
    }


def event_out(t: Ticket) -> dict:
    assert t.grid is not None, "grid events are reported in a grid"
    state = t.flow.state if t.case_id else ""
    return {
        "number": t.number,
        "title": t.title,
        "kind": t.kind,
        "status": state,
        "status_name": definition_of(t.flow.workflow).state_name(state) if t.case_id else "",
        "category": t.category.code if t.category is not None else None,
        "department": t.department.name if t.department is not None else None,
        "grid": t.grid.code,
        "created_at": t.created_at,
        "concluded_at": t.concluded_at,
        "satisfaction": t.satisfaction,
    }


def _visible_grids(user):
    qs = Grid.objects.select_related("division").prefetch_related("workers").order_by("code")
    if access.may_manage_grids(user) or has_perm(user, "hotline.view"):
        return qs
    if has_perm(user, "grid.report"):
        return qs.filter(workers=user)
    raise PermissionDenied(_("您没有查看网格的权限。"))


def _grid(user, code: str) -> Grid:
    grid = _visible_grids(user).filter(code=code.replace("\x00", "")[:24]).first()
    if grid is None:
        raise Http404(_("未找到该网格，或您无权查看。"))
    return grid


@router.get("/grids", response={200: list[GridOut], 403: ErrorOut}, url_name="hotline-grids")
def list_grids(request):
    """网格: a grid worker's own grids; the 12345 centre and organisation admins see all."""
    require_scope(request, "read")
    return [grid_out(g) for g in _visible_grids(request.user)[:5000]]


@router.post(
    "/grids/{code}/events",
    response={201: EventOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 422: ErrorOut},
)
def report_event(
    request,
    code: str,
    content: Form[str],
    kind: Form[str] = "report",
    title: Form[str] = "",
    category: Form[str] = "",
    address: Form[str] = "",
    longitude: Form[str] = "",
    latitude: Form[str] = "",
    # django-ninja passes None when no file is sent; its File[...] marker has no Optional form.
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
):
    """网格事件上报 (multipart): ``content`` required; ``kind`` a 诉求类型 (default report
    问题隐患); optional ``category`` code, ``address``, WGS84 ``longitude``/``latitude`` and
    up to 9 ``photos`` (JPG/PNG). Only the grid's own workers may report."""
    require_scope(request, "write")
    grid = (
        Grid.objects.select_related("division").filter(code=code.replace("\x00", "")[:24]).first()
    )
    if grid is None:
        raise Http404(_("未找到该网格，或您无权查看。"))
    if not access.is_worker_of(request.user, grid):
        raise PermissionDenied(_("您不是网格“%s”的网格员。") % grid.name)
    ticket = do_report_grid_event(
        actor=request.user,
        grid=grid,
        kind=kind.replace("\x00", "")[:12],
        content=content.replace("\x00", ""),
        title=title.replace("\x00", ""),
        category=category.replace("\x00", "")[:16] or None,
        address=address.replace("\x00", ""),
        longitude=longitude or None,
        latitude=latitude or None,
        photos=photos or (),
    )
    ticket = Ticket.objects.select_related("case__workflow", "category", "department", "grid").get(
        pk=ticket.pk
    )
    return Status(201, event_out(ticket))


@router.get(
    "/grids/{code}/events",
    response={200: list[EventOut], 403: ErrorOut, 404: ErrorOut},
    url_name="hotline-grid-events",
)
def list_events(request, code: str):
    """网格事件 of one grid, newest first, with where each stands."""
    require_scope(request, "read")
    grid = _grid(request.user, code)
    rows = (
        access.tickets(request.user)
        .filter(channel=Channel.GRID, grid=grid)
        .select_related("case__workflow", "category", "department", "grid")
        .order_by("-created_at", "-id")[:EVENTS_MAX]
    )
    return [event_out(t) for t in rows]
