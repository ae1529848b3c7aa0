"""12345 工单 API (mounted under /api/v1/hotline/): 受理 by the centre's agents on any
channel and by citizens on the web, app or mini-program; lists and details narrowed by
the access rules (contact masked); the handling loop as ``actions/{op}``; the 诉求分类
tree; 考核指标 over the tickets the caller may see."""

import datetime as dt
from collections.abc import Callable
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from yiwang.core import masking
from yiwang.core.api.pagination import Keyed, KeysetPagination
from yiwang.core.identity.tokens import require_scope
from yiwang.core.inbox import case_events
from yiwang.core.models import Department
from yiwang.core.schemas.workflow import EventOut
from yiwang.hotline import access, stats
from yiwang.hotline.actions import handling
from yiwang.hotline.actions.tickets import PHONE, do_take_ticket
from yiwang.hotline.models import (
    Callback,
    Category,
    Channel,
    Emergency,
    Kind,
    KnowledgeEntry,
    Ticket,
    Urgency,
)
from yiwang.hotline.operations import operations as ticket_operations
from yiwang.hotline.queries import LIST_DEFERRED, waiting

router = Router(tags=["12345 工单"])

CITIZEN_KINDS = ("citizen", "enterprise")
RELATED = ("case", "category", "department", "division")


# --- shapes ---


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict]


class ErrorOut(Schema):
    error: ErrorBody


def _one_of(choices) -> dict:
    """Document the allowed codes (the action refuses others with a precise message)."""
    return {"enum": list(choices.values)}


class TicketIn(Schema):
    channel: str = Field(
        ...,
        max_length=12,
        description="受理渠道；市民只能用 web、app、miniprogram",
        json_schema_extra=_one_of(Channel),
    )
    kind: str = Field(..., max_length=10, description="诉求类型", json_schema_extra=_one_of(Kind))
    content: str = Field(
        ...,
        # A guard against abuse only: the action refuses more than HOTLINE_CONTENT_MAX
        # with its own message (in the caller's language).
        max_length=2 * settings.YIWANG["HOTLINE_CONTENT_MAX"],
        description=f"诉求内容（不超过 {settings.YIWANG['HOTLINE_CONTENT_MAX']} 字）",
    )
    title: str = Field("", max_length=500, description="标题（省略则取内容开头）")
    category: str | None = Field(None, max_length=16, description="诉求分类编码；省略则自动分类")
    address: str = Field("", max_length=1000)
    longitude: float | None = Field(None, description="经度（WGS84）")
    latitude: float | None = Field(None, description="纬度（WGS84）")
    urgency: str = Field(
        "normal", max_length=8, description="紧急程度", json_schema_extra=_one_of(Urgency)
    )
    emergency: str = Field(
        "", max_length=3, description="应急联动（空为否）", json_schema_extra=_one_of(Emergency)
    )
    contact_name: str = Field("", max_length=200)
    contact_phone: str = Field("", max_length=40)
    anonymous: bool = False


class ActionIn(Schema):
    """Fields of every operation; each operation reads its own."""

    department: str | None = Field(
        None, max_length=32, description="dispatch：承办部门编码；return：建议承办部门"
    )
    category: str | None = Field(None, max_length=16, description="dispatch：诉求分类编码")
    comment: str = Field("", max_length=5000)
    answer: str = Field("", max_length=5000, description="answer_now：答复")
    entry: int | None = Field(None, ge=1, le=2**31 - 1, description="answer_now：引用的知识条目")
    service: str = Field("", max_length=3, description="hand_off：110 / 119 / 120 / 122")
    reason: str = Field("", max_length=5000, description="return、extension：理由")
    result: str = Field("", max_length=10, description="reply：resolved / partial / unresolved")
    reply: str = Field("", max_length=5000, description="reply：答复内容")
    days: int | None = Field(None, ge=1, le=30, description="extension：延期工作日")
    approve: bool | None = Field(None, description="decide_extension：是否同意")
    note: str = Field("", max_length=2000, description="decide_extension：审核意见")
    satisfaction: str = Field(
        "", max_length=12, description="callback：satisfied / basic / unsatisfied"
    )


