"""好差评 API under /api/v1/services/ratings: rate a finished 办件 (the applicant, once),
issue and rate window visits (the visitor needs only the rating code), my ratings, the
published statistics (per staff member for staff only) and 差评整改 (list, detail, act)."""

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.security import django_auth
from pydantic import Field

from yiwang.core.api.pagination import Mapped, Pagination
from yiwang.core.identity.tokens import BearerAuth, require_scope
from yiwang.core.inbox import case_events
from yiwang.services import access, queries
from yiwang.services.actions.ratings import (
    do_act_rectification,
    do_issue_visit_ticket,
    do_rate_application,
    do_rate_visit,
    rectification_actions,
)
from yiwang.services.models import Rating
from yiwang.services.stats import (
    published_stats,
    published_summary,
    rating_stats,
    rating_summary,
)

router = Router()


def _anyone(request):
    """Public calls: no credentials needed (a bearer token or session still counts)."""
    return "anonymous"


PUBLIC = [BearerAuth(), django_auth, _anyone]


class RateIn(Schema):
    level: int = Field(..., description="1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意")
    comment: str = Field("", max_length=1000)


class VisitRateIn(RateIn):
    token: str = Field("", max_length=16, description="评价码（凭条或二维码上）")
    contact_phone: str = Field("", max_length=20, description="回访手机号（选填）")


class VisitIn(Schema):
    item: str = Field(..., max_length=40, description="事项编码")
    applicant_id_type: str = Field("", max_length=3, description="111 身份证 / 001 信用代码")
    applicant_id_number: str = Field("", max_length=18)


class VisitOut(Schema):
    number: str
    token: str
    item: str
    item_name: str
    department: str
    served_at: dt.datetime
    rate_url: str


class RatingOut(Schema):
    id: int
    case_number: str
    item: str
    item_code: str
    department: str
    level: int
    level_name: str
    bad: bool
    comment: str
    channel: str
    created_at: dt.datetime
    staff: str
    excluded: bool
    rectification: str
    state_name: str
    reply: str


class EventOut(Schema):
    action: str
    action_name: str
    from_name: str
    to_name: str
    actor: str | None
    comment: str
    at: dt.datetime


class ActionOut(Schema):
    code: str
    name: str
    comment_required: bool


class RectificationOut(RatingOut):
    state: str
    state_due: dt.date | None
    case_due: dt.date | None
    closed: bool
    overdue: bool
    escalation_level: int
    exclusion_reason: str


class RectificationDetailOut(RectificationOut):
    actions: list[ActionOut]
    events: list[EventOut]


class ActIn(Schema):
    action: Literal[
        "fix_now",
        "schedule_fix",
        "explain",
        "report_fixed",
        "appeal",
        "uphold_appeal",
        "reject_appeal",
    ]
    comment: str = Field(..., min_length=1, max_length=1000)


class ListIn(Schema):
    status: Literal["", "open", "overdue", "closed"] = ""


class StatsIn(Schema):
    by: Literal["department", "item", "staff"] = "department"
    start: dt.date | None = Field(None, description="开始日期（默认今年 1 月 1 日）")
    end: dt.date | None = Field(None, description="结束日期（默认今天）")


class LineOut(Schema):
    key: int | None
    code: str
    name: str
    count: int
    good: int
    bad: int
    rectified: int
    good_rate: float | None
    rectify_rate: float | None
    average: float | None


class StatsOut(Schema):
    by: str
    start: dt.date
    end: dt.date
    total: LineOut
    rows: list[LineOut]


def _staff(request) -> None:
    if not access.is_staff(request.user):
        raise PermissionDenied(_("差评整改仅对工作人员开放。"))


def _rectification(request, rating_id: int) -> Rating:
    found = queries.filtered_rectifications(request.user, "").filter(pk=rating_id).first()
    if found is None:
        raise Http404(_("未找到该差评整改，或您无权查看。"))
    return found


def _detail(request, rating: Rating) -> dict:
    case = rating.rectification
    assert case is not None, "only ratings under rectification are listed"
    return {
        **queries.rating_row(rating, reply=True),
        "actions": rectification_actions(request.user, rating),
        "events": case_events(case),
    }


def _public_row(rating: Rating) -> dict:
    return queries.rating_row(rating, staff_view=False)


