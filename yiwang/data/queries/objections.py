"""数据异议 and 数据冲突 reads shared by the pages and the API: the objections and conflicts
a user may see, filtered by status, and the rows lists show (personal values masked unless
the caller is handling the objection, whose view ``do_record_objection_view`` logs)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from yiwang.core.inbox import case_summary
from yiwang.data import access
from yiwang.data.actions.objections import field_label, registry_label
from yiwang.data.models import Conflict, DataObjection
from yiwang.data.queries.registries import mask_value
from yiwang.data.registry import REGISTRIES


def _names(registry: str, field: str) -> dict[str, str]:
    """Display names of a registry and its field (the codes themselves when unknown)."""
    known = registry in REGISTRIES
    return {
        "registry_name": registry_label(registry) if known else registry,
        "field_name": field_label(registry, field) if known else field,
    }


def objection_row(o: DataObjection, today=None, *, clear: bool = False) -> dict[str, Any]:
    """An objection as lists show it: names, values (masked unless ``clear``), the case's
    time limit and overdue mark from the workflow engine."""
    case = case_summary(o.case, today) if o.case is not None else None
    show = (lambda v: v) if clear else (lambda v: mask_value(o.registry, o.field, v))
    return {
        "id": o.pk,
        "number": o.number,
        "registry": o.registry,
        "record_id": o.record_id,
        "field": o.field,
        **_names(o.registry, o.field),
        "current_value": show(o.current_value),
        "proposed_value": show(o.proposed_value),
        "reason": o.reason,
        "requester": o.requester.name,
        "authority": o.authority.name,
        "outcome": o.outcome,
        "outcome_name": str(o.get_outcome_display()),
        "reply": o.reply,
        "created_at": o.created_at,
        "resolved_at": o.resolved_at,
        "case_id": o.case_id,
        "state_name": case["state_name"] if case else "",
        "state_due": case["state_due"] if case else None,
        "overdue": bool(case and case["overdue"]),
        "escalation_level": case["escalation_level"] if case else 0,
    }


def visible_objections(user):
    return access.objections(user).select_related(
        "requester", "authority", "case__workflow", "case__division", "case__department"
    )


def filtered_objections(user, status: str):
    qs = visible_objections(user)
    if status == "closed":
        return qs.exclude(outcome="")
    if status in ("open", "overdue"):
        qs = qs.filter(outcome="")
    if status == "overdue":
        today = timezone.localdate()
        return qs.filter(Q(case__state_due__lt=today) | Q(case__case_due__lt=today))
    return qs


def conflict_row(c: Conflict) -> dict[str, Any]:
    """A conflict as lists show it (personal values masked)."""
    show = lambda v: mask_value(c.registry, c.field, v)  # noqa: E731
    return {
        "id": c.pk,
        "registry": c.registry,
        "record_id": c.record_id,
        "field": c.field,
        **_names(c.registry, c.field),
        "authoritative_value": show(c.authoritative_value),
        "other_value": show(c.other_value),
        "authority": c.authority.name,
        "department": c.department.name,
        "status": c.status,
        "status_name": str(c.get_status_display()),
        "batch": c.batch_id,
        "created_at": c.created_at,
        "resolved_at": c.resolved_at,
    }


def visible_conflicts(user):
    return access.conflicts(user).select_related("authority", "department")