class TicketFilter(Schema):
    state: str = Field("", max_length=64, description="环节代码")
    kind: str = Field("", max_length=10)
    category: str = Field("", max_length=16, description="诉求分类编码（含下级分类）")
    division: str = Field("", max_length=12, description="区划代码（含下级区划）")
    department: str = Field("", max_length=32, description="承办部门编码")
    overdue: bool = Field(False, description="只看超期未办结的工单")
    handling: bool = Field(False, description="只看本人所在部门承办的工单")
    waiting: Literal["", "me"] = Field(
        "",
        description=(
            "me：只看等我处理的工单（待办）——当前环节本人的角色可以办理、在该角色的管辖范围内、"
            "未被他人签收；与工作台的待办数、受理台各队列和承办工单的待办是同一个定义"
            "（yiwang.core.inbox.waiting_q），数目一致"
        ),
    )
    q: str = Field("", max_length=60, description="标题包含的文字")
    created_from: dt.date | None = None
    created_to: dt.date | None = None


class StatsFilter(Schema):
    date_from: dt.date | None = Field(None, alias="from", description="受理日期起（含）")
    date_to: dt.date | None = Field(None, alias="to", description="受理日期止（含）")
    department: str = Field("", max_length=32, description="承办部门编码")


class TicketOut(Schema):
    number: str
    title: str
    channel: str
    kind: str
    urgency: str
    emergency: str
    state: str
    state_name: str
    category: str | None
    category_name: str
    needs_review: bool = Field(description="自动分类置信度低，待话务员确认")
    division: str
    division_name: str
    department: str | None
    department_name: str
    created_at: dt.datetime
    state_due: dt.date | None
    case_due: dt.date | None = Field(description="全程办理时限")
    overdue: bool
    concluded_at: dt.datetime | None
    on_time: bool | None
    satisfaction: str


class IntakeOut(TicketOut):
    query_code: str = Field(description="查询码：只在受理时告知提交人一次")
    confidence: float | None = Field(description="自动分类置信度")


class AttachmentOut(Schema):
    name: str
    size: int
    content_type: str
    sm3: str


class TicketDetailOut(TicketOut):
    content: str
    address: str
    longitude: float | None
    latitude: float | None
    anonymous: bool
    contact_name: str = Field(description="脱敏（提交市民本人可见原文）")
    contact_phone: str = Field(description="脱敏（提交市民本人可见原文）")
    predicted_category: str | None
    confidence: float | None
    respond_by: dt.datetime | None = Field(description="紧急诉求的响应时限")
    result: str
    reply: str
    replied_at: dt.datetime | None
    reopen_count: int
    rated_at: dt.datetime | None
    operations: list[str] = Field(description="当前环节可执行的操作（actions/{op}）")
    attachments: list[AttachmentOut]
    events: list[EventOut]


class SimilarFilter(Schema):
    days: int = Field(30, ge=1, le=365, description="前后多少天内")
    limit: int = Field(5, ge=1, le=20)


class SimilarOut(Schema):
    number: str
    title: str
    score: float = Field(description="相似度 0–1（文字 × 地点 × 时间）")
    state: str
    state_name: str
    division_name: str
    created_at: dt.datetime


class CategoryOut(Schema):
    code: str
    name: str
    level: int = Field(description="层级：1 大类，2 中类，3 小类")
    line: str = Field(description="默认承办条线")
    description: str
    keywords: list[str] = Field(description="关键词与同义词（市民常用的说法）")
    children: list["CategoryOut"]


CategoryOut.model_rebuild()


