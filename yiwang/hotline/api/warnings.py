"""预警信息发布 API (mounted under /api/v1/hotline/): warnings in force for anyone; drafting
and publishing for ``warning.publish`` holders, who also see the sending progress and
who was reached."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from yiwang.core.access import require
from yiwang.core.identity.tokens import require_scope
from yiwang.core.models import Division
from yiwang.hotline import access
from yiwang.hotline.actions.warnings import (
    current,
    do_draft_warning,
    do_publish_warning,
    progress,
    reach_summary,
)
from yiwang.hotline.models import Warning

router = Router(tags=["12345 预警信息发布"])


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict]


class ErrorOut(Schema):
    error: ErrorBody


class WarningIn(Schema):
    title: str = Field(..., max_length=200)
    body: str = Field(..., max_length=4000, description="预警内容与防御指引（≤2000 字）")
    kind: str = Field(..., max_length=60, description="预警类别，如 暴雨、大风")
    level: str = Field(..., max_length=10, description="blue / yellow / orange / red")
    divisions: list[str] = Field(..., max_length=200, description="发布区域（区划代码）")
    groups: list[str] = Field(
        ..., max_length=10, description="发布对象：citizens / staff / grid_workers / enterprises"
    )
    channels: list[str] = Field(
        default_factory=list, max_length=10, description="站内消息之外的渠道，如 sms、email"
    )


class AreaOut(Schema):
    code: str
    name: str


class ProgressOut(Schema):
    audience: int | None = Field(..., description="接收人数（后台确定中为 null）")
    reached: int
    percent: int
    finished: bool
    background: bool


class WarningOut(Schema):
    id: int
    number: str
    title: str
    body: str
    kind: str
    level: str
    level_name: str
    state: str
    divisions: list[AreaOut]
    published_at: dt.datetime | None
    url: str


class WarningDetailOut(WarningOut):
    groups: list[str] | None = None
    channels: list[str] | None = None
    reached: int | None = None
    progress: ProgressOut | None = None
    summary: dict | None = Field(None, description="送达情况：按区域×对象、按渠道")


def warning_out(w: Warning) -> dict:
    from django.urls import reverse

    return {
        "id": w.pk,
        "number": w.number,
        "title": w.title,
        "body": w.body,
        "kind": w.kind,
        "level": w.level,
        "level_name": f"{Warning.Level(w.level).label}预警",
        "state": w.state,
        "divisions": [{"code": d.code, "name": d.name} for d in w.divisions.all()],
        "published_at": w.published_at,
        "url": reverse("hotline:warning", args=[w.pk]),
    }


def detail_out(user, w: Warning) -> dict:
    out = warning_out(w)
    if access.may_keep_warning(user, w):
        out.update(groups=w.groups, channels=w.channels, reached=w.reached)
        if w.state != Warning.State.DRAFT:
            out.update(progress=progress(w), summary=reach_summary(w))
    return out


def _warning(user, warning_id: int) -> Warning:
    w = access.warnings(user).prefetch_related("divisions").filter(pk=warning_id).first()
    if w is None:
        raise Http404(_("未找到该预警信息。"))
    return w


@router.get("/warnings", response=list[WarningOut], auth=None, url_name="hotline-warnings")
def list_warnings(
    request,
    division: str | None = Query(
        None, pattern=r"^\d{6,12}$", description="区划代码：只列出发布到该区划或其上级区划的预警"
    ),
):
    """当前预警 (no sign-in needed): published and not lifted, newest first; with
    ``division``, those that reach that place (issued for it or for an area containing it)."""
    qs = current()
    if division:
        place = Division.objects.filter(code=division).first()
        if place is None:
            raise HttpError(404, _("未找到区划：%s") % division)
        qs = qs.filter(divisions__code__in=place.path.strip("/").split("/")).distinct()
    return [warning_out(w) for w in qs.prefetch_related("divisions")[:500]]


@router.post("/warnings", response={201: WarningDetailOut, 403: ErrorOut, 422: ErrorOut})
def draft_warning(request, payload: WarningIn):
    """起草预警 (``warning.publish``): checked and numbered, nothing sent yet."""
    require_scope(request, "write")
    require(request.user, "warning.publish")
    w = do_draft_warning(actor=request.user, **payload.dict())
    return Status(201, detail_out(request.user, _warning(request.user, w.pk)))


@router.post(
    "/warnings/{warning_id}/publish",
    response={
        200: WarningDetailOut,
        202: WarningDetailOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
)
def publish_warning(request, warning_id: int):
    """发布预警: 200 when sent at once; 202 when a large audience is being sent in the
    background (poll ``GET /warnings/{id}`` for ``progress``). Publishing twice → 409."""
    require_scope(request, "write")
    require(request.user, "warning.publish")
    w = _warning(request.user, warning_id)
    w = do_publish_warning(actor=request.user, warning=w)
    out = detail_out(request.user, _warning(request.user, w.pk))
    return Status(200 if out["progress"]["finished"] else 202, out)


@router.get(
    "/warnings/{warning_id}",
    response={200: WarningDetailOut, 404: ErrorOut},
    auth=None,
    url_name="hotline-warning",
)
def get_warning(request, warning_id: int):
    """一条预警: published or lifted ones for anyone; drafts, progress and who was
    reached for ``warning.publish`` holders."""
    return detail_out(request.user, _warning(request.user, warning_id))
