"""申请表字段 and 秒批规则 as data: checking a service item's ``form_fields`` list and the
shape of its ``instant_rules`` before they are saved, with one clear Chinese message per
problem (the shared shapes are described in docs/services.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

FIELD_TYPES: dict[str, Any] = {
    "text": _l("单行文本"),
    "textarea": _l("多行文本"),
    "number": _l("数字"),
    "integer": _l("整数"),
    "date": _l("日期"),
    "select": _l("下拉选择"),
    "checkbox": _l("勾选"),
    "id_number": _l("居民身份证号码"),
    "credit_code": _l("统一社会信用代码"),
    "phone": _l("联系电话"),
    "division": _l("行政区划"),
    "name": _l("姓名"),
    "address": _l("地址"),
}
FIELD_KEYS = frozenset(
    {
        "name",
        "label",
        "type",
        "required",
        "choices",
        "max_length",
        "min",
        "max",
        "help",
        "prefill",
        "picker",
    }
)
TEXT_TYPES = frozenset({"text", "textarea", "phone", "name", "address"})
NUMERIC_TYPES = frozenset({"number", "integer"})
MAX_FIELDS = 100
MAX_TEXT = 10000
NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")

RULE_KEYS = frozenset({"code", "name", "basis", "when"})
CONDITION_KEYS = frozenset({"field", "op", "value"})
OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "held", "present")
APPLICANT_OPERANDS = frozenset({"age", "division", "kind"})
REGISTRIES = frozenset({"person", "legal_entity"})
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_RULES = 20
MAX_CONDITIONS = 20


def _fail(errors: list[str], key: str) -> None:
    if errors:
        raise ValidationError({key: errors}, code="invalid_" + key)


def _where(n: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    if isinstance(name, str) and name:
        return _("第 %(n)s 个字段（%(name)s）") % {"n": n, "name": name}
    return _("第 %s 个字段") % n


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _clean_choices(where: str, choices: Any, errors: list[str]) -> list[list[str]]:
    if not isinstance(choices, list) or not choices:
        errors.append(_("%s：下拉选择须提供选项 choices，形如 [[值, 名称], …]。") % where)
        return []
    out, seen = [], set()
    for i, pair in enumerate(choices, start=1):
        ok = (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(x, str | int) and not isinstance(x, bool) for x in pair)
            and str(pair[0]).strip()
            and str(pair[1]).strip()
        )
        if not ok:
            errors.append(
                _("%(w)s：第 %(i)s 个选项应为 [值, 名称]，且两者都不能为空。")
                % {"w": where, "i": i}
            )
            continue
        value = str(pair[0]).strip()
        if value in seen:
            errors.append(_("%(w)s：选项值“%(v)s”重复。") % {"w": where, "v": value})
            continue
        seen.add(value)
        out.append([value, str(pair[1]).strip()])
    return out


def _clean_bound(where: str, key: str, value: Any, ftype: str, errors: list[str]) -> Any:
    label = _("最小值") if key == "min" else _("最大值")
    if ftype == "date":
        try:
            return dt.date.fromisoformat(str(value)).isoformat()
        except ValueError:
            errors.append(_("%(w)s：%(l)s应为日期（YYYY-MM-DD）。") % {"w": where, "l": label})
            return None
    if ftype == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        errors.append(_("%(w)s：%(l)s应为整数。") % {"w": where, "l": label})
        return None
    if not _is_number(value):
        errors.append(_("%(w)s：%(l)s应为数字。") % {"w": where, "l": label})
        return None
    return value


def clean_form_fields(fields: Any) -> list[dict]:
    """申请表字段: the checked and normalised list, or a ValidationError on
    ``form_fields`` listing every problem (unknown type, duplicate name, bad choices,
    bad min/max, unknown keys)."""
    if fields in (None, ""):
        return []
    if not isinstance(fields, list):
        raise ValidationError(
            {"form_fields": [_("申请表字段应为列表（JSON 数组）。")]}, code="invalid_form_fields"
        )
    errors: list[str] = []
    if len(fields) > MAX_FIELDS:
        errors.append(_("申请表字段过多（最多 %s 个）。") % MAX_FIELDS)
        _fail(errors, "form_fields")
    out: list[dict] = []
    names: set[str] = set()
    for n, raw in enumerate(fields, start=1):
        item = _clean_field(_where(n, raw), raw, names, errors)
        if item is not None:
            out.append(item)
    _fail(errors, "form_fields")
    return out


def _clean_field(where: str, raw: Any, names: set[str], errors: list[str]) -> dict | None:
    """One 申请表字段, normalised; None when it is not an object or its type is unknown,
    since then none of its settings can be judged. ``names`` collects the names seen so
    far, to refuse a name used twice."""
    if not isinstance(raw, dict):
        errors.append(_("%s：应为对象（JSON 对象）。") % where)
        return None
    extra = sorted(set(raw) - FIELD_KEYS)
    if extra:
        errors.append(
            _("%(w)s：不认识的属性 %(k)s。可用属性：%(ok)s。")
            % {"w": where, "k": "、".join(extra), "ok": "、".join(sorted(FIELD_KEYS))}
        )
    name = raw.get("name")
    _check_field_name(where, name, names, errors)
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 100:
        errors.append(_("%s：须填写字段名称 label（不超过 100 个字符）。") % where)
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        errors.append(
            _("%(w)s：未知的字段类型“%(t)s”，可用类型：%(ok)s。")
            % {"w": where, "t": ftype, "ok": "、".join(FIELD_TYPES)}
        )
        return None
    item: dict[str, Any] = {
        "name": name,
        "label": label.strip() if isinstance(label, str) else label,
        "type": ftype,
        "required": False,
    }
    if "required" in raw:
        if not isinstance(raw["required"], bool):
            errors.append(_("%s：required 应为 true 或 false。") % where)
        item["required"] = bool(raw["required"])
    if ftype == "select":
        item["choices"] = _clean_choices(where, raw.get("choices"), errors)
    elif "choices" in raw:
        errors.append(_("%s：只有下拉选择（select）字段可以设置选项 choices。") % where)
    _clean_max_length(where, raw, ftype, item, errors)
    _clean_bounds(where, raw, ftype, item, errors)
    _clean_help(where, raw, item, errors)
    _clean_prefill(where, raw, item, errors)
    return item


def _check_field_name(where: str, name: Any, names: set[str], errors: list[str]) -> None:
    """字段名: a short lower-case identifier, unique within the form, because the
    submitted values and the 秒批 rules (``form.<name>``) refer to fields by it."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        errors.append(
            _(
                "%s：字段名 name 须以小写字母或下划线开头，只含小写字母、数字和下划线，最长 40 个字符。"
            )
            % where
        )
    elif name in names:
        errors.append(_("字段名“%s”重复，每个字段名只能出现一次。") % name)
    else:
        names.add(name)


