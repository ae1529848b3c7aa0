"""申请表 cleaning: submitted values checked against an item's ``form_fields`` (types,
required, length, min/max, choices; ID numbers, credit codes, phones and division codes
by their national standards) → cleaned values and Chinese messages per field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.core.identifiers import (
    validate_credit_code,
    validate_division_code,
    validate_id_number,
    validate_mobile,
)

FIELD_TYPES = (
    "text",
    "textarea",
    "number",
    "integer",
    "date",
    "select",
    "checkbox",
    "id_number",
    "credit_code",
    "phone",
    "division",
    "name",
    "address",
)
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000, "name": 50}
TRUE_WORDS = frozenset({"1", "true", "on", "yes", "y", "是"})
FALSE_WORDS = frozenset({"", "0", "false", "off", "no", "n", "否"})
NUMBER_LIMIT = Decimal("1e15")


def _raw(data: Mapping, name: str) -> Any:
    """The submitted value: the last one for a multi-valued form key."""
    getlist = getattr(data, "getlist", None)
    if getlist is not None:
        values = getlist(name)
        return values[-1] if values else None
    return data.get(name)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    raise ValueError("not text")


def _label(field: dict) -> str:
    return str(field.get("label") or field.get("name") or "")


def _number(field: dict, text: str, integer: bool) -> int | float:
    label = _label(field)
    try:
        d = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise ValidationError(
            _("「%(label)s」应为整数。") if integer else _("「%(label)s」应为数字。"),
            params={"label": label},
        ) from None
    if not d.is_finite() or abs(d) >= NUMBER_LIMIT:
        raise ValidationError(_("「%(label)s」的数值超出范围。"), params={"label": label})
    if integer and d != d.to_integral_value():
        raise ValidationError(_("「%(label)s」应为整数。"), params={"label": label})
    low, high = field.get("min"), field.get("max")
    if low is not None and d < Decimal(str(low)):
        raise ValidationError(
            _("「%(label)s」不能小于 %(min)s。"), params={"label": label, "min": low}
        )
    if high is not None and d > Decimal(str(high)):
        raise ValidationError(
            _("「%(label)s」不能大于 %(max)s。"), params={"label": label, "max": high}
        )
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def _date(field: dict, text: str) -> str:
    label = _label(field)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            _("「%(label)s」应为日期，格式如 2026-01-31。"), params={"label": label}
        ) from None
    for key, message in (
        ("min", _("「%(label)s」不能早于 %(limit)s。")),
        ("max", _("「%(label)s」不能晚于 %(limit)s。")),
    ):
        limit = field.get(key)
        if not limit:
            continue
        bound = dt.date.fromisoformat(str(limit))
        if (key == "min" and day < bound) or (key == "max" and day > bound):
            raise ValidationError(message, params={"label": label, "limit": bound.isoformat()})
    return day.isoformat()


def _with_label(field: dict, exc: ValidationError) -> ValidationError:
    """An identifier validator's message, prefixed with the field's label."""
    return ValidationError(
        _("「%(label)s」：%(message)s"), params={"label": _label(field), "message": exc.messages[0]}
    )


def _checkbox(field: dict, value: Any) -> bool:
    """A 勾选 field: yes or no in any of the usual spellings; a required one must be
    ticked (e.g. 承诺书 "I confirm the above is true")."""
    label = _label(field)
    text = _text(value).lower()
    if text in TRUE_WORDS:
        checked = True
    elif text in FALSE_WORDS:
        checked = False
    else:
        raise ValidationError(_("「%(label)s」应为是或否。"), params={"label": label})
    if field.get("required") and not checked:
        raise ValidationError(_("请勾选「%(label)s」。"), params={"label": label})
    return checked


def _select(field: dict, text: str) -> str:
    """A 下拉选择 field: the value must be one of the declared choices."""
    allowed = {str(c[0]) for c in field.get("choices") or []}
    if text not in allowed:
        raise ValidationError(_("「%(label)s」不是可选的取值。"), params={"label": _label(field)})
    return text


def _identifier(validate: Any) -> Any:
    """A cleaner for a field holding a national identifier (身份证号码, 统一社会信用代码,
    手机号码, 行政区划代码): the shared validator's message, prefixed with the field's
    label so the applicant sees which field is wrong."""

    def clean(field: dict, text: str) -> str:
        try:
            return validate(text)
        except ValidationError as exc:
            raise _with_label(field, exc) from None

    return clean


# How each field type's non-empty text is cleaned (checkbox is handled before, as an
# empty box is a value, not a missing answer). Validators are looked up at call time.
_CLEANERS: dict[str, Any] = {
    "text": lambda field, text: text,
    "textarea": lambda field, text: text,
    "number": lambda field, text: _number(field, text, False),
    "integer": lambda field, text: _number(field, text, True),
    "date": lambda field, text: _date(field, text),
    "select": lambda field, text: _select(field, text),
    "id_number": _identifier(lambda text: validate_id_number(text)),
    "credit_code": _identifier(lambda text: validate_credit_code(text)),
    "phone": _identifier(lambda text: validate_mobile(text)),
    "division": _identifier(lambda text: validate_division_code(text)),
    # 姓名 and 地址 are text, typed so that they are masked (脱敏) wherever shown.
    "name": lambda field, text: text,
    "address": lambda field, text: text,
}


def clean_value(field: dict, value: Any) -> Any:
    """One field's cleaned value (None when left empty and not required); raises
    ValidationError with a Chinese message naming the field."""
    kind = field.get("type", "text")
    label = _label(field)
    if kind == "checkbox":
        return _checkbox(field, value)
    try:
        text = _text(value)
    except ValueError:
        raise ValidationError(_("「%(label)s」应为文本。"), params={"label": label}) from None
    if not text:
        if field.get("required"):
            if kind in ("select", "date"):
                raise ValidationError(_("请选择「%(label)s」。"), params={"label": label})
            raise ValidationError(_("请填写「%(label)s」。"), params={"label": label})
        return None
    limit = field.get("max_length") or DEFAULT_MAX_LENGTH.get(kind, 200)
    if len(text) > limit:
        raise ValidationError(
            _("「%(label)s」不能超过 %(n)d 个字。"), params={"label": label, "n": limit}
        )
    clean = _CLEANERS.get(kind)
    if clean is None:
        raise ValidationError(_("「%(label)s」的字段类型未知。"), params={"label": label})
    return clean(field, text)


def clean_form(fields: list[dict], data: Mapping | None) -> tuple[dict, dict[str, list[str]]]:
    """Clean ``data`` (a dict or a QueryDict) against ``fields``: returns (cleaned values of
    the declared fields only, {field name: [Chinese messages]}). Undeclared keys are
    dropped; empty optional fields are left out."""
    data = data if data is not None else {}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for field in fields or []:
        name = field.get("name")
        if not name:
            continue
        try:
            value = clean_value(field, _raw(data, name))
        except ValidationError as exc:
            errors[name] = [str(m) for m in exc.messages]
            continue
        if value is not None:
            cleaned[name] = value
    return cleaned, errors


def merge_fields(field_lists: list[list[dict]]) -> list[dict]:
    """Union of several forms' fields (一件事 combined form): each name asked once, in the
    order first met; a field is required when any form requires it."""
    out: dict[str, dict] = {}
    for fields in field_lists:
        for field in fields or []:
            name = field.get("name")
            if not name:
                continue
            if name not in out:
                out[name] = dict(field)
            elif field.get("required"):
                out[name]["required"] = True
    return list(out.values())


def bound_fields(
    fields: list[dict], values: Mapping | None = None, errors: dict | None = None
) -> list[dict]:
    """Fields ready for a template: the spec plus the value to show and its errors."""
    values = values or {}
    errors = errors or {}
    out = []
    for field in fields or []:
        name = field.get("name")
        if not name:
            continue
        raw = _raw(values, name)
        out.append(
            {
                **field,
                "type": field.get("type", "text"),
                "id": f"f-{name}",
                "value": "" if raw is None else raw,
                "checked": _text(raw).lower() in TRUE_WORDS if raw is not None else False,
                "errors": errors.get(name, []),
                "choices": [(str(c[0]), c[1]) for c in field.get("choices") or []],
            }
        )
    return out
