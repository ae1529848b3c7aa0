"""Reads of the services room shared by its pages and its API: 办件 rows with status and
deadlines, the wallet links of an issued licence, 好差评 rows and the 差评整改 a user may
see, a visit's rating link and the statistics period asked for. They write nothing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.http import public_url
from yiwang.core.inbox import case_summary
from yiwang.core.workflow import definition_of
from yiwang.services import access
from yiwang.services.models import Application, Rating, ServiceItem, WindowVisit

# --- 办件 ---


def status_label(app: Application) -> str:
    """办理状态 as applicants read it: the outcome once done, else the current step."""
    if app.outcome:
        return _("已办结（%s）") % app.get_outcome_display()
    if app.case_id is None:
        return ""
    return definition_of(app.flow.workflow).state_name(app.flow.state)


def application_row(app: Application, today=None) -> dict[str, Any]:
    """One application as lists show it: names, status, deadlines, overdue mark."""
    today = today or timezone.localdate()
    case = app.flow
    dues = [d for d in (case.state_due, case.case_due) if d is not None]
    return {
        "id": app.pk,
        "number": app.number,
        "item": app.item.name,
        "item_code": app.item.code,
        "department": app.department.name,
        "channel": app.get_channel_display(),
        "state": case.state,
        "state_name": definition_of(case.workflow).state_name(case.state),
        "status": status_label(app),
        "outcome": app.outcome,
        "submitted_at": app.submitted_at,
        "state_due": case.state_due,
        "case_due": case.case_due,
        "completed_at": app.completed_at,
        "overdue": case.closed_at is None and any(d < today for d in dues),
        "estimated": case.calendar_estimated,
        "instant": bool(app.decided_by_rule),
        "bundle": app.bundle_application.number if app.bundle_application is not None else "",
    }


def decided_rule_name(app: Application) -> str:
    """The name of the 秒批 rule that approved ``app`` ("持有效电子居住证且人口库有记录"),
    as people read it; its code only when the rule is no longer on the item."""
    code = app.decided_by_rule
    if not code:
        return ""
    for rule in app.item.instant_rules or []:
        if isinstance(rule, dict) and rule.get("code") == code and rule.get("name"):
            return str(rule["name"])
    return code


def with_case(qs):
    return qs.select_related(
        "item", "department", "case__workflow", "bundle_application", "applicant", "clerk"
    )


# What a list row (``application_row``) does not show: the applicant's encrypted name,
# ID number and phone, the form, the item's long texts and rules.
LIST_DEFERRED = (
    "applicant_name",
    "applicant_id_number",
    "contact_phone",
    "form_data",
    "item__legal_basis",
    "item__conditions",
    "item__fees",
    "item__form_fields",
    "item__life_events",
    "item__enterprise_events",
    "item__instant_rules",
    "item__search_text",
    "bundle_application__form_data",
)


def for_list(qs):
    """``qs`` loading what a list row shows and no more: nothing decrypted, and each
    case's workflow (a large JSON definition) read once per page, not once per row."""
    return (
        qs.select_related("item", "department", "case", "bundle_application")
        .prefetch_related("case__workflow")
        .defer(*LIST_DEFERRED)
    )


# 办件 list filters, and the order each is read in (a department's index serves each):
# (sort fields, descending). In hand: soonest whole-case deadline first; finished: the
# latest finished first; everything: the latest submitted first.
LIST_ORDERS: dict[str, tuple[tuple[str, ...], bool]] = {
    "open": (("case_due_key",), False),
    "overdue": (("case_due_key",), False),
    "done": (("completed_at",), True),
    "": (("submitted_at",), True),
    "mine": (("submitted_at",), True),
}
CASE_NUMBER = re.compile(r"[0-9A-Za-z-]+")


def search_q(q: str) -> Q:
    """办件编号或事项名称: text made of letters, digits and hyphens finds applications
    whose number starts with it (a range on the number's unique index); anything else,
    those of the items whose name contains it (the items, a few hundred, are matched
    first). Neither reads the applications' table beyond the list's own index."""
    q = (q or "").strip()[:60]
    if not q:
        return Q()
    if CASE_NUMBER.fullmatch(q):
        prefix = q.upper()
        return Q(number__gte=prefix, number__lt=prefix + "\uffff")
    return Q(item__in=ServiceItem.objects.filter(name__icontains=q).values("pk"))


def application_list(qs: QuerySet, status: str, q: str = "") -> QuerySet:
    """``qs`` (the applications a user may list) narrowed by status — open (办理中),
    overdue (已超期), done (已办结) — and the search, on the application's own columns
    and its copy of the case's deadlines (``CaseListed``): no join to the case."""
    if status in ("open", "overdue"):
        qs = qs.filter(outcome="")
    if status == "overdue":
        today = timezone.localdate()
        qs = qs.filter(Q(state_due_key__lt=today) | Q(case_due_key__lt=today))
    elif status == "done":
        qs = qs.exclude(outcome="")
    return for_list(qs.filter(search_q(q)))