def _clean_max_length(where: str, raw: dict, ftype: str, item: dict, errors: list[str]) -> None:
    """最大长度: only text fields have one, between 1 and MAX_TEXT characters."""
    if "max_length" not in raw:
        return
    ml = raw["max_length"]
    if ftype not in TEXT_TYPES:
        errors.append(_("%s：只有文本类字段可以设置最大长度 max_length。") % where)
    elif not isinstance(ml, int) or isinstance(ml, bool) or not 1 <= ml <= MAX_TEXT:
        errors.append(_("%(w)s：最大长度应为 1–%(m)s 的整数。") % {"w": where, "m": MAX_TEXT})
    else:
        item["max_length"] = ml


def _clean_bounds(where: str, raw: dict, ftype: str, item: dict, errors: list[str]) -> None:
    """最小值/最大值: only numeric and date fields have bounds, and min may not exceed
    max."""
    bounds = {}
    for key in ("min", "max"):
        if key not in raw:
            continue
        if ftype not in NUMERIC_TYPES and ftype != "date":
            errors.append(
                _("%(w)s：只有数字、整数和日期字段可以设置 %(k)s。") % {"w": where, "k": key}
            )
            continue
        value = _clean_bound(where, key, raw[key], ftype, errors)
        if value is not None:
            bounds[key] = value
            item[key] = value
    if len(bounds) == 2 and bounds["min"] > bounds["max"]:
        errors.append(
            _("%(w)s：最小值 %(a)s 大于最大值 %(b)s。")
            % {"w": where, "a": bounds["min"], "b": bounds["max"]}
        )


def _clean_prefill(where: str, raw: dict, item: dict, errors: list[str]) -> None:
    """免填写 and pickers: ``prefill`` names where the answer is already known
    (``services.prefill.SOURCES`` or ``licence:<slug>``); ``picker`` is ``"scope"`` for
    a 经营范围 field answered by choosing from the standard list."""
    from yiwang.services.prefill import SOURCES, is_source

    if "prefill" in raw:
        if not is_source(raw["prefill"]):
            errors.append(
                _("%(w)s：prefill 应为 %(ok)s 或 licence:证照类型标识。")
                % {"w": where, "ok": "、".join(SOURCES)}
            )
        else:
            item["prefill"] = raw["prefill"]
    if "picker" in raw:
        if raw["picker"] != "scope" or item["type"] not in ("text", "textarea"):
            errors.append(_("%s：picker 只能为 scope（经营范围），且只用于文本字段。") % where)
        else:
            item["picker"] = "scope"


