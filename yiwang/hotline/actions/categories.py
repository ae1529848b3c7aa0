"""Writes for routing rules (派单规则); the matter tree (诉求分类) is written by
``actions.taxonomy``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import access, audit
from yiwang.core.models import Department, Division
from yiwang.hotline.models import Category, RoutingRule


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
