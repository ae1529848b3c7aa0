"""Searching the audit ledger (审计查询): one filter for the API and the search page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from yiwang.core import access


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def visible_entries(user) -> QuerySet:
    """Ledger entries ``user`` may read (审计范围): every entry for an auditor at city
    level; for one held in a county, the entries of staff working in that county — a
    county auditor never reads another county's, nor the city's, work."""
    from yiwang.core.models import AuditEntry

    return access.restrict(
        AuditEntry.objects.all(),
        user,
        "audit.view",
        division="actor__org_unit__division",
        department=None,
    )


def search_entries(
    user,
    *,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    purpose: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet:
    """Entries matching the filters, newest first; raises PermissionDenied unless the
    user holds ``audit.view`` (审计人员); only the entries in the user's reach."""
    access.require(user, "audit.view")
    qs = visible_entries(user).annotate(block_number=F("block__number"))
    if actor:
        qs = qs.filter(actor_label=actor.strip())
    if action:
        qs = qs.filter(action__startswith=action.strip())
    if object_type:
        qs = qs.filter(object_type=object_type.strip())
    if object_id:
        qs = qs.filter(object_id=object_id.strip())
    if purpose:
        qs = qs.filter(purpose__icontains=purpose.strip())
    if date_from:
        qs = qs.filter(at__gte=_day_start(date_from))
    if date_to:
        qs = qs.filter(at__lt=_day_start(date_to + timedelta(days=1)))
    return qs.order_by("-id")