def _clean_help(where: str, raw: dict, item: dict, errors: list[str]) -> None:
    """填写说明: an optional hint under the field, at most 500 characters."""
    if "help" not in raw:
        return
    if not isinstance(raw["help"], str) or len(raw["help"]) > 500:
        errors.append(_("%s：填写说明 help 应为不超过 500 个字符的文本。") % where)
    elif raw["help"].strip():
        item["help"] = raw["help"].strip()


def registry_fields(registry: str) -> list[str]:
    """Fields of a base registry a rule may read (``yiwang.data.registry``)."""
    from yiwang.data.registry import REGISTRIES as SPECS

    spec = SPECS.get(registry)
    return list(spec.fields()) if spec is not None else []


def _check_operand(where: str, field: Any, op: Any, form_names: set[str], errors: list[str]):
    """The operand of a condition (判断对象): ``form.<field>``, ``applicant.<attr>``,
    ``registry.<registry>.<field>`` or ``licence.<type>``. Only a licence operand may use
    (and must use) ``held``."""
    if not isinstance(field, str) or not field:
        errors.append(_("%s：缺少判断对象 field。") % where)
        return
    head, _sep, rest = field.partition(".")
    if head == "licence":
        _check_licence_operand(where, rest, op, errors)
        return
    check = _OPERANDS.get(head)
    if check is None:
        errors.append(
            _(
                "%(w)s：未知的判断对象“%(f)s”（应以 form.、applicant.、registry. 或 licence. 开头）。"
            )
            % {"w": where, "f": field}
        )
    else:
        check(where, rest, field, form_names, errors)
    if op == "held":
        errors.append(_("%s：held 只能用于电子证照条件（licence.<证照类型标识>）。") % where)


def _check_form_operand(
    where: str, rest: str, field: str, form_names: set[str], errors: list[str]
) -> None:
    """``form.<name>``: a field of this item's 申请表."""
    if rest not in form_names:
        errors.append(_("%(w)s：申请表中没有字段“%(f)s”。") % {"w": where, "f": rest or field})


def _check_applicant_operand(
    where: str, rest: str, field: str, form_names: set[str], errors: list[str]
) -> None:
    """``applicant.<attr>``: the applicant's age, division or kind."""
    if rest not in APPLICANT_OPERANDS:
        errors.append(
            _("%(w)s：申请人属性只能是 %(ok)s。")
            % {
                "w": where,
                "ok": "、".join(f"applicant.{a}" for a in sorted(APPLICANT_OPERANDS)),
            }
        )


def _check_registry_operand(
    where: str, rest: str, field: str, form_names: set[str], errors: list[str]
) -> None:
    """``registry.<registry>.<field>``: a field of the 人口库 or 法人库."""
    registry, _dot, attr = rest.partition(".")
    if registry not in REGISTRIES or not attr:
        errors.append(
            _("%s：基础库对象应写作 registry.person.<字段> 或 registry.legal_entity.<字段>。")
            % where
        )
        return
    known = registry_fields(registry)
    if attr not in known:
        errors.append(
            _("%(w)s：%(r)s没有字段“%(f)s”，可用：%(ok)s。")
            % {
                "w": where,
                "r": _("人口库") if registry == "person" else _("法人库"),
                "f": attr,
                "ok": "、".join(known),
            }
        )


def _check_licence_operand(where: str, rest: str, op: Any, errors: list[str]) -> None:
    """``licence.<type>``: holding a valid 电子证照 of that type, tested with ``held``."""
    if not SLUG_RE.match(rest):
        errors.append(_("%s：电子证照应写作 licence.<证照类型标识>。") % where)
    elif op != "held":
        errors.append(_("%s：电子证照条件只能使用 held（持有有效证照）。") % where)


# Operand prefix → its check (licence operands are checked apart: they alone take held).
_OPERANDS = {
    "form": _check_form_operand,
    "applicant": _check_applicant_operand,
    "registry": _check_registry_operand,
}


def clean_instant_rules(rules: Any, form_fields: list[dict] | None = None) -> list[dict]:
    """秒批规则: check the shape of each rule (code, name, basis, conditions with a known
    operand and operator); a rule without its legal basis is refused."""
    if rules in (None, ""):
        return []
    if not isinstance(rules, list):
        raise ValidationError(
            {"instant_rules": [_("秒批规则应为列表（JSON 数组）。")]}, code="invalid_instant_rules"
        )
    errors: list[str] = []
    if len(rules) > MAX_RULES:
        _fail([_("秒批规则过多（最多 %s 条）。") % MAX_RULES], "instant_rules")
    form_names = {f["name"] for f in form_fields or [] if isinstance(f, dict) and "name" in f}
    out: list[dict] = []
    codes: set[str] = set()
    for n, raw in enumerate(rules, start=1):
        rule = _clean_rule(_("第 %s 条秒批规则") % n, raw, form_names, codes, errors)
        if rule is not None:
            out.append(rule)
    _fail(errors, "instant_rules")
    return out


