"""Model fields for personal data at rest: SM4-encrypted text bound to its table, column
and row, and its keyed SM3 blind index (盲索引), checked against the value on every read.

How a value finds its row: the row's primary key is the associated data, so it must be
known before the INSERT. Models with an encrypted field draw their auto-increment keys
ahead from the table's own sequence (``allocate_row_ids``: ``nextval`` on PostgreSQL,
``sqlite_sequence`` on SQLite) — on ``save()`` and ``bulk_create`` one by one, in bulk
paths one query for many rows (``assign_row_ids``). When the column is read, the SELECT
carries the row's key and blind index along with the stored text (``_RowCol``), so every
read — model instances, ``values()``, ``select_related`` — opens the value for its own
row and checks its index.

A value that does not open (tampered, moved from another row or column, its key version
gone, its blind index not its own) reads as ``Undecryptable``: the placeholder
数据无法解密, and an alarm (``core.alarm.undecryptable``, see ``alarms``). Writing such a
row back keeps the stored ciphertext and index as they are: the evidence stays.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connections, models, router, transaction
from django.db.models.expressions import Col
from django.db.models.fields import AutoFieldMixin
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, IsNull
from django.db.models.signals import class_prepared, pre_save
from django.dispatch import receiver
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_noop

from yiwang.core import alarms
from yiwang.core.crypto import (
    INDEX_BYTES,
    DecryptionError,
    blind_index,
    decrypt_field,
    encrypt_field,
    encrypt_many,
    field_version,
    index_many,
    sm3_hex,
)
from yiwang.core.errors import Invalid

PLACEHOLDER = gettext_noop("数据无法解密")
_SEP = "\x1f"  # between row, blind index and stored text in what _RowCol selects
_STORED_IN_ALARM = 2048  # longer stored values are kept in the alarm as their digest only


class Undecryptable(str):
    """A stored value that did not decrypt (数据无法解密). It reads as the placeholder in
    the active language, so pages, exports and the API show it without failing; it keeps
    the stored text and blind index, which a save writes back unchanged."""

    stored: str
    stored_index: str | None  # None: not read along (then a save reads it again)
    row: str | None

    def __new__(
        cls,
        text: str = "",
        stored: str = "",
        stored_index: str | None = None,
        row: str | None = None,
    ) -> Undecryptable:
        self = super().__new__(cls, text)
        self.stored, self.stored_index, self.row = stored, stored_index, row
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Undecryptable, (str(self), self.stored, self.stored_index, self.row))


class _Sealed(str):
    """Stored text already encrypted for its row: the only non-empty value an
    ``EncryptedTextField`` passes to the database. Nothing a user types is one."""


def undecryptable(value: Any) -> bool:
    """Whether ``value`` is an encrypted field's placeholder (read from a value that did
    not decrypt, or the placeholder's text in any language)."""
    return isinstance(value, Undecryptable) or (
        isinstance(value, str) and value in _placeholder_texts()
    )


@lru_cache(maxsize=1)
def _placeholder_texts() -> frozenset[str]:
    texts = {PLACEHOLDER}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts.add(gettext(PLACEHOLDER))
    return frozenset(texts)


def json_value(value: str | None, default: Any) -> Any:
    """The JSON an encrypted text field holds; ``default`` when it is empty or did not
    decrypt (数据无法解密), so a page shows the rest of the row."""
    if not value or undecryptable(value):
        return default
    return json.loads(value)


def legacy_read() -> bool:
    """Whether reads accept values stored before row binding (column-bound ciphertexts,
    clear text): yes until ``keys status`` shows none left, then switch it off
    (``YIWANG_FIELD_LEGACY_READ=0``)."""
    return bool(settings.YIWANG.get("FIELD_LEGACY_READ", True))


def row_id(pk: Any) -> str:
    """A primary key as bound into associated data (its text form, as SQL casts it)."""
    return str(pk)


class _RowCol(Col):
    """An encrypted column as a SELECT returns it: ``row ␟ blind index ␟ stored`` (the
    row's primary key and the column's blind index, if it has one, ride along so the field
    can open the value for its own row and check the index). Elsewhere — WHERE, ORDER BY,
    UPDATE, ``Cast`` — it is the plain column."""

    def select_format(self, compiler, sql, params):
        field = self.target
        qn = compiler.quote_name_unless_alias
        prefix = f"{qn(self.alias)}." if self.alias else ""
        pk = f"CAST({prefix}{qn(field.model._meta.pk.column)} AS TEXT)"
        index = field.index_field
        idx = (
            index_sql(compiler.connection, f"{prefix}{qn(index.column)}")
            if index is not None
            else "''"
        )
        return f"{pk} || %s || {idx} || %s || {sql}", [_SEP, _SEP, *params]


