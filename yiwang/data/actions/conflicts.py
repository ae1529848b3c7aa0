"""数据冲突 writes: when a department that is not the authoritative source supplied a
value that differs from the authority's, it resolves the conflict by accepting the
authoritative value or by raising a 数据异议 against it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, errors
from yiwang.data import access
from yiwang.data.models import Conflict, DataObjection
from yiwang.data.registry import REGISTRIES


def _resolvable(actor, conflict: Conflict) -> Conflict:
    """Lock the conflict; the actor must be a steward of the department that resolves it
    and the conflict still open."""
    if not access.conflicts(actor, Conflict.objects.filter(pk=conflict.pk)).exists():
        raise Http404(_("未找到该记录，或您无权查看。"))
    if not access.by_department(
        actor, Conflict.objects.filter(pk=conflict.pk), "data.manage", "department"
    ).exists():
        raise PermissionDenied(_("只有提供该值的部门的数据专员可以处理此冲突。"))
    row = Conflict.objects.select_for_update().get(pk=conflict.pk)
    if row.status != Conflict.Status.OPEN:
        raise errors.Conflict(_("该冲突已处理。"), code="conflict_closed")
    return row


def _done(conflict: Conflict, row: Conflict) -> Conflict:
    conflict.status, conflict.resolved_at = row.status, row.resolved_at
    return row


@transaction.atomic
def do_accept_conflict(*, actor, conflict: Conflict) -> Conflict:
    """采纳权威值: the department agrees the authority's value is right."""
    row = _resolvable(actor, conflict)
    row.status = Conflict.Status.ACCEPTED
    row.resolved_at = timezone.now()
    row.save(update_fields=["status", "resolved_at"])
    audit.record(
        actor=actor,
        action="data.conflict.accept",
        obj=row,
        change={"registry": row.registry, "record": row.record_id, "field": row.field},
    )
    return _done(conflict, row)


@transaction.atomic
def do_object_conflict(
    *, actor, conflict: Conflict, reason: str, proposed_value: Any = None
) -> DataObjection:
    """提出异议: the department holds its own value to be right; a 数据异议 goes to the
    authority (proposing the department's value unless another is given)."""
    from yiwang.data.actions.objections import do_raise_objection

    row = _resolvable(actor, conflict)
    record = REGISTRIES[row.registry].model._default_manager.filter(pk=row.record_id).first()
    if record is None:
        raise errors.NotFound(_("该记录已不存在。"), code="not_found")
    objection = do_raise_objection(
        actor=actor,
        registry=row.registry,
        record=record,
        field=row.field,
        proposed_value=row.other_value if proposed_value in (None, "") else proposed_value,
        reason=reason,
        requester=row.department,
    )
    row.status = Conflict.Status.OBJECTED
    row.resolved_at = timezone.now()
    row.save(update_fields=["status", "resolved_at"])
    audit.record(
        actor=actor,
        action="data.conflict.object",
        obj=row,
        change={"objection": objection.pk, "number": objection.number},
    )
    _done(conflict, row)
    return objection


def objection_for(conflict: Conflict) -> DataObjection | None:
    """The objection raised from this conflict, if any."""
    if conflict.status != Conflict.Status.OBJECTED:
        return None
    return (
        DataObjection.objects.filter(
            registry=conflict.registry,
            record_id=conflict.record_id,
            field=conflict.field,
            requester_id=conflict.department_id,
        )
        .order_by("-id")
        .first()
    )
