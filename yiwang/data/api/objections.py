"""API: 数据异议 (raise, follow, correct, explain) and 数据冲突 (list, accept, object)."""

import datetime as dt
from typing import Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from yiwang.core.api.pagination import Mapped, Pagination
from yiwang.core.identity.tokens import require_scope
from yiwang.core.inbox import case_events
from yiwang.data import access
from yiwang.data.actions.conflicts import do_accept_conflict, do_object_conflict
from yiwang.data.actions.objections import (
    do_correct_objection,
    do_explain_objection,
    do_raise_objection,
    open_actions,
)
from yiwang.data.actions.reads import do_record_objection_view
from yiwang.data.models import Conflict
from yiwang.data.queries import objections as queries

router = Router()


class ObjectionOut(Schema):
    id: int
    number: str
    registry: str
    registry_name: str
    record_id: int
    field: str
    field_name: str
    current_value: str
    proposed_value: str
    reason: str
    requester: str
    authority: str
    outcome: str
    outcome_name: str
    reply: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    case_id: int | None
    state_name: str
    state_due: dt.date | None
    overdue: bool
    escalation_level: int


class EventOut(Schema):
    action: str
    action_name: str
    from_name: str
    to_name: str
    actor: str | None
    comment: str
    at: dt.datetime


class ObjectionDetailOut(ObjectionOut):
    actions: list[str]
    events: list[EventOut]


class ObjectionIn(Schema):
    registry: Literal["person", "legal_entity", "credit", "place"]
    key: str = Field(..., min_length=1, max_length=64, description="记录的自然主键")
    field: str = Field(..., min_length=1, max_length=40)
    proposed_value: str = Field(..., min_length=1, max_length=500)
    reason: str = Field(..., min_length=2, max_length=2000)


class CorrectIn(Schema):
    value: str = Field("", max_length=500, description="更正后的值，留空则采用建议值")
    comment: str = Field("", max_length=2000)


class ExplainIn(Schema):
    comment: str = Field(..., min_length=1, max_length=2000)


class ListIn(Schema):
    status: Literal["", "open", "overdue", "closed"] = ""


class ConflictOut(Schema):
    id: int
    registry: str
    registry_name: str
    record_id: int
    field: str
    field_name: str
    authoritative_value: str
    other_value: str
    authority: str
    department: str
    status: str
    status_name: str
    batch: int | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None


class ConflictListIn(Schema):
    status: Literal["", "open", "accepted", "objected"] = ""


class ObjectIn(Schema):
    reason: str = Field(..., min_length=2, max_length=2000)
    proposed_value: str = Field("", max_length=500)


def _staff(request) -> None:
    access.require_data_staff(request.user, _("数据异议仅对数据专员和审核人员开放。"))


def _objection(request, objection_id: int):
    obj = queries.visible_objections(request.user).filter(pk=objection_id).first()
    if obj is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    return obj


def _detail(request, obj) -> dict:
    do_record_objection_view(actor=request.user, objection=obj)
    actions = open_actions(request.user, obj)
    return {
        **queries.objection_row(obj, clear=True),
        "actions": actions,
        "events": case_events(obj.case) if obj.case_id else [],
    }


def _conflict(request, conflict_id: int) -> Conflict:
    obj = queries.visible_conflicts(request.user).filter(pk=conflict_id).first()
    if obj is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    return obj


@router.get("/conflicts", response=list[ConflictOut])
@paginate(Pagination, page_size=50, max_page_size=200)
def list_conflicts(request, params: Query[ConflictListIn]):
    """数据冲突 my department must resolve, or raised against my values."""
    require_scope(request, "read")
    _staff(request)
    qs = queries.visible_conflicts(request.user)
    if params.status:
        qs = qs.filter(status=params.status)
    return Mapped(qs, queries.conflict_row)


@router.get("/conflicts/{conflict_id}", response=ConflictOut)
def get_conflict(request, conflict_id: int):
    require_scope(request, "read")
    _staff(request)
    return queries.conflict_row(_conflict(request, conflict_id))


@router.post("/conflicts/{conflict_id}/accept", response=ConflictOut)
def accept_conflict(request, conflict_id: int):
    """采纳权威值."""
    require_scope(request, "write")
    _staff(request)
    obj = _conflict(request, conflict_id)
    do_accept_conflict(actor=request.user, conflict=obj)
    return queries.conflict_row(obj)


@router.post("/conflicts/{conflict_id}/object", response={201: ObjectionDetailOut})
def object_conflict(request, conflict_id: int, payload: ObjectIn):
    """对权威值提出数据异议 (proposing the department's own value unless another is given)."""
    require_scope(request, "write")
    _staff(request)
    obj = _conflict(request, conflict_id)
    made = do_object_conflict(
        actor=request.user,
        conflict=obj,
        reason=payload.reason,
        proposed_value=payload.proposed_value,
    )
    return Status(201, _detail(request, _objection(request, made.pk)))


@router.get("", response=list[ObjectionOut])
@paginate(Pagination, page_size=50, max_page_size=200)
def list_objections(request, params: Query[ListIn]):
    """数据异议 raised by or owed by the caller's department; overdue marked."""
    require_scope(request, "read")
    _staff(request)
    return Mapped(queries.filtered_objections(request.user, params.status), queries.objection_row)


@router.post("", response={201: ObjectionDetailOut})
def raise_objection(request, payload: ObjectionIn):
    """提出数据异议 on one field of the record with this natural key."""
    require_scope(request, "write")
    _staff(request)
    made = do_raise_objection(
        actor=request.user,
        registry=payload.registry,
        key=payload.key,
        field=payload.field,
        proposed_value=payload.proposed_value,
        reason=payload.reason,
    )
    return Status(201, _detail(request, _objection(request, made.pk)))


@router.get("/{objection_id}", response=ObjectionDetailOut)
def get_objection(request, objection_id: int):
    """One objection with its case history and the actions open to the caller."""
    require_scope(request, "read")
    _staff(request)
    return _detail(request, _objection(request, objection_id))


@router.post("/{objection_id}/correct", response=ObjectionDetailOut)
def correct_objection(request, objection_id: int, payload: CorrectIn):
    """核实有误并更正 (the authority's data steward): new record version, history kept."""
    require_scope(request, "write")
    _staff(request)
    obj = _objection(request, objection_id)
    do_correct_objection(
        actor=request.user, objection=obj, value=payload.value, comment=payload.comment
    )
    return _detail(request, _objection(request, objection_id))


@router.post("/{objection_id}/explain", response=ObjectionDetailOut)
def explain_objection(request, objection_id: int, payload: ExplainIn):
    """核实无误并说明 (comment required); the requester is told."""
    require_scope(request, "write")
    _staff(request)
    obj = _objection(request, objection_id)
    do_explain_objection(actor=request.user, objection=obj, comment=payload.comment)
    return _detail(request, _objection(request, objection_id))
