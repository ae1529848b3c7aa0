"""自定义名册 seen from outside: a JSON Schema read into field declarations, values
checked against them, and records encoded for storage (plain values in JSON, personal
ones SM4-encrypted for their row with a blind index each) and decoded again. Pure
functions over ``RegistryDefinition`` and ``DefinedRecord``; writes are in
``data.actions.defined``."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.core.crypto import blind_index
from yiwang.core.masking import MASKERS, mask_value
from yiwang.data.models import DefinedRecord, RegistryDefinition

CODE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,15}$")
# A field name: letters (Chinese too), digits, spaces, '-' and '_', never "__" (it would
# read as a lookup in the JSON column's queries).
FIELD_RE = re.compile(r"^[A-Za-z\u4e00-\u9fff][A-Za-z0-9_ \u4e00-\u9fff-]{0,39}$")
TYPES = {"string", "integer", "number", "boolean", "object", "array"}
MAX_FIELDS = 100
MAX_TEXT = 2000  # a string value's length when the schema gives no maxLength
VERSION_RE = re.compile(r"^\d{1,4}(\.\d{1,4}){0,2}$")


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def serves_version(definition: RegistryDefinition, asked: str) -> bool:
    """Whether the API version ``asked`` is one the registry's schema has had (1.0 up to
    its current version): schema and API versions move together."""
    if not VERSION_RE.match(asked or ""):
        return False
    return (1,) <= version_tuple(asked) <= version_tuple(definition.version)


def next_version(version: str) -> str:
    major, *rest = version_tuple(version)
    minor = rest[0] if rest else 0
    return f"{major}.{minor + 1}"


def _field(name: str, prop: dict, required: set[str], errors: dict) -> dict | None:
    """One property of the schema as a field declaration, or None (errors noted)."""
    if not isinstance(name, str) or not FIELD_RE.match(name) or "__" in name:
        errors.setdefault("schema", []).append(_("字段名“%s”不合规范。") % str(name)[:40])
        return None
    if not isinstance(prop, dict):
        errors.setdefault(name, []).append(_("字段定义应为对象。"))
        return None
    kind = prop.get("type", "string")
    if kind not in TYPES:
        errors.setdefault(name, []).append(
            _("字段类型“%s”不是 JSON Schema 的类型。") % str(kind)[:20]
        )
        return None
    mask = prop.get("x-mask") or None
    if mask is not None and mask not in MASKERS:
        errors.setdefault(name, []).append(_("脱敏方式“%s”无效。") % str(mask)[:20])
        return None
    personal = bool(prop.get("x-personal") or mask)
    return {
        "name": name,
        "title": str(prop.get("title") or prop.get("description") or name)[:100],
        "title_en": str(prop.get("x-title-en") or name)[:100],
        "type": kind,
        "format": str(prop.get("format", ""))[:20],
        "enum": prop.get("enum") if isinstance(prop.get("enum"), list) else None,
        "max_length": prop.get("maxLength") if isinstance(prop.get("maxLength"), int) else None,
        "minimum": prop.get("minimum"),
        "maximum": prop.get("maximum"),
        "personal": personal,
        "mask": (mask or "secret") if personal else None,
        "required": name in required,
        "primary": bool(prop.get("primaryKey")),
        "read_only": bool(prop.get("readOnly")),
    }


def parse_schema(schema: Any) -> tuple[list[dict], str]:
    """The field declarations and the primary key of a JSON Schema (type object with
    ``properties``; our keywords: ``title`` 中文名, ``x-title-en``, ``x-personal``,
    ``x-mask``; GovStack's ``primaryKey``). Raises ``ValidationError`` per field."""
    errors: dict[str, list[str]] = {}
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        raise ValidationError({"schema": _("结构须为含 properties 的 JSON Schema 对象。")})
    props = schema["properties"]
    if not props or len(props) > MAX_FIELDS:
        raise ValidationError({"schema": _("字段数应在 1 到 %s 之间。") % MAX_FIELDS})
    required = {r for r in schema.get("required", []) if isinstance(r, str)}
    fields = [f for n, p in props.items() if (f := _field(n, p, required, errors)) is not None]
    primary = [f["name"] for f in fields if f["primary"]]
    if not primary:
        primary = [n for n in ("ID", "id", "Id") if n in props][:1]
    if len(primary) != 1:
        errors.setdefault("schema", []).append(
            _("须有且只有一个主键字段（primaryKey: true，或名为 ID 的字段）。")
        )
    if errors:
        raise ValidationError(errors, code="invalid")
    key = primary[0]
    for f in fields:
        if f["name"] == key:
            f["primary"] = True
            if f["type"] not in ("string", "integer"):
                raise ValidationError({key: _("主键字段须为文本或整数。")})
    return fields, key


def _check_date(value: str, fmt: str) -> bool:
    try:
        if fmt == "date":
            dt.date.fromisoformat(value)
        else:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _check_type(f: dict, value: Any) -> str | None:
    """The refusal for a value of the wrong JSON type, or None."""
    kind = f["type"]
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
    }[kind]
    return None if ok else _("应为 %s 类型。") % kind


