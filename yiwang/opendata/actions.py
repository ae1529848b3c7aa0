"""Writes of the open data room (``do_<verb>(*, actor, ...)``), atomic and audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.opendata import access
from yiwang.opendata.models import Dataset


@transaction.atomic
def do_publish_dataset(
    *, actor, code: str, title: str, department, summary: str = "", condition: str = ""
) -> Dataset:
    """Publish (or update) the open dataset ``code`` provided by ``department``. The
    actor needs ``opendata.publish`` there; ``actor=None`` is the system (demo seeding)."""
    if actor is not None and not access.may_publish(actor, department):
        raise PermissionDenied(_("您没有发布该部门开放数据的权限。"))
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
