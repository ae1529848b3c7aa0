"""网格化管理: grids (网格) are defined by the 12345 centre or the organisation admins, grid
workers (网格员) are assigned to them, and workers report events (网格事件) found on their
rounds. An event is a 12345 ticket on the ``grid`` channel: it is dispatched, handled,
answered and concluded like any other, and the grid's worker verifies the result (核查)
in place of the caller's callback — satisfied archives it, unsatisfied re-opens it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit, uploads
from yiwang.core.models import Division, User
from yiwang.core.uploads import CheckedUpload
from yiwang.hotline import access
from yiwang.hotline.models import Callback, Channel, Grid, Kind, Satisfaction, Ticket

CITY_PATH = "/410800/"
GRID_LEVELS = ("township", "village")
GRID_CODE = re.compile(r"^[0-9A-Za-z-]{1,24}$")
WORKER_ROLE = access.GRID_WORKER_ROLE
# 网格事件照片: JPG or PNG only (a PDF, accepted on other channels, is refused here).
PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})
MAX_PHOTOS = 9


def _division(value) -> Division:
    division: Division | None
    if isinstance(value, Division):
        division = value
    else:
        division = Division.objects.filter(code=str(value or "").strip()[:12]).first()
    if division is None:
        raise ValidationError({"division": _("未知的区划：%s") % value}, code="division_unknown")
    if not division.path.startswith(CITY_PATH) or division.level not in GRID_LEVELS:
        raise ValidationError(
            {"division": _("网格须划在本市的乡镇街道或村社区内。")}, code="division_invalid"
        )
    return division


@transaction.atomic
def do_define_grid(
    *, actor, code: str, name: str, division, households: int | str | None = None
) -> Grid:
    """划定网格: a new grid, or the name, area and households of an existing code."""
    access.require_manage_grids(actor)
    code = (code or "").strip()
    if not GRID_CODE.match(code):
        raise ValidationError(
            {"code": _("网格编码须为 1–24 位字母、数字或连字符。")}, code="code_invalid"
        )
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("网格名称不能为空。")}, code="name_empty")
    if len(name) > 60:
        raise ValidationError({"name": _("网格名称不能超过 60 字。")}, code="name_too_long")
    division = _division(division)
    if households in ("", None):
        households = None
    else:
        try:
            households = int(households)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                {"households": _("户数须为整数。")}, code="households_invalid"
            ) from exc
        if not 0 <= households <= 100000:
            raise ValidationError(
                {"households": _("户数须在 0 至 100000 之间。")}, code="households_invalid"
            )
    grid = Grid.objects.select_for_update().filter(code=code).first()
    created = grid is None
    if grid is None:
        grid = Grid(code=code)
    else:
        if grid.division_id != division.code and grid.tickets.exists():
            raise ValidationError(
                {"division": _("网格已有上报事件，不能改划到其他区划。")}, code="grid_in_use"
            )
    grid.name, grid.division, grid.households = name, division, households
    grid.save()
    audit.record(
        actor=actor,
        action="hotline.grid.define",
        obj=grid,
        change={
            "code": code,
            "name": name,
            "division": division.code,
            "households": households,
            "created": created,
        },
    )
    return grid


@transaction.atomic
def do_set_grid_workers(*, actor, grid: Grid, workers: Iterable[User]) -> Grid:
    """配备网格员: the grid's workers become exactly ``workers`` — staff holding the
    网格员 role whose jurisdiction covers the grid."""
    access.require_manage_grids(actor)
    grid = Grid.objects.select_for_update().select_related("division").get(pk=grid.pk)
    chosen = {u.pk: u for u in workers}
    for user in chosen.values():
        if not access.is_grid_worker(user):
            raise ValidationError(
                {"workers": _("%s 不是在岗的网格员，不能配备到网格。") % user},
                code="not_grid_worker",
            )
        if not access.worker_covers(user, grid):
            raise ValidationError(
                {
                    "workers": _("网格员 %(user)s 的辖区不包括%(division)s。")
                    % {"user": user, "division": grid.division.name}
                },
                code="outside_jurisdiction",
            )
    before = set(grid.workers.values_list("pk", flat=True))
    grid.workers.set(list(chosen.values()))
    audit.record(
        actor=actor,
        action="hotline.grid.set_workers",
        obj=grid,
        change={
            "code": grid.code,
            "added": sorted(set(chosen) - before),
            "removed": sorted(before - set(chosen)),
        },
    )
    return grid


def _check_photos(photos) -> list[CheckedUpload]:
    """The photos checked by ``core.uploads``: JPG or PNG by their content, within the
    platform's size limit, at most ``MAX_PHOTOS``."""
    files = [p for p in photos if p]
    if len(files) > MAX_PHOTOS:
        raise ValidationError({"photos": _("照片最多 %d 张。") % MAX_PHOTOS}, code="too_many")
    out = []
    for f in files:
        try:
            out.append(
                uploads.check_upload(
                    f,
                    allowed=PHOTO_TYPES,
                    refused=_("现场照片须为 JPG 或 PNG 图片（%s 不是）。") % (f.name or "?"),
                )
            )
        except ValidationError as exc:
            raise ValidationError({"photos": exc.error_list}) from None
    return out


