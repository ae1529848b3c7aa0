"""数据质量 actions: seed the default quality rules and switch rules on or off."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core.audit import record
from yiwang.data.models import DataElement, QualityRule

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "quality_rules.json"


def do_seed_quality_rules(*, actor) -> int:
    """载入默认质量规则 from the fixture (existing codes are left as they are); returns how
    many were added."""
    rules = json.loads(FIXTURE.read_text(encoding="utf-8"))["rules"]
    elements = dict(DataElement.objects.values_list("code", "id"))
    added = 0
    with transaction.atomic():
        for r in rules:
            if r.get("element") and r["element"] not in elements:
                continue
            _rule, created = QualityRule.objects.get_or_create(
                code=r["code"],
                defaults={
                    "name": r["name"],
                    "dimension": r["dimension"],
                    "element_id": elements.get(r.get("element", "")),
                    "params": r.get("params", {}),
                    "weight": r.get("weight", 1),
                },
            )
            added += int(created)
        if added:
            record(
                actor=actor,
                action="data.quality.seed",
                obj=("QualityRule", "defaults"),
                purpose=_("载入默认质量规则"),
                change={"added": added},
            )
    return added


def ensure_default_rules() -> None:
    """Seed the defaults once when no rule exists yet (a fresh city)."""
    if not QualityRule.objects.exists():
        do_seed_quality_rules(actor=None)


def do_set_rule_active(*, actor, rule: QualityRule, active: bool) -> QualityRule:
    """启用或停用质量规则."""
    with transaction.atomic():
        rule.active = active
        rule.save(update_fields=["active"])
        record(
            actor=actor,
            action="data.quality.rule",
            obj=rule,
            purpose=_("质量规则设置"),
            change={"active": active},
        )
    return rule
