"""Taking tickets in (受理): from an agent's call form, the citizen portal, the API, Open311
and grid workers. Each ticket is checked, located, classified, routed, numbered and started
on the ``hotline_ticket`` workflow; a confident, routable one is dispatched at once."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, uploads
from yiwang.core.actions.uploads import do_open_upload
from yiwang.core.actions.workflow import do_start_case
from yiwang.core.models import Department, Division
from yiwang.core.notify.text import bilingual
from yiwang.core.uploads import CheckedUpload
from yiwang.hotline import access, location
from yiwang.hotline.models import (
    Category,
    Channel,
    Emergency,
    Grid,
    Kind,
    Ticket,
    TicketAttachment,
    Urgency,
)
from yiwang.hotline.routing import route

WORKFLOW = "hotline_ticket"
CENTRE_LINE = "hotline"
PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{7,8})$")
ATTACHMENT_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
MAX_ATTACHMENTS = 9


def _choice(field: str, value: str, choices, label: str) -> str:
    if value not in choices.values:
        raise ValidationError(
            {field: _("未知的%(label)s：%(value)s") % {"label": label, "value": value}},
            code=f"{field}_unknown",
        )
    return value


def time_limit_days(kind: str, urgency: str) -> int:
    """Whole-ticket limit in working days: by type (咨询 2, 求助/建议 10, 投诉/举报 15 by
    default), shortened for 紧急 tickets."""
    days = settings.YIWANG["HOTLINE_TIME_LIMITS"][kind]
    if urgency == Urgency.URGENT:
        days = min(days, settings.YIWANG["HOTLINE_URGENT_DAYS"])
    return days


def centre() -> Department:
    """The 12345 centre (the city department of the hotline line)."""
    dept = Department.objects.filter(line=CENTRE_LINE, division__level="city").first()
    if dept is None:
        raise ValidationError(_("尚未设置 12345 热线中心部门。"), code="centre_missing")
    return dept


def resolve_category(value) -> Category | None:
    """A Category from a code (or the row itself); unknown or disabled codes are refused."""
    if value in (None, ""):
        return None
    if isinstance(value, Category):
        return value
    found = Category.objects.filter(code=str(value), active=True).select_related("parent").first()
    if found is None:
        raise ValidationError(
            {"category": _("未知的诉求分类：%s") % value}, code="category_unknown"
        )
    return found


def _clean_text(content: str, title: str) -> tuple[str, str]:
    # A browser counts a line break as one character and sends it as two (\r\n).
    content = (content or "").replace("\r\n", "\n").strip()
    limit = settings.YIWANG["HOTLINE_CONTENT_MAX"]
    if not content:
        raise ValidationError({"content": _("诉求内容不能为空。")}, code="content_empty")
    if len(content) > limit:
        raise ValidationError(
            {
                "content": _("诉求内容不能超过 %(max)d 字（现有 %(n)d 字）。")
                % {"max": limit, "n": len(content)}
            },
            code="content_too_long",
        )
    title = (title or "").strip() or title_from(content)
    if len(title) > 120:
        raise ValidationError({"title": _("标题不能超过 120 字。")}, code="title_too_long")
    return content, title


TITLE_CHARS = 30
ELLIPSIS = "…"
_CLAUSE_END = "。！？；，、：,.!?;: "


def title_from(content: str, limit: int = TITLE_CHARS) -> str:
    """标题 from the content when none is given: the content itself when short, else its
    opening cut at the end of a clause (punctuation) or, failing one far enough in,
    between two jieba words — never inside a word — followed by an ellipsis, the whole
    within ``limit`` characters."""
    text = re.sub(r"\s+", " ", content or "").strip()
    # No control or format characters (direction overrides, zero-width) in a title.
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf"))
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    head = text[: room + 1]
    clause = max(head.rfind(p, 0, room + 1) for p in _CLAUSE_END)
    if clause >= room // 2:
        return text[:clause].rstrip(_CLAUSE_END) + ELLIPSIS
    from yiwang.hotline.knowledge import _jieba

    end = 0
    for word in _jieba().cut(text[: room + 40], HMM=False):
        if end + len(word) > room:
            break
        end += len(word)
    return (text[:end] if end else text[:room]).rstrip() + ELLIPSIS


def _clean_contact(name: str, phone: str) -> tuple[str, str]:
    name, phone = (name or "").strip(), re.sub(r"\s", "", phone or "")
    if len(name) > 50:
        raise ValidationError({"contact_name": _("联系人不能超过 50 字。")})
    if phone and not PHONE.match(phone):
        raise ValidationError(
            {"contact_phone": _("联系电话格式不正确：请填写 11 位手机号或带区号的固定电话。")},
            code="phone_invalid",
        )
    return name, phone


def _coordinate(value, field: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: _("坐标须为数字。")}, code="location_invalid") from exc
    if number != number or abs(number) > 180:
        raise ValidationError({field: _("坐标超出范围。")}, code="location_invalid")
    return number


def check_attachment(uploaded_file) -> CheckedUpload:
    """One attachment checked by ``core.uploads``: a JPG, PNG or PDF by its content,
    within the platform's size limit. A file a room has already checked passes as it is."""
    if isinstance(uploaded_file, CheckedUpload):
        return uploaded_file
    try:
        return uploads.check_upload(
            uploaded_file,
            allowed=ATTACHMENT_TYPES,
            refused=_("附件须为 JPG、PNG 图片或 PDF 文件。"),
        )
    except ValidationError as exc:
        raise ValidationError({"attachments": exc.error_list}) from None


