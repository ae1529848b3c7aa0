"""Writes for the matter tree (诉求分类) and routing rules (派单规则)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import access, audit
from yiwang.core.models import Department, Division
from yiwang.hotline.models import Category, RoutingRule

CATEGORIES_FILE = Path(__file__).resolve().parent.parent / "fixtures" / "categories.json"


@transaction.atomic
def do_load_categories(*, actor, path: Path | None = None) -> int:
    """Create or update the matter tree from a JSON list of ``{code, name, name_en, parent,
    line, description, description_en}`` (parents first); returns the number of categories written."""
    rows = json.loads((path or CATEGORIES_FILE).read_text("utf-8"))
    written = 0
    for row in rows:
        parent = Category.objects.get(code=row["parent"]) if row.get("parent") else None
        Category.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row.get("name_en", ""),
                "parent": parent,
                "line": row.get("line", ""),
                "description": row.get("description", ""),
                "description_en": row.get("description_en", ""),
            },
        )
        written += 1
    audit.record(
        actor=actor,
        action="hotline.categories.load",
        obj=("hotline.category", "*"),
        change={"count": written},
    )
    return written


@transaction.atomic
def do_set_routing_rule(
    *, actor, category: Category, division: Division, department: Department, note: str = ""
) -> RoutingRule:
    """Name the department that handles ``category`` in ``division`` (and below it)."""
    access.require(actor, "hotline.supervise", message=_("只有 12345 值班长可以维护派单规则。"))
    if not department.division.path or not division.path.startswith(department.division.path):
        raise ValidationError(
            {"department": _("承办部门须位于该区划或其上级区划。")}, code="department_outside"
        )
    rule, _created = RoutingRule.objects.update_or_create(
        category=category, division=division, defaults={"department": department, "note": note}
    )
    audit.record(
        actor=actor,
        action="hotline.routing.set",
        obj=rule,
        change={"category": category.code, "division": division.code, "department": department.pk},
    )
    return rule
