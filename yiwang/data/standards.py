"""一数一源一标准: checking one raw value against its data element — type, length,
format, named validator, code list — and returning it normalised, or raising a
``ValidationError`` whose code names the failed check."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.core.identifiers import (
    validate_credit_code,
    validate_division_code,
    validate_id_number,
    validate_mobile,
)

VALIDATORS: dict[str, Callable[[str], str]] = {
    "id_number": validate_id_number,
    "credit_code": validate_credit_code,
    "division_code": validate_division_code,
    "mobile": validate_mobile,
}

DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y.%m.%d")
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是", "真"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "否", "假"})


@lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern:
    return re.compile(text)


def parse_date(raw: str) -> dt.date:
    """A date in one of the formats departments commonly send (2024-01-13, 20240113 …)."""
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValidationError(_("日期格式不正确（应为 YYYY-MM-DD）。"), code="date_format")


def _date(text: str) -> dt.date:
    """A date; a timestamp's time part (after a space or T) is dropped. ISO dates (the
    common case) are read without ``strptime``."""
    if len(text) > 10 and text[10] in " T":
        text = text[:10]
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass  # e.g. "2024-01- 3", which strptime still reads
    return parse_date(text)


def _datetime(text: str) -> dt.datetime:
    """A date and time in ISO 8601."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("时间格式不正确。"), code="datetime_format") from None


def _integer(text: str) -> int:
    """A whole number."""
    try:
        return int(text)
    except ValueError:
        raise ValidationError(_("应为整数。"), code="integer_format") from None


def _decimal(text: str) -> Decimal:
    """A finite decimal number; thousands separators (1,234.5) are accepted."""
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValidationError(_("应为数字。"), code="decimal_format") from None
    if not value.is_finite():
        raise ValidationError(_("应为数字。"), code="decimal_format")
    return value


def _boolean(text: str) -> bool:
    """是 or 否 in any of the usual spellings (1/0, true/false, yes/no, 真/假)."""
    low = text.lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    raise ValidationError(_("应为是或否。"), code="boolean_format")


# Data types whose value is parsed rather than checked as text; every other type
# (string, code …) goes through length, validator, pattern and code list.
PARSERS: dict[str, Callable[[str], Any]] = {
    "date": _date,
    "datetime": _datetime,
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
}


def checker_for(element) -> Callable[[Any], Any]:
    """``check_value`` under one element, its settings looked up once: what bulk paths
    call for every value of a column (a chunk of an import checks a column at a time)."""
    parse = PARSERS.get(element.data_type)
    if parse is not None:
        return _parsed(parse)
    max_length = element.max_length
    validate = VALIDATORS.get(element.validator) if element.validator else None
    unknown = bool(element.validator) and validate is None
    regex = _pattern(element.pattern) if element.pattern else None
    codes = element.code_list

    def check(raw: Any) -> Any:
        """A text value under its element: maximum length, then the named validator
        (which may normalise, e.g. upper-case an ID number), then pattern, then code
        list (代码表)."""
        if raw is None:
            return None
        text = (raw if type(raw) is str else str(raw)).strip()
        if text == "":
            return None
        if max_length and len(text) > max_length:
            raise ValidationError(_("长度超过 %(n)s 个字符。") % {"n": max_length}, code="too_long")
        if unknown:
            raise ValidationError(_("未知的校验规则：%s") % element.validator, code="validator")
        if validate is not None:
            text = validate(text)
        if regex is not None and not regex.fullmatch(text):
            raise ValidationError(_("格式不符合数据元标准。"), code="pattern")
        if codes and text not in codes:
            raise ValidationError(_("不在代码表中：%s") % text[:40], code="code_list")
        return text

    return check


def _parsed(parse: Callable[[str], Any]) -> Callable[[Any], Any]:
    def check(raw: Any) -> Any:
        if raw is None:
            return None
        text = (raw if type(raw) is str else str(raw)).strip()
        return None if text == "" else parse(text)

    return check


def check_value(element, raw: Any) -> Any:
    """The value of ``raw`` under ``element``'s standard, normalised (dates as ``date``,
    decimals as ``Decimal``, identifiers upper-cased); "" / None stay None."""
    return checker_for(element)(raw)


def display(value: Any) -> str:
    """The canonical text form of a checked value (what history and conflicts keep)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
