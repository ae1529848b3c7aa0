"""秒批 (instant approval): an item's ``instant_rules`` evaluated over the application's
form, the applicant's facts, the base registries and the e-licences they hold. A rule
approves when all its conditions hold; a missing input means "cannot decide" and the
case goes to normal review, with the reasons written on it.

Rule shape: ``{"code", "name", "basis", "when": [{"field": operand, "op", "value"}]}``;
operands ``form.<name>``, ``applicant.age|division|kind``, ``registry.person.<field>``,
``registry.legal_entity.<field>``, ``licence.<licence type slug>`` (op ``held``).
Division operands match the division itself or any division under it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core.identifiers import id_birth_date
from yiwang.core.notify.text import Bilingual, Text, bilingual, shown
from yiwang.services import materials

OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "held", "present")
OP_LABELS = {
    "eq": "=",
    "ne": "≠",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "in": "∈",
    "held": gettext_lazy("持有"),
    "present": gettext_lazy("有值"),
}
REGISTRIES = ("person", "legal_entity")
# Operands as an applicant reads them in the case history (no ``registry.person.name``).
APPLICANT_LABELS = {
    "age": gettext_lazy("申请人年龄"),
    "division": gettext_lazy("申请人所在区划"),
    "kind": gettext_lazy("申请人类型"),
}


class Missing(Exception):
    """An input the rule needs is not there: the rule cannot decide."""


@dataclass
class Facts:
    """What rules may look at for one application (registry and licence reads cached)."""

    form: dict
    kind: str  # person / entity
    id_type: str
    id_number: str
    today: dt.date = field(default_factory=timezone.localdate)
    labels: dict = field(default_factory=dict)  # 申请表 field name → its label
    _records: dict = field(default_factory=dict)

    def record(self, registry: str):
        if registry not in self._records:
            self._records[registry] = materials.registry_record(
                registry, self.id_type, self.id_number
            )
        return self._records[registry]

    def value(self, operand: str) -> Any:
        """The operand's value; raises Missing when it is absent."""
        head, _sep, rest = (operand or "").partition(".")
        if head == "form" and rest:
            value = self.form.get(rest)
        elif head == "applicant" and rest in ("age", "division", "kind"):
            value = self._applicant(rest)
        elif head == "registry":
            registry, _sep, name = rest.partition(".")
            value = self._registry(registry, name)
        elif head == "licence" and rest:
            return materials.valid_licence(rest, self.id_number) is not None
        else:
            raise Missing(operand)
        if value is None or value == "":
            raise Missing(operand)
        return value

    def _applicant(self, name: str) -> Any:
        if name == "kind":
            return self.kind
        if name == "age":
            if self.kind != "person":
                return None
            born = id_birth_date(self.id_number)
            t = self.today
            return t.year - born.year - ((t.month, t.day) < (born.month, born.day))
        record = self.record("person" if self.kind == "person" else "legal_entity")
        return record.division_id if record is not None else None

    def _registry(self, registry: str, name: str) -> Any:
        from yiwang.data.registry import REGISTRIES as SPECS
        from yiwang.data.registry import get_value

        if registry not in REGISTRIES or name not in SPECS[registry].fields():
            return None
        record = self.record(registry)
        if record is None:
            return None
        value = get_value(record, name)
        return value.isoformat() if isinstance(value, dt.date) else value


def facts_for(application) -> Facts:
    """The facts of a stored application."""
    kind = "entity" if application.applicant_id_type == "001" else "person"
    return Facts(
        form=dict(application.form_data or {}),
        kind=kind,
        id_type=application.applicant_id_type,
        id_number=application.applicant_id_number,
        labels=form_labels(application.item),
    )


def form_labels(item) -> dict[str, str]:
    """申请表 field name → the label the applicant saw, for notes in plain words."""
    return {
        f["name"]: f.get("label") or f["name"]
        for f in item.form_fields or []
        if isinstance(f, dict) and f.get("name")
    }


def operand_label(operand: str, labels: dict | None = None) -> str:
    """An operand in plain words: the 申请表 question's label, "人口库中的姓名",
    "有效的电子居住证" — what the applicant sees in the case history."""
    from yiwang.data.registry import REGISTRIES as SPECS

    head, _sep, rest = (operand or "").partition(".")
    if head == "form" and rest:
        return str((labels or {}).get(rest) or _("申请表中的“%s”") % rest)
    if head == "applicant" and rest in APPLICANT_LABELS:
        return str(APPLICANT_LABELS[rest])
    if head == "registry":
        registry, _sep, name = rest.partition(".")
        where = materials.REGISTRY_LABELS.get(registry, _("基础库"))
        what = _("信息")
        if registry in SPECS and name in SPECS[registry].fields():
            what = str(getattr(SPECS[registry].model._meta.get_field(name), "verbose_name", name))
        return _("%(registry)s中的%(field)s") % {"registry": where, "field": what}
    if head == "licence" and rest:
        from yiwang.licences.public import licence_type_by_slug

        found = licence_type_by_slug(rest)
        return _("有效的电子%s") % (found.display_name if found else _("证照"))
    return _("所需信息")


