"""Writes of the open data room (``do_<verb>(*, actor, ...)``), atomic and audited."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from yiwang.core import audit
from yiwang.opendata import access
from yiwang.opendata.models import Dataset


@transaction.atomic
def do_publish_dataset(
    *, actor, code: str, title: str, department, summary: str = "", condition: str = ""
) -> Dataset:
    """Publish (or update) the open dataset ``code`` provided by ``department``. The
    actor needs ``opendata.publish`` there, and over the department that provides the
    dataset now when it exists (nobody takes over another department's dataset);
    ``actor=None`` is the platform (demo seeding)."""
    access.require_publish(actor, department)
    current = Dataset.objects.select_for_update().filter(code=code).first()
    if current is not None and current.department_id != department.pk:
        access.require_publish(actor, current.department)
    dataset, created = Dataset.objects.update_or_create(
        code=code,
        defaults={
            "title": title,
            "summary": summary,
            "department": department,
            "condition": condition or Dataset.Condition.UNCONDITIONAL,
            "published_at": timezone.now(),
        },
    )
    audit.record(
        actor=actor,
        action="opendata.dataset.publish",
        obj=dataset,
        change={"code": code, "title": title, "department": department.code, "new": created},
    )
    return dataset