class CountsOut(Schema):
    total: int
    open: int = Field(description="未办结（不含已办结、已归档、已移交、已合并）")
    concluded: int = Field(description="已办结或已归档")
    on_time: int
    closable: int = Field(description="不含已合并、已移交应急联动")
    rated: int
    satisfied: int = Field(description="满意与基本满意")
    overdue: int
    reopened: int
    on_time_rate: float | None = Field(description="按时办结率 = 按时办结 / 办结")
    closure_rate: float | None = Field(description="办结率 = 办结 / (全部 − 合并 − 移交)")
    satisfaction_rate: float | None = Field(description="满意率 = (满意 + 基本满意) / 已评价")


class DepartmentStatsOut(CountsOut):
    department: str
    department_name: str
    returns: int = Field(description="该部门的退单次数")


class StatsOut(CountsOut):
    by_state: dict[str, int]
    by_kind: dict[str, int]
    by_channel: dict[str, int]
    departments: list[DepartmentStatsOut]


# --- helpers ---


def _is_citizen(user) -> bool:
    return getattr(user, "kind", "") in CITIZEN_KINDS


def _state_names() -> dict[str, str]:
    return dict(stats.states())


def _row(ticket: Ticket, names: dict[str, str] | None = None, today=None) -> dict:
    names = names if names is not None else _state_names()
    today = today or timezone.localdate()
    case = ticket.case
    state = case.state if case else ""
    return {
        "number": ticket.number,
        "title": ticket.title,
        "channel": ticket.channel,
        "kind": ticket.kind,
        "urgency": ticket.urgency,
        "emergency": ticket.emergency,
        "state": state,
        "state_name": names.get(state, state),
        "category": ticket.category.code if ticket.category is not None else None,
        "category_name": ticket.category.display_name if ticket.category is not None else "",
        "needs_review": ticket.needs_review,
        "division": ticket.division_id,
        "division_name": ticket.division.name,
        "department": ticket.department.code if ticket.department is not None else None,
        "department_name": ticket.department.name if ticket.department is not None else "",
        "created_at": ticket.created_at,
        "state_due": case.state_due if case else None,
        "case_due": case.case_due if case else None,
        "overdue": stats.is_overdue(ticket.case, today),
        "concluded_at": ticket.concluded_at,
        "on_time": ticket.on_time,
        "satisfaction": ticket.satisfaction,
    }


def operations(user, ticket: Ticket) -> list[str]:
    """The ``actions/{op}`` the user may take on the ticket now (those this API offers)."""
    return [op for op in ticket_operations(user, ticket) if op in OPS]


def _contact(user, ticket: Ticket) -> tuple[str, str]:
    if _is_citizen(user) and ticket.citizen_id == user.pk:
        return ticket.contact_name, ticket.contact_phone
    return masking.mask_name(ticket.contact_name), masking.mask_phone(ticket.contact_phone)


def _detail(user, ticket: Ticket) -> dict:
    ticket = Ticket.objects.select_related(*RELATED, "predicted_category").get(pk=ticket.pk)
    name, phone = _contact(user, ticket)
    events = case_events(ticket.flow) if ticket.case_id else []
    if _is_citizen(user):
        events = [{**e, "actor": None} for e in events]  # staff names stay inside
    return {
        **_row(ticket),
        "content": ticket.content,
        "address": ticket.address,
        "longitude": ticket.longitude,
        "latitude": ticket.latitude,
        "anonymous": ticket.anonymous,
        "contact_name": name,
        "contact_phone": phone,
        "predicted_category": ticket.predicted_category.code
        if ticket.predicted_category is not None
        else None,
        "confidence": ticket.confidence,
        "respond_by": ticket.respond_by,
        "result": ticket.result,
        "reply": ticket.reply,
        "replied_at": ticket.replied_at,
        "reopen_count": ticket.reopen_count,
        "rated_at": ticket.rated_at,
        "operations": operations(user, ticket),
        "attachments": [
            {"name": a.name, "size": a.size, "content_type": a.content_type, "sm3": a.sm3}
            for a in ticket.attachments.all()
        ],
        "events": events,
    }