def store_attachment(ticket: Ticket, upload: CheckedUpload, actor) -> TicketAttachment:
    """Keep one checked photo or document on a ticket (SM4 encrypted at rest, SM3 digest)."""
    att = TicketAttachment(ticket=ticket, uploaded_by=actor if getattr(actor, "pk", None) else None)
    uploads.store(att, upload, filename=uuid.uuid4().hex)
    att.save()
    return att


def do_open_ticket_attachment(*, actor, attachment: TicketAttachment) -> bytes:
    """Read a ticket's attachment for someone who may see the ticket (else 404):
    decrypted, its SM3 digest checked, the read logged."""
    if actor is not None and not access.tickets(actor).filter(pk=attachment.ticket_id).exists():
        raise Http404(_("未找到该附件，或您无权查看。"))
    return do_open_upload(
        actor=actor,
        record=attachment,
        obj=attachment.ticket,
        action="hotline.ticket.attachment_open",
        change={"attachment": attachment.pk},
    )


@transaction.atomic
def do_take_ticket(
    *,
    actor,
    channel: str,
    kind: str,
    content: str,
    title: str = "",
    category=None,
    address: str = "",
    longitude=None,
    latitude=None,
    urgency: str = Urgency.NORMAL,
    emergency: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    anonymous: bool = False,
    citizen=None,
    grid: Grid | None = None,
    external_id: str = "",
    attachments: Iterable = (),
) -> Ticket:
    """受理 one request: validate, locate (区划), classify (or take the agent's category),
    route to the responsible department, start the case with the time limit of its type
    and urgency, link similar tickets, and dispatch at once when the category is confident
    and routable."""
    from yiwang.hotline.actions.duplicates import do_link_similar
    from yiwang.hotline.actions.handling import do_dispatch
    from yiwang.hotline.actions.hotspots import index_tickets

    urgency = urgency or Urgency.NORMAL
    emergency = emergency or ""
    _check_choices(channel, kind, urgency, emergency)
    if citizen is None and getattr(actor, "kind", "") in ("citizen", "enterprise"):
        citizen = actor
    access.require_intake(actor, channel, citizen, grid)
    content, title = _clean_text(content, title)
    contact_name, contact_phone = _clean_contact(contact_name, contact_phone)
    if anonymous:
        contact_name = contact_phone = ""
    address, lon, lat, division = _place(address, longitude, latitude, grid)
    chosen = resolve_category(category)
    files = _attachment_list(attachments)
    by_agent = chosen is not None and access.may_take(actor)  # 话务员 or 值班长 chose it
    guess = _Classified.of(chosen, title, content, compare=by_agent)
    department = route(guess.category, division) if guess.category else None
    now = timezone.now()
    ticket = Ticket.objects.create(
        number=f"tmp-{uuid.uuid4().hex}",
        channel=channel,
        kind=kind,
        urgency=urgency,
        emergency=emergency,
        title=title,
        content=content,
        category=guess.category,
        predicted_category=guess.predicted,
        confidence=guess.confidence,
        classifier_version=guess.version,
        needs_review=guess.needs_review,
        address=address,
        division=division,
        longitude=lon,
        latitude=lat,
        grid=grid,
        citizen=citizen,
        contact_name=contact_name,
        contact_phone=contact_phone,
        anonymous=bool(anonymous),
        query_code=f"{secrets.randbelow(10**6):06d}",
        received_by=actor if getattr(actor, "kind", "") == "staff" else None,
        external_id=(external_id or "")[:64],
        respond_by=_respond_by(now, urgency, emergency),
        created_at=now,
    )
    applicant = citizen if citizen is not None else (actor if channel == Channel.GRID else None)
    _open_case(ticket, applicant=applicant, time_limit_days=time_limit_days(kind, urgency))
    for f in files:
        store_attachment(ticket, f, actor)
    audit.record(
        actor=actor,
        action="hotline.ticket.take",
        obj=ticket,
        change={
            "number": ticket.number,
            "channel": channel,
            "kind": kind,
            "division": division.code,
            "category": guess.category.code if guess.category else None,
            "confidence": guess.confidence,
            "emergency": emergency,
        },
    )
    if by_agent and chosen is not None:
        from yiwang.hotline.actions.classifier import record_label

        record_label(actor=actor, ticket=ticket, leaf=chosen)  # 分类标注 at intake
    index_tickets([(ticket.pk, title, content, address, now)])  # 内容签名
    do_link_similar(actor=None, ticket=ticket)  # 相似工单, for the agent to merge
    if _dispatches_itself(department, guess.needs_review, emergency, kind, channel):
        do_dispatch(
            actor=None,
            ticket=ticket,
            department=department,
            comment=bilingual(lambda: _("自动派单")),
        )
    return ticket