@router.get("/stats", response=StatsOut, auth=PUBLIC)
def stats(request, params: Query[StatsIn]):
    """好差评统计 over a period: per department or item for everyone; per staff member
    only for staff (their jurisdiction). Excluded ratings do not count."""
    start, end, errors = queries.parse_period(
        params.start.isoformat() if params.start else "",
        params.end.isoformat() if params.end else "",
    )
    if errors:
        raise ValidationError(errors)
    if params.by == "staff":
        if not access.is_staff(request.user):
            raise PermissionDenied(_("按工作人员的统计仅对工作人员开放。"))
        require_scope(request, "read")
        qs = access.staff_ratings(request.user)
        lines = rating_stats("staff", start=start, end=end, qs=qs)
        total = rating_summary(start=start, end=end, qs=qs)
    else:
        lines = published_stats(params.by, start=start, end=end)
        total = published_summary(start=start, end=end)
    return {
        "by": params.by,
        "start": start,
        "end": end,
        "total": total.as_dict(),
        "rows": [line.as_dict() for line in lines],
    }


@router.post("/applications/{number}", response={201: RatingOut})
def rate_application(request, number: str, payload: RateIn):
    """评价 a finished 办件 (办结 or 不予受理): the applicant, once (again → 409)."""
    require_scope(request, "write")
    application = access.own_applications(request.user).filter(number=number).first()
    if application is None:
        raise Http404(_("未找到该办件，或您无权查看。"))
    rating = do_rate_application(
        actor=request.user,
        application=application,
        level=payload.level,
        comment=payload.comment,
    )
    return Status(201, _public_row(rating))


@router.post("/visits", response={201: VisitOut})
def issue_visit(request, payload: VisitIn):
    """发放窗口服务编号 (window clerks): the number and rating code of one visit."""
    require_scope(request, "write")
    item = access.public_items().filter(code=payload.item).first()
    if item is None:
        raise Http404(_("未找到事项 %s。") % payload.item)
    visit = do_issue_visit_ticket(
        actor=request.user,
        item=item,
        applicant_id_type=payload.applicant_id_type,
        applicant_id_number=payload.applicant_id_number,
    )
    return Status(
        201,
        {
            "number": visit.number,
            "token": visit.token,
            "item": item.code,
            "item_name": item.name,
            "department": visit.department.name,
            "served_at": visit.served_at,
            "rate_url": queries.visit_rate_url(visit, absolute=True),
        },
    )


@router.post("/visits/{visit_number}", response={201: RatingOut}, auth=PUBLIC)
def rate_visit(request, visit_number: str, payload: VisitRateIn):
    """评价 a window visit once, with its rating code (no account needed)."""
    actor = request.user if getattr(request.user, "is_authenticated", False) else None
    if actor is not None:
        require_scope(request, "write")
    rating = do_rate_visit(
        actor=actor,
        visit_number=visit_number,
        level=payload.level,
        comment=payload.comment,
        channel="app",
        token=payload.token,
        contact_phone=payload.contact_phone,
    )
    return Status(201, _public_row(rating))


@router.get("/mine", response=list[RatingOut])
@paginate(Pagination, page_size=20, max_page_size=100)
def my_ratings(request):
    """我的评价, with the department's reply once the 差评 is handled."""
    require_scope(request, "read")
    qs = Rating.objects.filter(rater=request.user).select_related(*queries.MINE_RELATED)
    return Mapped(qs, lambda r: queries.rating_row(r, staff_view=False, reply=True))


@router.get("/rectifications", response=list[RectificationOut])
@paginate(Pagination, page_size=50, max_page_size=200)
def list_rectifications(request, params: Query[ListIn]):
    """差评整改 of the caller's jurisdiction (staff); overdue ones marked."""
    require_scope(request, "read")
    _staff(request)
    return Mapped(queries.filtered_rectifications(request.user, params.status), queries.rating_row)


@router.get("/rectifications/{rating_id}", response=RectificationDetailOut)
def get_rectification(request, rating_id: int):
    """One 差评 with its rectification history and the actions open to the caller."""
    require_scope(request, "read")
    _staff(request)
    return _detail(request, _rectification(request, rating_id))


@router.post("/rectifications/{rating_id}/act", response=RectificationDetailOut)
def act_rectification(request, rating_id: int, payload: ActIn):
    """Take a 差评整改 action (comment required): fix_now, schedule_fix, explain,
    report_fixed, appeal (department admin), uphold_appeal / reject_appeal (bureau)."""
    require_scope(request, "write")
    _staff(request)
    rating = _rectification(request, rating_id)
    do_act_rectification(
        actor=request.user, rating=rating, action=payload.action, comment=payload.comment
    )
    return _detail(request, _rectification(request, rating_id))