def licence_links(identifier: str) -> dict[str, str]:
    """Wallet links (detail, PDF) of an issued licence, from the licences room."""
    if not identifier:
        return {}
    try:
        from yiwang.licences.models import Licence

        pk = Licence.objects.filter(identifier=identifier).values_list("pk", flat=True).first()
        if pk is None:
            return {}
        return {
            "detail": reverse("licences:wallet-detail", args=[pk]),
            "pdf": reverse("licences:wallet-pdf", args=[pk]),
        }
    except (ImportError, NoReverseMatch):
        return {}


# --- 好差评 ---

# Relations a rating row reads (its rectification's names and deadlines included).
MINE_RELATED = (
    "item",
    "department",
    "application",
    "rectification__workflow",
    "rectification__division",
    "rectification__department",
    "rectification__assignee",
)


def rating_row(
    r: Rating, today: dt.date | None = None, *, staff_view: bool = True, reply: bool = False
) -> dict:
    """A rating as lists show it: service, level, the rectification's state and time
    limit from the workflow engine (staff names only for staff)."""
    rectification = r.rectification
    case = case_summary(rectification, today) if rectification is not None else None
    answer = ""
    if reply and rectification is not None and case and case["closed_at"]:
        last = rectification.events.exclude(action__in=("start", "escalate")).last()
        answer = last.comment if last else ""
    return {
        "id": r.pk,
        "case_number": r.case_number,
        "item": r.item.name,
        "item_code": r.item.code,
        "department": r.department.name,
        "level": r.level,
        "level_name": str(r.get_level_display()),
        "bad": r.is_bad,
        "comment": r.comment,
        "channel": r.channel,
        "channel_name": str(r.get_channel_display()),
        "created_at": r.created_at,
        "staff": (str(r.staff) if r.staff_id else "") if staff_view else "",
        "excluded": r.excluded,
        "exclusion_reason": r.exclusion_reason,
        **_rectification_columns(case),
        "reply": answer,
    }


def _rectification_columns(case: dict | None) -> dict:
    """The 差评整改 columns of a rating row: the rectification case's number, step, time
    limits and escalation, or blanks when the rating has none."""
    if not case:
        return {
            "rectification": "",
            "state": "",
            "state_name": "",
            "state_due": None,
            "case_due": None,
            "closed": False,
            "overdue": False,
            "escalation_level": 0,
        }
    return {
        "rectification": case["number"],
        "state": case["state"],
        "state_name": case["state_name"],
        "state_due": case["state_due"],
        "case_due": case["case_due"],
        "closed": bool(case["closed_at"]),
        "overdue": bool(case["overdue"]),
        "escalation_level": case["escalation_level"],
    }


def filtered_rectifications(user, status: str) -> QuerySet:
    """差评整改 the user may see, filtered: open, overdue, closed (or all)."""
    qs = access.rectifications(user).select_related(
        "item",
        "department",
        "staff",
        "application",
        "rectification__workflow",
        "rectification__division",
        "rectification__department",
        "rectification__assignee",
    )
    if status == "closed":
        return qs.filter(rectification__closed_at__isnull=False)
    if status in ("open", "overdue"):
        qs = qs.filter(rectification__closed_at__isnull=True)
    if status == "overdue":
        today = timezone.localdate()
        qs = qs.filter(Q(rectification__state_due__lt=today) | Q(rectification__case_due__lt=today))
    return qs.order_by("rectification__closed_at", "rectification__case_due", "-id")


def visit_rate_url(visit: WindowVisit, *, absolute: bool = False) -> str:
    """The rating page of a visit with its rating code (what the QR code holds)."""
    url = reverse("services:rate-visit", args=[visit.number]) + f"?t={visit.token}"
    if absolute:
        return public_url(url)
    return url


def parse_period(start: str, end: str) -> tuple[dt.date, dt.date, list[str]]:
    """The period asked for (default: this year up to today), with clear errors for dates
    that cannot be read or run backwards."""
    today = timezone.localdate()
    errors: list[str] = []
    first, last = dt.date(today.year, 1, 1), today
    for raw, label, which in ((start, _("开始日期"), "start"), (end, _("结束日期"), "end")):
        raw = (raw or "").strip()
        if not raw:
            continue
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            errors.append(_("%s格式应为 年-月-日，例如 2026-01-01。") % label)
            continue
        if which == "start":
            first = value
        else:
            last = value
    if first > last:
        errors.append(_("开始日期不能晚于结束日期。"))
        first, last = dt.date(today.year, 1, 1), today
    return first, last, errors