def _unpack(value: str) -> tuple[str | None, str | None, str]:
    """(row, blind index, stored) from what ``_RowCol`` selected; a value selected some
    other way (raw SQL) has no row: (None, None, value)."""
    parts = value.split(_SEP, 2)
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return None, None, value


class EncryptedTextField(models.TextField):
    """Text stored as ``sm4:v{n}:r:…`` (SM4-GCM, key version n, bound to table, column and
    row); Python sees clear text, or ``Undecryptable`` when it does not open.

    The associated data is ``app_label.Model.field ␟ primary key``: a ciphertext copied
    into another column or another row fails to decrypt. Writes go through ``save()``,
    ``bulk_create`` or ``bulk_update`` below; ``QuerySet.update`` with a value and lookups
    other than isnull are refused (use the blind index to find rows).
    """

    index_field: BlindIndexField | None = None

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        self.context = f"{cls._meta.app_label}.{cls.__name__}.{name}"

    def get_col(self, alias, output_field=None):
        if output_field is None or output_field is self:
            return _RowCol(alias, self)
        return super().get_col(alias, output_field)

    @cached_property
    def cached_col(self):
        return _RowCol(self.model._meta.db_table, self)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        row, index, stored = _unpack(value)
        return self.open(stored, row=row, index=index)

    def open(self, stored: str, *, row: str | None, index: str | None = None) -> str:
        """The clear value of ``stored`` read from ``row`` whose blind index is ``index``
        (None: not checked), or ``Undecryptable`` after raising an alarm."""
        if stored == "" and not index:
            return ""
        try:
            clear = decrypt_field(stored, self.context, row, legacy=legacy_read())
            if index is not None and self.index_field is not None:
                if index != self.index_field.index_of(clear):
                    raise DecryptionError("the blind index is not the value's own")
        except DecryptionError as exc:
            self._alarm(stored, row, exc)
            return Undecryptable(gettext(PLACEHOLDER), stored, index, row)
        return clear

    def _alarm(self, stored: str, row: str | None, exc: DecryptionError) -> None:
        digest = sm3_hex(stored.encode())
        alarms.raise_alarm(
            key=f"undecryptable:{self.context}:{row}:{digest[:16]}",
            action="core.alarm.undecryptable",
            obj=(self.model._meta.label_lower, row or "?"),
            purpose=PLACEHOLDER,
            detail={
                "column": self.context,
                "key_version": field_version(stored),
                "reason": str(exc),
                "stored_sm3": digest,
                "stored": stored if len(stored) <= _STORED_IN_ALARM else "",
            },
        )

    def seal(self, clear: str, row: Any) -> str:
        """The stored text of ``clear`` in the row with primary key ``row`` (bulk paths
        that build INSERTs themselves)."""
        if clear in (None, ""):
            return clear
        return _Sealed(encrypt_field(str(clear), self.context, row_id(row)))

    def seal_many(self, clears: Sequence[Any], rows: Sequence[Any]) -> list[Any]:
        """``seal`` of many clear values, each for its row's primary key, in one batch
        (``crypto.encrypt_many``): bulk paths that build INSERTs themselves."""
        todo = [i for i, clear in enumerate(clears) if clear not in (None, "")]
        sealed = encrypt_many(
            [str(clears[i]) for i in todo], self.context, [row_id(rows[i]) for i in todo]
        )
        out = list(clears)
        for i, stored in zip(todo, sealed, strict=True):
            out[i] = _Sealed(stored)
        return out

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None or value == "":
            return value
        if undecryptable(value):
            return _Sealed(_kept(model_instance, self, value))
        if model_instance.pk is None:
            raise ValueError(f"{self.context}: the row needs its primary key before it is saved")
        return self.seal(value, model_instance.pk)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "" or isinstance(value, _Sealed):
            return value
        # Nothing unsealed reaches the column: not user input that looks like a ciphertext,
        # not a value without its row (QuerySet.update, a lookup by clear value).
        raise TypeError(
            f"{self.context} is encrypted for its row: write it with save(), bulk_create or "
            "yiwang.core.fields.bulk_update, and find rows by its blind index"
        )


def _kept(instance: models.Model, field: models.Field, value: Any) -> str:
    """What a save writes for ``field`` when it still holds the placeholder: what the row
    stores, as it is (an undecryptable value is evidence, never overwritten by its
    placeholder). The placeholder read from another row, or typed in, keeps this row's
    own stored text; in a row that has nothing stored it is refused."""
    if isinstance(value, Undecryptable) and value.row == row_id(instance.pk):
        kept = value.stored_index if isinstance(field, BlindIndexField) else value.stored
        if kept is not None:
            return kept
    stored_now = None
    if instance.pk is not None:
        rows = type(instance)._base_manager.filter(pk=instance.pk)
        if isinstance(field, BlindIndexField):  # its own hex form (bytes in the column)
            stored_now = rows.values_list(field.attname, flat=True).first()
        else:  # the stored text, not opened
            stored_now = (
                rows.annotate(_yiwang_kept=Cast(field.attname, models.TextField()))
                .values_list("_yiwang_kept", flat=True)
                .first()
            )
    if stored_now is None:
        name = field.source if isinstance(field, BlindIndexField) else field.name
        raise Invalid(
            {name: gettext("“%s”是无法解密数据的占位文字，不能保存。") % gettext(PLACEHOLDER)}
        )
    return stored_now