def _clean_rule(
    where: str, raw: Any, form_names: set[str], codes: set[str], errors: list[str]
) -> dict | None:
    """One 秒批规则, normalised; None when it is not an object or its conditions (when)
    are missing or too many. ``codes`` collects the rule codes seen so far."""
    if not isinstance(raw, dict):
        errors.append(_("%s：应为对象（JSON 对象）。") % where)
        return None
    code = _check_rule_head(where, raw, codes, errors)
    when = raw.get("when")
    if not isinstance(when, list) or not when:
        errors.append(_("%s：须至少有一个条件 when。") % where)
        return None
    if len(when) > MAX_CONDITIONS:
        errors.append(_("%(w)s：条件过多（最多 %(m)s 个）。") % {"w": where, "m": MAX_CONDITIONS})
        return None
    conditions = []
    for i, cond in enumerate(when, start=1):
        cwhere = _("%(w)s第 %(i)s 个条件") % {"w": where, "i": i}
        clean = _clean_condition(cwhere, cond, form_names, errors)
        if clean is not None:
            conditions.append(clean)
    return {
        "code": code,
        "name": str(raw.get("name") or "").strip(),
        "basis": str(raw.get("basis") or "").strip(),
        "when": conditions,
    }


def _check_rule_head(where: str, raw: dict, codes: set[str], errors: list[str]) -> Any:
    """A rule's own keys: a unique code, a name and its 政策依据 (basis) — a 秒批 rule
    without the policy that allows it is refused. Returns the code as given."""
    extra = sorted(set(raw) - RULE_KEYS)
    if extra:
        errors.append(_("%(w)s：不认识的属性 %(k)s。") % {"w": where, "k": "、".join(extra)})
    code = raw.get("code")
    if not isinstance(code, str) or not NAME_RE.match(code):
        errors.append(_("%s：规则编码 code 须为小写字母、数字和下划线。") % where)
    elif code in codes:
        errors.append(_("秒批规则编码“%s”重复。") % code)
    else:
        codes.add(code)
    for key, label in (("name", _("规则名称 name")), ("basis", _("政策依据 basis"))):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            errors.append(_("%(w)s：须填写%(l)s。") % {"w": where, "l": label})
    return code


def _clean_condition(where: str, cond: Any, form_names: set[str], errors: list[str]) -> dict | None:
    """One condition of a rule: an operand (form./applicant./registry./licence.), a known
    operator and — except for held/present — a value of the shape the operator needs;
    None when it is not an object or its operator is unknown."""
    if not isinstance(cond, dict):
        errors.append(_("%s：应为对象。") % where)
        return None
    extra = sorted(set(cond) - CONDITION_KEYS)
    if extra:
        errors.append(_("%(w)s：不认识的属性 %(k)s。") % {"w": where, "k": "、".join(extra)})
    op = cond.get("op")
    if op not in OPS:
        errors.append(
            _("%(w)s：未知的比较方式“%(op)s”，可用：%(ok)s。")
            % {"w": where, "op": op, "ok": "、".join(OPS)}
        )
        return None
    _check_operand(where, cond.get("field"), op, form_names, errors)
    clean = {"field": cond.get("field"), "op": op}
    if op in ("held", "present"):
        return clean
    if "value" not in cond:
        errors.append(_("%s：缺少比较值 value。") % where)
        return clean
    value = cond["value"]
    fits, message = _VALUE_SHAPES.get(op, _SINGLE_VALUE)
    if not fits(value):
        errors.append(message() % where)
    clean["value"] = value
    return clean


# The value each operator compares with: (does the value fit, message when it does
# not). ``in`` takes a non-empty list, the order comparisons a number or a date
# string; every other operator a single value.
_SINGLE_VALUE = (
    lambda v: not isinstance(v, dict | list),
    lambda: _("%s：比较值应为单个值。"),
)
_ORDERED_VALUE = (
    lambda v: _is_number(v) or isinstance(v, str),
    lambda: _("%s：大小比较的值应为数字或日期。"),
)
_VALUE_SHAPES: dict[str, tuple[Any, Any]] = {
    "in": (
        lambda v: isinstance(v, list) and bool(v),
        lambda: _("%s：in 的比较值应为非空列表。"),
    ),
    "lt": _ORDERED_VALUE,
    "le": _ORDERED_VALUE,
    "gt": _ORDERED_VALUE,
    "ge": _ORDERED_VALUE,
}