def _ticket(request, number: str) -> Ticket:
    """A ticket the caller may see, or the same 404 as a ticket that does not exist."""
    found = access.tickets(request.user).filter(number=number[:40]).select_related(*RELATED).first()
    if found is None:
        raise Http404(_("未找到该工单，或您无权查看。"))
    return found


def _department(code: str | None) -> Department | None:
    if not code:
        return None
    dept = Department.objects.filter(code=code).first()
    if dept is None:
        raise ValidationError(
            {"department": _("未知的承办部门：%s") % code}, code="department_unknown"
        )
    return dept


def _entry(pk: int | None) -> KnowledgeEntry | None:
    if pk is None:
        return None
    entry = KnowledgeEntry.objects.filter(pk=pk, state=KnowledgeEntry.State.PUBLISHED).first()
    if entry is None:
        raise ValidationError({"entry": _("未找到该知识条目。")}, code="entry_unknown")
    return entry


def _need(value, field: str, message: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError({field: message}, code="required")
    return value


def _callback(user, t: Ticket, p: ActionIn) -> Any:
    via = Callback.Via.CITIZEN if _is_citizen(user) else Callback.Via.AGENT
    return handling.do_callback(
        actor=user, ticket=t, satisfaction=p.satisfaction, comment=p.comment, via=via
    )


# op → what it does with (user, ticket, payload); each checks its own rights.
OPS: dict[str, Callable[[Any, Ticket, ActionIn], Any]] = {
    "dispatch": lambda u, t, p: handling.do_dispatch(
        actor=u,
        ticket=t,
        department=_department(p.department),
        category=p.category,
        comment=p.comment,
    ),
    "answer_now": lambda u, t, p: handling.do_answer_now(
        actor=u,
        ticket=t,
        answer=_need(p.answer, "answer", _("请填写答复内容。")),
        entry=_entry(p.entry),
    ),
    "hand_off": lambda u, t, p: handling.do_hand_off(
        actor=u, ticket=t, service=p.service, comment=p.comment
    ),
    "sign": lambda u, t, p: handling.do_sign(actor=u, ticket=t),
    "return": lambda u, t, p: handling.do_return(
        actor=u, ticket=t, reason=p.reason, suggested_department=_department(p.department)
    ),
    "reject_return": lambda u, t, p: handling.do_reject_return(
        actor=u, ticket=t, comment=p.comment
    ),
    "reply": lambda u, t, p: handling.do_reply(actor=u, ticket=t, result=p.result, reply=p.reply),
    "extension": lambda u, t, p: handling.do_request_extension(
        actor=u,
        ticket=t,
        days=_need(p.days, "days", _("请填写延期工作日（1 至 30）。")),
        reason=p.reason,
    ),
    "decide_extension": lambda u, t, p: handling.do_decide_extension(
        actor=u,
        ticket=t,
        approve=_need(p.approve, "approve", _("请选择同意或不同意。")),
        note=p.note,
    ),
    "send_back": lambda u, t, p: handling.do_send_back(actor=u, ticket=t, comment=p.comment),
    "supervise": lambda u, t, p: handling.do_supervise(actor=u, ticket=t, comment=p.comment),
    "conclude": lambda u, t, p: handling.do_conclude(actor=u, ticket=t),
    "callback": _callback,
}


def _dates(first: dt.date | None, last: dt.date | None) -> Q:
    """Received on local dates ``first`` … ``last`` (inclusive; out-of-range dates are open)."""
    cond = Q()
    if first is not None and dt.date(1900, 1, 1) < first < dt.date(9000, 1, 1):
        cond &= Q(created_at__gte=timezone.make_aware(dt.datetime.combine(first, dt.time.min)))
    if last is not None and dt.date(1900, 1, 1) < last < dt.date(9000, 1, 1):
        after = last + dt.timedelta(days=1)
        cond &= Q(created_at__lt=timezone.make_aware(dt.datetime.combine(after, dt.time.min)))
    if first and last and first > last:
        cond &= Q(pk__in=[])
    return cond


def _category_tree(rows: list[Category]) -> list[dict]:
    nodes: dict[int, dict[str, Any]] = {
        c.pk: {
            "code": c.code,
            "name": c.display_name,
            "level": c.level,
            "line": c.line,
            "description": c.display_description,
            "keywords": list(c.keywords or []),
            "children": [],
        }
        for c in rows
    }
    roots: list[dict[str, Any]] = []
    for c in rows:
        parent = nodes.get(c.parent_id) if c.parent_id is not None else None
        (parent["children"] if parent else roots).append(nodes[c.pk])
    return roots


# --- endpoints ---


@router.post(
    "/tickets",
    response={201: IntakeOut, 403: ErrorOut, 422: ErrorOut},
    url_name="hotline-tickets",
)
def take_ticket(request, payload: TicketIn):
    """受理: the 12345 centre's agents take a request in on any channel; citizens submit
    their own on the web, app or mini-program. Located, classified when no category is
    given, routed, numbered and — when confident and routable — dispatched at once. The
    查询码 is shown here only."""
    require_scope(request, "write")
    user = request.user
    name, phone = payload.contact_name, payload.contact_phone
    if _is_citizen(user) and not payload.anonymous:
        name = name or user.full_name or ""
        if not phone and PHONE.match(user.phone or ""):
            phone = user.phone
    ticket = do_take_ticket(
        actor=user,
        channel=payload.channel,
        kind=payload.kind,
        content=payload.content,
        title=payload.title,
        category=payload.category,
        address=payload.address,
        longitude=payload.longitude,
        latitude=payload.latitude,
        urgency=payload.urgency,
        emergency=payload.emergency,
        contact_name=name,
        contact_phone=phone,
        anonymous=payload.anonymous,
    )
    ticket = Ticket.objects.select_related(*RELATED).get(pk=ticket.pk)
    return Status(
        201, {**_row(ticket), "query_code": ticket.query_code, "confidence": ticket.confidence}
    )


@router.get("/tickets", response=list[TicketOut], url_name="hotline-ticket-list")
@paginate(KeysetPagination, page_size=50, max_page_size=200)
def list_tickets(request, filters: Query[TicketFilter]):
    """工单 the caller may see (the centre and leaders all, departments their
    jurisdiction, citizens their own), newest first, with filters; read on with the
    answer's ``next`` cursor (``count`` stops at 1000: ``count_capped``).

    ``waiting=me`` keeps the tickets waiting for the caller (待办): open, in a step one
    of their roles acts in, within that role's reach, and not taken by someone else —
    the one definition the workbench's 待办 count, the 12345 console's queues and the
    department's 承办工单 read too (``yiwang.core.inbox.waiting_q``), so their counts
    and this answer's ``count`` agree."""
    require_scope(request, "read")
    user = request.user
    qs: QuerySet = access.tickets(user)
    split = None
    if filters.handling:
        qs = access.department_tickets(user, qs)
        split = access.department_split(user)
    if filters.waiting == "me":
        qs = waiting(user, qs)
    f = filters
    if f.state:
        qs = qs.filter(case_state=f.state)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.category:
        qs = qs.filter(category__code__startswith=f.category)
    if f.division:
        qs = qs.filter(division__path__contains=f"/{f.division}/")
    if f.department:
        qs = qs.filter(department__code=f.department)
    if f.overdue:
        qs = qs.filter(stats.listed_overdue_q())
    if f.q.strip():
        qs = qs.filter(title__icontains=f.q.strip())
    qs = qs.filter(_dates(f.created_from, f.created_to))
    names, today = _state_names(), timezone.localdate()
    return Keyed(
        qs.select_related(*RELATED).defer(*LIST_DEFERRED),
        lambda t: _row(t, names, today),
        fields=("created_at",),
        descending=True,
        split=split,
    )


@router.get("/categories", response=list[CategoryOut], url_name="hotline-categories")
def categories(request):
    """诉求分类 tree (大类 → 中类 → 小类) of the categories in use, with each one's level,
    default line and keywords."""
    require_scope(request, "read")
    rows = list(Category.objects.filter(active=True).order_by("code"))
    return _category_tree(rows)


@router.get("/stats", response=StatsOut, url_name="hotline-stats")
def ticket_stats(request, filters: Query[StatsFilter]):
    """考核指标 over the tickets the caller may see, received in the date range: 按时办结率,
    办结率, 满意率, overdue, counts by state, type and channel, and per department."""
    require_scope(request, "read")
    qs = access.tickets(request.user).filter(_dates(filters.date_from, filters.date_to))
    if filters.department:
        qs = qs.filter(department__code=filters.department)
    return {**stats.kpis(qs), "departments": stats.by_department(qs)}


@router.get(
    "/tickets/{number}",
    response={200: TicketDetailOut, 404: ErrorOut},
    url_name="hotline-ticket",
)
def get_ticket(request, number: str):
    """One ticket: what was asked, where, its classification, the contact (masked but for
    the citizen's own), the answer, the history and the caller's next operations."""
    require_scope(request, "read")
    return Status(200, _detail(request.user, _ticket(request, number)))


@router.get(
    "/tickets/{number}/similar",
    response={200: list[SimilarOut], 404: ErrorOut},
    url_name="hotline-ticket-similar",
)
def similar(request, number: str, filters: Query[SimilarFilter]):
    """相似工单: tickets alike in words, place and time (the same pothole from several
    callers), best first — only those the caller may see, so agents link or merge them."""
    from yiwang.hotline.similarity import similar_tickets

    require_scope(request, "read")
    ticket = _ticket(request, number)
    found = similar_tickets(ticket, days=filters.days, limit=filters.limit * 3)
    visible = set(
        access.tickets(request.user)
        .filter(pk__in=[t.pk for t, _score in found])
        .values_list("pk", flat=True)
    )
    found = [(t, score) for t, score in found if t.pk in visible][: filters.limit]
    cases = {
        t.pk: t
        for t in Ticket.objects.filter(pk__in=[t.pk for t, _s in found]).select_related("case")
    }
    names = _state_names()
    out = []
    for t, score in found:
        state = cases[t.pk].flow.state if cases[t.pk].case_id else ""
        out.append(
            {
                "number": t.number,
                "title": t.title,
                "score": score,
                "state": state,
                "state_name": names.get(state, state),
                "division_name": t.division.name,
                "created_at": t.created_at,
            }
        )
    return Status(200, out)


class OpPath(Schema):
    number: str = Field(..., description="工单编号")
    op: str = Field(..., description="操作", json_schema_extra={"enum": list(OPS)})


@router.post(
    "/tickets/{number}/actions/{op}",
    response={200: TicketDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    url_name="hotline-ticket-action",
)
def act(request, where: Path[OpPath], payload: ActionIn):
    """办理: one step of the loop — dispatch, answer_now, hand_off, sign, return,
    reject_return, reply, extension, decide_extension, send_back, supervise, conclude,
    callback. Without the role: 403 (``role_missing``); in the wrong step: 409
    (``action_not_allowed``)."""
    require_scope(request, "write")
    number, op = where.number, where.op
    fn = OPS.get(op)
    if fn is None:
        raise Http404(
            _("未知的操作：%(op)s（可用：%(ops)s）") % {"op": op[:40], "ops": "、".join(OPS)}
        )
    ticket = _ticket(request, number)
    fn(request.user, ticket, payload)
    return Status(200, _detail(request.user, ticket))
