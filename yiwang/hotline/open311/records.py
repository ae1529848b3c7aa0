"""What Open311 shows (公开字段): services from the leaf categories (诉求小类), the service
definition with its ``kind`` attribute, and service requests from tickets — status open or
closed, the case's Chinese state as status notes, never the caller's contact data."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yiwang.core.masking import mask_id_number, mask_phone
from yiwang.core.workflow import definition_of
from yiwang.hotline.actions.tickets import time_limit_days
from yiwang.hotline.models import Category, Kind, Result, Ticket
from yiwang.hotline.open311.formats import w3c
from yiwang.hotline.open311.intake import DEFAULT_KIND, KIND_ATTRIBUTE, MEDIA_LABEL

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Case states (hotline_ticket workflow) in which the request counts as closed: 已办结待回访,
# 已回访归档, 已移交应急联动, 已合并. A re-opened ticket leaves them and is open again.
CLOSED_STATES = frozenset({"concluded", "archived", "handed_off", "merged"})
_SPLIT = re.compile(r"[、，,；;/]+")
_MEDIA = re.compile(r"\n\n" + re.escape(MEDIA_LABEL) + r"(\S+)\Z")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9Xx])\d{17}[0-9Xx](?![0-9Xx])")


def keywords(category: Category) -> str:
    """Comma-separated synonyms: the name, the group (中类), the category's own keywords
    (关键词与同义词) and the words of the description."""
    words = [category.name]
    if category.parent is not None:
        words.append(category.parent.name)
    words += [str(w) for w in category.keywords or []]
    words += [w.strip() for w in _SPLIT.split(category.description or "") if w.strip()]
    return ", ".join(dict.fromkeys(words))


def service(category: Category) -> dict:
    """One GET Service List entry for a leaf category."""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": keywords(category),
        "group": category.parent.name if category.parent is not None else category.name,
    }


def services() -> list[dict]:
    """Every active leaf category (诉求小类) as a realtime service, by code."""
    rows = (
        Category.objects.filter(active=True, children__isnull=True)
        .select_related("parent")
        .order_by("code")
    )
    return [service(c) for c in rows]


def service_definition(category: Category) -> dict:
    """GET Service Definition: the ``kind`` attribute (诉求类型) every service takes."""
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": KIND_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("不填时按“%s”受理。") % Kind(DEFAULT_KIND).label,
                "order": 1,
                "description": _("诉求类型：咨询、求助、投诉、举报或建议。"),
                "values": [{"key": k, "name": str(label)} for k, label in Kind.choices],
            }
        ],
    }


def service_notice(kind: str, urgency: str = "normal") -> str:
    """What happens next, from the time limit of the ticket's type (办理时限)."""
    days = time_limit_days(kind, urgency)
    return ngettext(
        "已受理。%(kind)s类诉求在 %(days)d 个工作日内办理答复，可凭工单编号查询进度。",
        "已受理。%(kind)s类诉求在 %(days)d 个工作日内办理答复，可凭工单编号查询进度。",
        days,
    ) % {"kind": Kind(kind).label, "days": days}


def is_closed(ticket: Ticket) -> bool:
    return bool(ticket.merged_into_id) or (
        ticket.case is not None and ticket.case.state in CLOSED_STATES
    )


def status_notes(ticket: Ticket) -> str:
    """The richer status: the case's Chinese state (e.g. 已派单待签收) and the result code,
    or the ticket a merged one went into."""
    if ticket.merged_into is not None:
        return _("已合并至工单 %s，请查询该工单的办理进度。") % ticket.merged_into.number
    case = ticket.case
    if case is None:
        return _("已受理")
    note = definition_of(case.workflow).state_name(case.state)
    if ticket.result:
        note += _("；办理结果：%(label)s（%(code)s）") % {
            "label": Result(ticket.result).label,
            "code": ticket.result,
        }
    return note


def split_media(content: str) -> tuple[str, str | None]:
    """(description, media_url): the link the request came with sits on the last line."""
    match = _MEDIA.search(content or "")
    if match is None:
        return content, None
    try:
        URLValidator(schemes=["http", "https"])(match.group(1))
    except ValidationError:
        return content, None
    return content[: match.start()], match.group(1)


def mask_text(text: str) -> str:
    """Phone and ID numbers inside free text, masked (脱敏) before publication."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group(0)), text)


def updated_at(ticket: Ticket):
    case = ticket.case
    if is_closed(ticket):
        return ticket.concluded_at or (case and (case.closed_at or case.state_entered_at))
    return case.state_entered_at if case else ticket.created_at


def service_request(ticket: Ticket) -> dict:
    """One GET Service Request(s) entry. 举报 (reports) keep their content confidential."""
    description, media_url = split_media(ticket.content)
    category = ticket.category
    department = ticket.department or (ticket.case.department if ticket.case else None)
    return {
        "service_request_id": ticket.number,
        "status": "closed" if is_closed(ticket) else "open",
        "status_notes": status_notes(ticket),
        "service_name": category.name if category else None,
        "service_code": category.code if category else "",
        "description": None if ticket.kind == Kind.REPORT else mask_text(description),
        "agency_responsible": department.name if department else None,
        "service_notice": service_notice(ticket.kind, ticket.urgency),
        "requested_datetime": w3c(ticket.created_at),
        "updated_datetime": w3c(updated_at(ticket) or ticket.created_at),
        "expected_datetime": w3c(ticket.case.case_due) if ticket.case else None,
        "address": ticket.address or ticket.division.name,
        "address_id": ticket.division_id,
        "zipcode": None,
        "lat": ticket.latitude,
        "long": ticket.longitude,
        "media_url": media_url,
    }


def public_tickets():
    """Tickets Open311 publishes (those taken in through it, unless the settings name more
    channels), with what ``service_request`` reads in one query."""
    channels = settings.YIWANG.get("OPEN311_PUBLIC_CHANNELS", ["open311"])
    return Ticket.objects.filter(channel__in=channels).select_related(
        "case__workflow",
        "case__department",
        "category",
        "department",
        "division",
        "merged_into",
    )