def index_bytes(value: str | None) -> bytes | None:
    """A blind index as its column stores it: the 16 bytes its 32 hex characters spell,
    NULL (None) for an empty one."""
    if value is None or value == "":
        return None
    raw = bytes.fromhex(value)
    if len(raw) != INDEX_BYTES:
        raise ValueError(f"a blind index is {INDEX_BYTES} bytes, not {len(raw)}")
    return raw


def index_hex(raw: Any) -> str:
    """A blind index as Python sees it: 32 hex characters ("" for NULL), from the bytes
    (or ``memoryview``) a cursor returns."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    return bytes(raw).hex()


class IndexBytesField(models.Field):
    """A blind-index value (盲索引) stored as its 16 bytes — BLOB on SQLite, bytea on
    PostgreSQL — half the key of its hex text, which matters in B-trees of millions of
    random keys. Python sees 32 hex characters (``crypto.blind_index``), so
    ``field=index_for(...)`` and comparisons work as they read; empty is NULL in the
    column and "" in Python (``field=""`` finds the NULLs). Used as is for copies of
    another model's index (the exchange log's subject)."""

    description = "blind index (16 bytes)"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("blank", True)
        kwargs.setdefault("null", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def get_internal_type(self) -> str:
        return "BinaryField"

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return index_hex(value) if isinstance(value, bytes | memoryview) else value

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        return index_bytes(value)

    def from_db_value(self, value, expression, connection):
        return index_hex(value)

    def to_python(self, value):
        return index_hex(value)

    def value_to_string(self, obj):
        return index_hex(self.value_from_object(obj))

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return _IndexExact
        return super().get_lookup(lookup_name)


class _IndexExact(Exact):
    """``index=""`` is ``index IS NULL`` (an empty index is stored as NULL)."""

    def as_sql(self, compiler, connection):
        if self.rhs == "":
            return IsNull(self.lhs, True).as_sql(compiler, connection)
        return super().as_sql(compiler, connection)


def index_sql(connection, column_sql: str) -> str:
    """SQL for a blind-index column as text: its 32 hex characters, "" for NULL."""
    if connection.vendor == "postgresql":
        return f"COALESCE(encode({column_sql}, 'hex'), '')"
    return f"lower(hex({column_sql}))"  # hex(NULL) is ''


class BlindIndexField(IndexBytesField):
    """HMAC-SM3 of another field's clear value, filled on save, for exact lookups: its
    first 128 bits, stored as 16 bytes (see ``IndexBytesField``)."""

    def __init__(self, *args, source: str = "", **kwargs):
        kwargs.setdefault("editable", False)
        self.source = source
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        self.context = f"{cls._meta.app_label}.{cls.__name__}.{self.source}"

    def index_of(self, clear: str | None) -> str:
        return blind_index(clear, self.context) if clear else ""

    def index_many(self, clears: Sequence[str | None]) -> list[str]:
        """``index_of`` of many values in one batch (``crypto.index_many``)."""
        filled = iter(index_many([c for c in clears if c], self.context))
        return [next(filled) if c else "" for c in clears]

    def pre_save(self, model_instance, add):
        clear = getattr(model_instance, self.source)
        value = _kept(model_instance, self, clear) if undecryptable(clear) else self.index_of(clear)
        setattr(model_instance, self.attname, value)
        return value


class HexIndexField(models.CharField):
    """The blind index as it was stored before the 16-byte form: 64 hex characters in a
    varchar. Only the migrations that created those columns refer to it; the migration
    that converts them (``migration_ops.IndexToBytes``) turns them into ``BlindIndexField``."""

    def __init__(self, *args, source: str = "", **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        self.source = source
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs


def index_for(model: type[models.Model], field: str, clear: str) -> str:
    """The blind-index value to filter ``model`` by, e.g. ``id_number_index=index_for(...)``."""
    for f in model._meta.fields:
        if isinstance(f, BlindIndexField) and f.source == field:
            return f.index_of(clear)
    raise LookupError(f"{model.__name__}.{field} has no blind index")


# --- row identities ahead of the INSERT ---


def allocate_row_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` fresh primary keys from ``model``'s own auto-increment sequence, drawn before
    the rows are inserted (their values are encrypted for them). Never handed out twice:
    PostgreSQL's ``nextval`` and SQLite's ``sqlite_sequence`` (advanced under the write
    lock) are the very counters the table uses; unused ones leave gaps, as rollbacks do."""
    if n <= 0:
        return []
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta  # a proxy shares its concrete model's table and key
    assert meta.pk is not None and meta.pk.column is not None
    table, column = meta.db_table, meta.pk.column
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [qn(table), column, n],
            )
            return sorted(row[0] for row in cur.fetchall())
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:  # the table's row exists after its first insert
            cur.execute(
                "UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s RETURNING seq",
                [n, table],
            )
            found = cur.fetchone()
        if found is not None:
            return list(range(int(found[0]) - n + 1, int(found[0]) + 1))
        with transaction.atomic(using=alias), connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO sqlite_sequence (name, seq) SELECT %s, "
                f"(SELECT COALESCE(MAX({qn(column)}), 0) FROM {qn(table)}) "
                "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
                [table, table],
            )
            cur.execute("UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s", [n, table])
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            (top,) = cur.fetchone() or (0,)
        return list(range(int(top) - n + 1, int(top) + 1))
    raise NotImplementedError(f"row ids ahead of insert: {connection.vendor} is not supported")