def check_value(f: dict, value: Any) -> Any:
    """``value`` checked against field ``f`` (type, enum, length, range, date formats);
    raises ``ValidationError`` with the reason."""
    refusal = _check_type(f, value)
    if refusal is None and f["enum"] is not None and value not in f["enum"]:
        refusal = _("不是允许的取值。")
    if refusal is None and isinstance(value, str):
        limit = f["max_length"] or MAX_TEXT
        if len(value) > limit:
            refusal = _("内容过长（最多 %s 个字符）。") % limit
        elif f["format"] in ("date", "date-time") and not _check_date(value, f["format"]):
            refusal = _("日期格式不正确。")
    if refusal is None and isinstance(value, int | float) and not isinstance(value, bool):
        if f["minimum"] is not None and value < f["minimum"]:
            refusal = _("数值过小。")
        elif f["maximum"] is not None and value > f["maximum"]:
            refusal = _("数值过大。")
    if refusal is None and isinstance(value, dict | list) and len(json.dumps(value)) > MAX_TEXT:
        refusal = _("内容过长。")
    if refusal is not None:
        raise ValidationError(refusal, code="invalid")
    return value


def check_content(
    definition: RegistryDefinition, content: dict[str, Any], *, partial: bool
) -> dict[str, Any]:
    """Check every value of ``content``; unknown fields and, unless ``partial``, missing
    required ones are refused. Returns the checked values."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for name, value in content.items():
        f = definition.field(str(name))
        if f is None:
            errors.setdefault(str(name)[:40], []).append(_("名册没有这个字段。"))
            continue
        if value is None:
            continue
        try:
            out[f["name"]] = check_value(f, value)
        except ValidationError as exc:
            errors.setdefault(f["name"], []).extend(exc.messages)
    if not partial:
        for f in definition.fields:
            if f["required"] and f["name"] not in out and not f["primary"]:
                errors.setdefault(f["name"], []).append(_("此项为必填项。"))
    if errors:
        raise ValidationError(errors, code="invalid")
    return out


def _context(definition: RegistryDefinition, name: str) -> str:
    return f"data.DefinedRecord.{definition.code}.{name}"


def index_of(definition: RegistryDefinition, name: str, value: Any) -> str:
    """The blind index of a value of field ``name`` (the key's, or a personal field's)."""
    return blind_index(canonical(value), _context(definition, name))


def canonical(value: Any) -> str:
    """The text a value is compared and indexed by (JSON for objects and lists)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def encode(definition: RegistryDefinition, record: DefinedRecord, values: dict[str, Any]) -> None:
    """Put ``values`` (every field of the record) into ``record``'s columns: the key and
    its blind index, plain values in ``data``, personal ones in ``secret`` and their blind
    indexes in ``indexes``. The caller saves (the row's primary key binds the cipher)."""
    key_name = definition.primary_key
    key = values.get(key_name)
    personal = set(definition.personal_fields())
    record.key_index = index_of(definition, "key", key)
    record.key = "" if key_name in personal else canonical(key)
    record.data = {k: v for k, v in values.items() if k not in personal}
    secret = {k: v for k, v in values.items() if k in personal}
    record.secret = json.dumps(secret, ensure_ascii=False) if secret else ""
    record.indexes = {k: index_of(definition, k, v) for k, v in secret.items()}


def decode(record: DefinedRecord) -> dict[str, Any]:
    """Every stored value of ``record`` (personal ones decrypted)."""
    values = dict(record.data)
    if record.secret:
        try:
            values.update(json.loads(record.secret))
        except ValueError:  # 数据无法解密: the placeholder, never an error page
            for name in record.indexes:
                values[name] = str(record.secret)
    return values


def masked(definition: RegistryDefinition, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` as pages show them: each personal field masked by its declared kind."""
    kinds = {f["name"]: f.get("mask") for f in definition.fields}
    return {
        k: mask_value(kinds.get(k), canonical(v) if v is not None else v) for k, v in values.items()
    }


def match_q(definition: RegistryDefinition, content: dict[str, Any]) -> Q:
    """Records holding every value of ``content`` (all given fields must match): the key
    by its blind index, personal fields by theirs, the rest in the JSON column."""
    personal = set(definition.personal_fields())
    q = Q()
    for name, value in content.items():
        if name == definition.primary_key:
            q &= Q(key_index=index_of(definition, "key", value))
        elif name in personal:
            q &= Q(**{f"indexes__{name}": index_of(definition, name, value)})
        else:
            q &= Q(**{f"data__{name}": value})
    return q


def search_q(definition: RegistryDefinition, text: str, only: str | None) -> Q:
    """Records with ``text`` inside a plain text field (``only`` or any); personal
    fields are encrypted and cannot be searched by part of their value."""
    names = [
        f["name"]
        for f in definition.fields
        if f["type"] == "string" and not f["personal"] and (only is None or f["name"] == only)
    ]
    q = Q(pk__in=[])
    for name in names:
        q |= Q(**{f"data__{name}__icontains": text})
    return q


def records(definition: RegistryDefinition) -> QuerySet:
    return DefinedRecord.objects.filter(definition=definition)
