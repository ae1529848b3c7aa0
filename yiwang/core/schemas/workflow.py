"""API shapes for cases (办件流转): inbox rows, case detail, transitions."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class ActionOut(Schema):
    code: str
    name: str
    comment_required: bool


class CaseOut(Schema):
    """One case as the inbox lists it."""

    id: int
    number: str
    title: str
    workflow: str
    state: str
    state_name: str
    division: str
    department: str
    assignee: str | None
    opened_at: datetime
    state_due: date | None
    case_due: date | None
    overdue: bool
    calendar_estimated: bool = Field(description="时限按周一至周五估算（该年度尚无官方节假日安排）")
    escalation_level: int


class EventOut(Schema):
    action: str
    action_name: str
    from_state: str
    to_state: str
    from_name: str
    to_name: str
    actor: str | None
    comment: str = Field(
        description="意见：人员填写的原样给出；平台写的说明（自动派单、秒批等）按请求的语言"
        "（Accept-Language）给出中文或英文"
    )
    at: datetime


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    sm3: str


class CaseDetailOut(CaseOut):
    closed_at: datetime | None
    actions: list[ActionOut]
    events: list[EventOut]
    attachments: list[AttachmentOut]


class TransitionIn(Schema):
    action: str = Field(min_length=1, max_length=64)
    comment: str = Field("", max_length=5000)
