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
}
FIELD_KEYS = frozenset(
    {"name", "label", "type", "required", "choices", "max_length", "min", "max", "help"}
)
TEXT_TYPES = frozenset({"text", "textarea", "phone"})
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
        where = _where(n, raw)
        if not isinstance(raw, dict):
            errors.append(_("%s：应为对象（JSON 对象）。") % where)
            continue
        extra = sorted(set(raw) - FIELD_KEYS)
        if extra:
            errors.append(
                _("%(w)s：不认识的属性 %(k)s。可用属性：%(ok)s。")
                % {"w": where, "k": "、".join(extra), "ok": "、".join(sorted(FIELD_KEYS))}
            )
        name = raw.get("name")
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
        label = raw.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 100:
            errors.append(_("%s：须填写字段名称 label（不超过 100 个字符）。") % where)
        ftype = raw.get("type")
        if ftype not in FIELD_TYPES:
            errors.append(
                _("%(w)s：未知的字段类型“%(t)s”，可用类型：%(ok)s。")
                % {"w": where, "t": ftype, "ok": "、".join(FIELD_TYPES)}
            )
            continue
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
        if "max_length" in raw:
            ml = raw["max_length"]
            if ftype not in TEXT_TYPES:
                errors.append(_("%s：只有文本类字段可以设置最大长度 max_length。") % where)
            elif not isinstance(ml, int) or isinstance(ml, bool) or not 1 <= ml <= MAX_TEXT:
                errors.append(
                    _("%(w)s：最大长度应为 1–%(m)s 的整数。") % {"w": where, "m": MAX_TEXT}
                )
            else:
                item["max_length"] = ml
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
        if "help" in raw:
            if not isinstance(raw["help"], str) or len(raw["help"]) > 500:
                errors.append(_("%s：填写说明 help 应为不超过 500 个字符的文本。") % where)
            elif raw["help"].strip():
                item["help"] = raw["help"].strip()
        out.append(item)
    _fail(errors, "form_fields")
    return out


def registry_fields(registry: str) -> list[str]:
    """Fields of a base registry a rule may read (``yiwang.data.registry``)."""
    from yiwang.data.registry import REGISTRIES as SPECS

    spec = SPECS.get(registry)
    return list(spec.fields()) if spec is not None else []


def _check_operand(where: str, field: Any, op: Any, form_names: set[str], errors: list[str]):
    if not isinstance(field, str) or not field:
        errors.append(_("%s：缺少判断对象 field。") % where)
        return
    head, _sep, rest = field.partition(".")
    if head == "form":
        if rest not in form_names:
            errors.append(_("%(w)s：申请表中没有字段“%(f)s”。") % {"w": where, "f": rest or field})
    elif head == "applicant":
        if rest not in APPLICANT_OPERANDS:
            errors.append(
                _("%(w)s：申请人属性只能是 %(ok)s。")
                % {
                    "w": where,
                    "ok": "、".join(f"applicant.{a}" for a in sorted(APPLICANT_OPERANDS)),
                }
            )
    elif head == "registry":
        registry, _dot, attr = rest.partition(".")
        if registry not in REGISTRIES or not attr:
            errors.append(
                _("%s：基础库对象应写作 registry.person.<字段> 或 registry.legal_entity.<字段>。")
                % where
            )
        else:
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
    elif head == "licence":
        if not SLUG_RE.match(rest):
            errors.append(_("%s：电子证照应写作 licence.<证照类型标识>。") % where)
        elif op != "held":
            errors.append(_("%s：电子证照条件只能使用 held（持有有效证照）。") % where)
        return
    else:
        errors.append(
            _(
                "%(w)s：未知的判断对象“%(f)s”（应以 form.、applicant.、registry. 或 licence. 开头）。"
            )
            % {"w": where, "f": field}
        )
    if op == "held":
        errors.append(_("%s：held 只能用于电子证照条件（licence.<证照类型标识>）。") % where)


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
    out, codes = [], set()
    for n, raw in enumerate(rules, start=1):
        where = _("第 %s 条秒批规则") % n
        if not isinstance(raw, dict):
            errors.append(_("%s：应为对象（JSON 对象）。") % where)
            continue
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
        when = raw.get("when")
        if not isinstance(when, list) or not when:
            errors.append(_("%s：须至少有一个条件 when。") % where)
            continue
        if len(when) > MAX_CONDITIONS:
            errors.append(
                _("%(w)s：条件过多（最多 %(m)s 个）。") % {"w": where, "m": MAX_CONDITIONS}
            )
            continue
        conditions = []
        for i, cond in enumerate(when, start=1):
            cwhere = _("%(w)s第 %(i)s 个条件") % {"w": where, "i": i}
            if not isinstance(cond, dict):
                errors.append(_("%s：应为对象。") % cwhere)
                continue
            extra = sorted(set(cond) - CONDITION_KEYS)
            if extra:
                errors.append(
                    _("%(w)s：不认识的属性 %(k)s。") % {"w": cwhere, "k": "、".join(extra)}
                )
            op = cond.get("op")
            if op not in OPS:
                errors.append(
                    _("%(w)s：未知的比较方式“%(op)s”，可用：%(ok)s。")
                    % {"w": cwhere, "op": op, "ok": "、".join(OPS)}
                )
                continue
            _check_operand(cwhere, cond.get("field"), op, form_names, errors)
            clean = {"field": cond.get("field"), "op": op}
            if op in ("held", "present"):
                pass
            elif "value" not in cond:
                errors.append(_("%s：缺少比较值 value。") % cwhere)
            elif op == "in":
                if not isinstance(cond["value"], list) or not cond["value"]:
                    errors.append(_("%s：in 的比较值应为非空列表。") % cwhere)
                clean["value"] = cond["value"]
            elif op in ("lt", "le", "gt", "ge"):
                if not (_is_number(cond["value"]) or isinstance(cond["value"], str)):
                    errors.append(_("%s：大小比较的值应为数字或日期。") % cwhere)
                clean["value"] = cond["value"]
            else:
                if isinstance(cond["value"], dict | list):
                    errors.append(_("%s：比较值应为单个值。") % cwhere)
                clean["value"] = cond["value"]
            conditions.append(clean)
        out.append(
            {
                "code": code,
                "name": str(raw.get("name") or "").strip(),
                "basis": str(raw.get("basis") or "").strip(),
                "when": conditions,
            }
        )
    _fail(errors, "instant_rules")
    return out