@transaction.atomic
def do_report_grid_event(
    *,
    actor,
    grid: Grid,
    kind: str,
    content: str,
    title: str = "",
    category=None,
    address: str = "",
    longitude=None,
    latitude=None,
    photos: Iterable = (),
) -> Ticket:
    """网格事件上报: a worker of ``grid`` reports what was found there (with optional
    JPG/PNG photos and WGS84 location); it becomes a ``grid`` ticket and, once its
    category is certain, is dispatched to the responsible department at once."""
    from yiwang.hotline.actions.tickets import do_take_ticket

    access.require_grid_reporter(actor, grid)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("未知的事件类型：%s") % kind}, code="kind_unknown")
    files = _check_photos(photos)
    ticket = do_take_ticket(
        actor=actor,
        channel=Channel.GRID,
        kind=kind,
        content=content,
        title=title,
        category=category,
        address=address,
        longitude=longitude,
        latitude=latitude,
        grid=grid,
        attachments=files,
    )
    audit.record(
        actor=actor,
        action="hotline.grid_event.report",
        obj=ticket,
        change={"number": ticket.number, "grid": grid.code, "photos": len(files)},
    )
    return ticket


@transaction.atomic
def do_verify_grid_event(*, actor, ticket: Ticket, satisfied: bool, comment: str = "") -> Callback:
    """网格员核查: a worker of the event's grid checks the concluded result on the spot;
    satisfied archives the event, unsatisfied re-opens it to the same department."""
    from yiwang.hotline.actions.handling import do_callback

    ticket = Ticket.objects.select_related("grid").get(pk=ticket.pk)
    if ticket.channel != Channel.GRID or ticket.grid is None:
        raise ValidationError(_("工单 %s 不是网格事件。") % ticket.number, code="not_grid_event")
    access.require_worker_of(
        actor, ticket.grid, _("只有网格“%s”的网格员可以核查此事件。") % ticket.grid.name
    )
    comment = (comment or "").strip()
    if not satisfied and not comment:
        raise ValidationError(
            {"comment": _("核查未通过时须写明现场情况。")}, code="comment_required"
        )
    # via=citizen: the check is the reporter's own evaluation (the applicant of the case),
    # not an agent's callback; the worker is kept as the one who evaluated.
    callback = do_callback(
        actor=actor,
        ticket=ticket,
        satisfaction=Satisfaction.SATISFIED if satisfied else Satisfaction.UNSATISFIED,
        comment=comment,
        via=Callback.Via.CITIZEN,
    )
    audit.record(
        actor=actor,
        action="hotline.grid_event.verify",
        obj=ticket,
        change={
            "number": ticket.number,
            "satisfied": bool(satisfied),
            "reopened": callback.reopened,
        },
    )
    return callback