def _check_choices(channel: str, kind: str, urgency: str, emergency: str) -> None:
    """受理渠道, 诉求类型, 紧急程度 and 应急联动类别 must be ones the hotline knows."""
    _choice("channel", channel, Channel, _("受理渠道"))
    _choice("kind", kind, Kind, _("诉求类型"))
    _choice("urgency", urgency, Urgency, _("紧急程度"))
    _choice("emergency", emergency, Emergency, _("应急联动类别"))


def _place(
    address: str, longitude: Any, latitude: Any, grid: Grid | None
) -> tuple[str, float | None, float | None, Division]:
    """(address, longitude, latitude, 区划) of a request: a grid worker's report without
    a place of its own lies in the grid's division; otherwise the address or coordinates
    are located."""
    address = (address or "").strip()
    if len(address) > 200:
        raise ValidationError({"address": _("地址不能超过 200 字。")})
    lon, lat = _coordinate(longitude, "longitude"), _coordinate(latitude, "latitude")
    if grid is not None and lon is None and not address:
        division_code = grid.division_id
    else:
        division_code = location.locate(address, lon, lat)
    return address, lon, lat, Division.objects.get(code=division_code)


def _attachment_list(attachments: Iterable) -> list:
    """The uploaded files, at most MAX_ATTACHMENTS of them, each passing the upload
    check."""
    files = list(attachments)
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("附件最多 %d 个。") % MAX_ATTACHMENTS}, code="too_many"
        )
    return [check_attachment(f) for f in files]


@dataclass(frozen=True)
class _Classified:
    """The ticket's 诉求分类: the agent's choice, or the classifier's guess with its
    confidence. A leaf below HOTLINE_AUTO_DISPATCH_CONFIDENCE (or none) needs review
    (待确认分类) before dispatch; the ticket then carries the 中类 or 大类 that dominates
    when one does (the agent narrows it down), else the unsure leaf as a hint.
    ``predicted`` is always the top leaf, so an agent's choice can be compared with it
    (分类标注) — together with the model ``version`` that made it."""

    category: Category | None
    predicted: Category | None
    confidence: float | None
    needs_review: bool
    version: int | None = None

    @classmethod
    def of(
        cls, chosen: Category | None, title: str, content: str, *, compare: bool = False
    ) -> _Classified:
        """The classification of a new ticket. With the agent's own choice the model is
        asked too when ``compare`` (the choice is then a label confirming or correcting
        it), but the choice stands."""
        if chosen is not None and not compare:
            return cls(chosen, None, None, False)
        from yiwang.hotline.scoring import classify

        threshold = settings.YIWANG["HOTLINE_AUTO_DISPATCH_CONFIDENCE"]
        guess, version = classify(f"{title} {content}")
        suggested, sure = guess.suggestion(threshold)
        codes = {c for c in (guess.code, suggested) if c}
        found = {
            c.code: c
            for c in Category.objects.filter(code__in=codes, active=True).select_related("parent")
        }
        predicted = found.get(guess.code or "")
        confidence = guess.confidence if predicted is not None else None
        if chosen is not None:
            return cls(chosen, predicted, confidence, False, version)
        category = found.get(suggested or "") or predicted
        return cls(category, predicted, confidence, not (sure and predicted is not None), version)


def _respond_by(now, urgency: str, emergency: str):
    """An urgent or emergency request must be answered within
    HOTLINE_URGENT_RESPONSE_HOURS; others have no response deadline of their own."""
    if urgency == Urgency.URGENT or emergency:
        return now + timedelta(hours=settings.YIWANG["HOTLINE_URGENT_RESPONSE_HOURS"])
    return None


def _open_case(ticket: Ticket, *, applicant, time_limit_days: int) -> None:
    """Start the ticket's case (办件) at the 12345 centre; the ticket takes the case's
    number."""
    case = do_start_case(
        actor=None,
        workflow_code=WORKFLOW,
        title=ticket.title,
        division=ticket.division,
        department=centre(),
        applicant=applicant,
        subject=ticket,
        comment=bilingual(lambda: _("渠道：%s") % Channel(ticket.channel).label),
        case_time_limit_days=time_limit_days,
    )
    ticket.case = case
    ticket.number = case.number
    ticket.save(update_fields=["case", "number"])


def _dispatches_itself(
    department: Department | None, needs_review: bool, emergency: str, kind: str, channel: str
) -> bool:
    """自动派单: a routable ticket whose category needs no review goes out at once —
    except an emergency (handed off instead) and a phoned consultation (the agent
    answers it)."""
    return (
        department is not None
        and not needs_review
        and not emergency
        and not (kind == Kind.CONSULT and channel == Channel.PHONE)
    )