def assign_row_ids(objs: Sequence[models.Model]) -> None:
    """Give every unsaved object without a primary key one, in one query per model:
    call before ``bulk_create`` of many rows with encrypted fields."""
    by_model: dict[type[models.Model], list[models.Model]] = {}
    for obj in objs:
        if obj.pk is None:
            by_model.setdefault(type(obj), []).append(obj)
    for model, todo in by_model.items():
        for obj, pk in zip(todo, allocate_row_ids(model, len(todo)), strict=True):
            obj.pk = pk


def bulk_update(
    manager: Any, objs: Sequence[models.Model], names: Iterable[str], *, batch_size=None
) -> int:
    """``manager.bulk_update(objs, names)`` for models with encrypted fields: Django's
    bulk_update skips ``pre_save``, so each object's blind indexes are refreshed and its
    encrypted values sealed for its row first (the objects keep their clear values)."""
    names = list(names)
    model = manager.model
    picked = [model._meta.get_field(n) for n in names]
    blind = [f for f in picked if isinstance(f, BlindIndexField)]
    encrypted = [f for f in picked if isinstance(f, EncryptedTextField)]
    clear: list[tuple[models.Model, str, Any]] = []
    try:
        for obj in objs:
            for b in blind:  # first: they read the clear values
                b.pre_save(obj, False)
            for e in encrypted:
                clear.append((obj, e.attname, getattr(obj, e.attname)))
                setattr(obj, e.attname, e.pre_save(obj, False))
        return manager.bulk_update(objs, names, batch_size=batch_size)
    finally:
        for obj, attname, value in clear:
            setattr(obj, attname, value)


def _allocating(model: type[models.Model]):
    def get_pk_value_on_save(instance: models.Model) -> int:
        return allocate_row_ids(model, 1)[0]

    return get_pk_value_on_save


@receiver(class_prepared, dispatch_uid="yiwang.core.fields.bind_rows")
def _bind_rows(sender: type[models.Model], **kwargs: Any) -> None:
    """For a model with encrypted fields: link each to its blind index, and make its
    auto-increment key known before the INSERT (save() and bulk_create ask the pk field
    for a value on save: it draws one from the sequence)."""
    encrypted = [f for f in sender._meta.local_fields if isinstance(f, EncryptedTextField)]
    if not encrypted or sender._meta.proxy:
        return
    indexes = {b.source: b for b in sender._meta.local_fields if isinstance(b, BlindIndexField)}
    for f in encrypted:
        f.index_field = indexes.get(f.name)
    pk = sender._meta.pk
    if isinstance(pk, AutoFieldMixin):
        pk.get_pk_value_on_save = _allocating(sender)
    pairs = {f.name: f.index_field.name for f in encrypted if f.index_field is not None}
    if pairs and sender.__module__ != "__fake__":  # not for migrations' historical models
        pre_save.connect(_index_saved_along(pairs), sender=sender, weak=False)


def _index_saved_along(pairs: dict[str, str]):
    """A ``save(update_fields=…)`` that writes an indexed encrypted field must write its
    blind index too: a stale index would read as tampering (and find the old value)."""

    def check(sender, instance, update_fields=None, **kwargs) -> None:
        if not update_fields:
            return
        missing = [
            f"{index} (with {name})"
            for name, index in pairs.items()
            if name in update_fields and index not in update_fields
        ]
        if missing:
            raise ValueError(
                f"{sender.__name__}.save(update_fields=…) must include " + ", ".join(missing)
            )

    return check