def _number(v: Any) -> Decimal | None:
    if isinstance(v, bool):
        return None
    try:
        return Decimal(str(v))
    except (InvalidOperation, ValueError):
        return None


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "on", "yes", "是")
    return bool(v)


def _same(a: Any, b: Any, division: bool) -> bool:
    if isinstance(b, bool) or isinstance(a, bool):
        return _truthy(a) == _truthy(b)
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None and not division:
        return na == nb
    if division:
        return str(a).startswith(str(b))
    return str(a) == str(b)


def _order(a: Any, b: Any) -> int:
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    sa, sb = str(a), str(b)
    return (sa > sb) - (sa < sb)


def holds(condition: dict, facts: Facts) -> bool:
    """Whether one condition holds; raises Missing when its input is absent."""
    operand = str(condition.get("field", ""))
    op = condition.get("op", "eq")
    expected = condition.get("value")
    if op == "present":
        if expected is not False:
            facts.value(operand)  # absent: Missing, reported as the input lacking
            return True
        try:
            facts.value(operand)
        except Missing:
            return True
        return False
    if op == "held":
        if not operand.startswith("licence."):
            raise Missing(operand)
        return facts.value(operand) == (expected is not False)
    actual = facts.value(operand)
    division = operand.endswith("division")
    if op == "eq":
        return _same(actual, expected, division)
    if op == "ne":
        return not _same(actual, expected, division)
    if op == "in":
        options = expected if isinstance(expected, list) else [expected]
        return any(_same(actual, o, division) for o in options)
    if expected is None:
        raise Missing(operand)
    sign = _order(actual, expected)
    return {"lt": sign < 0, "le": sign <= 0, "gt": sign > 0, "ge": sign >= 0}[op]


def describe(condition: dict, labels: dict | None = None) -> str:
    """A condition as people read it, e.g. ``经营面积 ≤ 100``."""
    op = condition.get("op", "eq")
    value = condition.get("value")
    label = operand_label(str(condition.get("field", "")), labels)
    if op == "held" and value is not False:
        return f"{OP_LABELS['held']}{label}"
    text = f"{label} {OP_LABELS.get(op, op)}"
    if op not in ("held", "present") or value is False:
        text += f" {_('、').join(map(str, value)) if isinstance(value, list) else value}"
    return text


@dataclass
class Decision:
    """The outcome: the rule that approves (None: normal review) and the reasons, each
    written in Chinese and English (the case history shows the reader's language)."""

    rule: dict | None
    reasons: list[Text]

    @property
    def approved(self) -> bool:
        return self.rule is not None

    def comment(self) -> Bilingual:
        """The case comment in both languages: which rule approved and on what basis, or
        why not (the platform's note in the 流转记录)."""
        return bilingual(self._comment)

    def _comment(self) -> str:
        if self.rule is not None:
            r = self.rule
            text = _("秒批：符合规则「%(name)s」，系统自动审批通过。") % {
                "name": r.get("name") or r.get("code"),
            }
            if r.get("basis"):
                text += _("依据：%s") % r["basis"]
            return text
        return _("未能秒批，转人工审查：") + _("；").join(shown(r) for r in self.reasons)


def _well_formed(rule: Any) -> bool:
    return (
        isinstance(rule, dict)
        and bool(rule.get("code"))
        and isinstance(rule.get("when"), list)
        and bool(rule["when"])
        and all(isinstance(c, dict) and c.get("op", "eq") in OPS for c in rule["when"])
    )


def evaluate(rules: list | None, facts: Facts) -> Decision:
    """The first rule whose conditions all hold approves; otherwise each rule's reason
    (a condition that fails, or an input that is missing) is collected."""
    reasons: list[Text] = []
    for rule in rules or []:
        if not _well_formed(rule):
            reasons.append(bilingual(lambda: _("有一条秒批规则格式不正确，已跳过")))
            continue
        failed = None
        for condition in rule["when"]:
            try:
                ok = holds(condition, facts)
            except Missing as exc:
                failed = _missing(rule, exc.args[0] if exc.args else "", facts.labels)
                break
            if not ok:
                failed = _unmet(rule, condition, facts.labels)
                break
        if failed is None:
            return Decision(rule, [])
        reasons.append(failed)
    if not reasons:
        reasons.append(bilingual(lambda: _("事项没有秒批规则")))
    return Decision(None, reasons)


def _missing(rule: dict, operand: str, labels: dict) -> Bilingual:
    """Why ``rule`` cannot decide: an input it needs is missing (in both languages)."""
    return bilingual(
        lambda: (
            _("规则「%(name)s」无法判断：缺少%(input)s")
            % {"name": rule.get("name") or rule["code"], "input": operand_label(operand, labels)}
        )
    )


def _unmet(rule: dict, condition: dict, labels: dict) -> Bilingual:
    """Why ``rule`` does not approve: the first condition that fails (in both languages)."""
    return bilingual(
        lambda: (
            _("规则「%(name)s」不满足：%(cond)s")
            % {"name": rule.get("name") or rule["code"], "cond": describe(condition, labels)}
        )
    )
