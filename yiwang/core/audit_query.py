"""Searching the audit ledger (审计查询): one filter for the API and the search page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import access


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


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
    user holds ``audit.view`` (审计人员)."""
    from yiwang.core.models import AuditEntry

    access.require(user, "audit.view")
    texts = {"actor": actor, "action": action, "object_type": object_type}
    texts.update(object_id=object_id, purpose=purpose)
    for name, value in texts.items():
        if value and "\x00" in value:
            raise ValidationError({name: _("查询条件不能包含空字符。")})
    qs = AuditEntry.objects.annotate(block_number=F("block__number"))
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
