"""Writes made from the Django admin: saved and deleted through here so each one is
atomic and lands in the audit ledger like every other write."""

from __future__ import annotations

from django.db import models, transaction

from yiwang.core import audit


@transaction.atomic
def do_admin_save(*, actor, obj: models.Model, changed: list[str], created: bool) -> models.Model:
    """Save an object edited in the admin and record which fields changed."""
    obj.save()
    audit.record(
        actor=actor,
        action=f"admin.{obj._meta.label_lower}.{'add' if created else 'change'}",
        obj=obj,
        purpose="系统管理后台",
        change={"fields": sorted(changed)},
    )
    return obj


@transaction.atomic
def do_admin_delete(*, actor, obj: models.Model) -> None:
    """Delete an object from the admin, recording what it was."""
    label, pk, text = obj._meta.label_lower, obj.pk, str(obj)[:200]
    obj.delete()
    audit.record(
        actor=actor,
        action=f"admin.{label}.delete",
        obj=(label, pk),
        purpose="系统管理后台",
        change={"was": text},
    )
