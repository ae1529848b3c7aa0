"""Blind indexes (盲索引) in their 16-byte form: every model with one, found through the
model registry, stores each index as 16 bytes (BLOB / bytea, NULL when empty), finds its
row by ``index_for`` and reads the value back with its index checked."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any, cast

import pytest
from django.apps import apps
from django.db import connection, models
from django.utils import timezone

from yiwang.core.crypto import INDEX_BYTES
from yiwang.core.fields import (
    BlindIndexField,
    EncryptedTextField,
    IndexBytesField,
    index_bytes,
    index_for,
    index_hex,
)

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def indexed_models() -> list[type[models.Model]]:
    """Every concrete model with a blind-index column."""
    return [
        m
        for m in apps.get_models()
        if not m._meta.proxy
        and any(isinstance(f, IndexBytesField) for f in m._meta.concrete_fields)
    ]


def _value(field: models.Field) -> Any:
    """A placeholder for a required column; a required reference points at an existing
    row, or at one made the same way."""
    n = next(_numbers)
    if field.is_relation:
        related = cast(type[models.Model], field.related_model)
        target = related._base_manager.order_by("pk").first() or make_row(related, {})
        return getattr(target, cast(Any, field).target_field.attname)
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return dt.date(2026, 1, 1)
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
        return 1
    if isinstance(field, models.UUIDField):
        import uuid

        return uuid.uuid4()
    return f"T{n}"[: getattr(field, "max_length", None) or 32]


def make_row(model: type[models.Model], clears: dict[str, str]) -> models.Model:
    """A saved row of ``model`` with ``clears`` in its indexed fields and placeholders in
    the other required columns."""
    obj = model()
    for f in model._meta.concrete_fields:
        if f.primary_key or isinstance(f, IndexBytesField) or f.name in clears:
            continue
        if f.has_default() or f.null or (f.blank and not f.is_relation):
            continue
        setattr(obj, f.attname, _value(f))
    for name, clear in clears.items():
        setattr(obj, name, clear)
    obj.save()
    return obj


def _raw(model: type[models.Model], field: models.Field, pk: Any) -> Any:
    qn = connection.ops.quote_name
    pk_column = model._meta.pk.column
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {qn(cast(str, field.column))} FROM {qn(model._meta.db_table)} "
            f"WHERE {qn(cast(str, pk_column))} = %s",
            [pk],
        )
        return cur.fetchone()[0]


def test_the_walk_sees_every_indexed_model():
    labels = {m._meta.label for m in indexed_models()}
    assert {
        "core.User",
        "data.Person",
        "data.LegalEntity",
        "data.DataAccess",
        "hotline.Ticket",
        "licences.Licence",
        "services.Application",
        "services.Rating",
        "services.WindowVisit",
    } <= labels


@pytest.mark.parametrize("model", indexed_models(), ids=lambda m: m._meta.label)
def test_every_blind_index_is_16_bytes_and_finds_its_row(model, city):
    blind = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
    plain = [f for f in model._meta.concrete_fields if type(f) is IndexBytesField]
    clears = {f.source: f"41082319900101{next(_numbers):04d}" for f in blind}
    obj = make_row(model, clears)
    person = apps.get_model("data", "Person")
    copied = index_for(person, "id_number", "410823199001011234")
    for f in plain:  # a copy of another model's index (the exchange log's subject)
        setattr(obj, f.attname, copied)
    obj.save()
    for f in blind:
        index = index_for(model, f.source, clears[f.source])
        assert len(index) == 2 * INDEX_BYTES
        assert getattr(obj, f.attname) == index
        raw = _raw(model, f, obj.pk)
        assert isinstance(raw, bytes | memoryview) and len(bytes(raw)) == INDEX_BYTES
        assert index_hex(raw) == index
        found = model._base_manager.filter(**{f.name: index})
        assert list(found.values_list("pk", flat=True)) == [obj.pk]
        # Read back through the ORM: the value opens and its index checks out.
        assert getattr(model._base_manager.get(pk=obj.pk), f.source) == clears[f.source]
        assert model._base_manager.filter(**{f"{f.name}__in": [index, "0" * 32]}).count() == 1
    for f in plain:
        assert bytes(_raw(model, f, obj.pk)) == index_bytes(copied)
        assert model._base_manager.filter(**{f.name: copied}).get().pk == obj.pk


@pytest.mark.parametrize(
    "model",
    [m for m in indexed_models() if any(isinstance(f, BlindIndexField) for f in m._meta.fields)],
    ids=lambda m: m._meta.label,
)
def test_an_empty_value_has_a_null_index(model, city):
    blind = [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]
    obj = make_row(model, {f.source: "" for f in blind})
    for f in blind:
        assert _raw(model, f, obj.pk) is None
        assert model._base_manager.get(pk=obj.pk).__dict__[f.attname] == ""
        assert model._base_manager.filter(pk=obj.pk, **{f.name: ""}).exists()
        source = model._meta.get_field(f.source)
        assert isinstance(source, EncryptedTextField)


def test_column_type_is_binary():
    """BLOB on SQLite, bytea on PostgreSQL: what the schema says, not only the values."""
    person = apps.get_model("data", "Person")
    field = person._meta.get_field("id_number_index")
    with connection.cursor() as cur:
        columns = connection.introspection.get_table_description(cur, person._meta.db_table)
    (column,) = [c for c in columns if c.name == field.column]
    wanted = {"sqlite": "blob", "postgresql": "bytea"}[connection.vendor]
    if connection.vendor == "sqlite":
        assert column.type_code.lower() == wanted
    else:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = %s",
                [person._meta.db_table, field.column],
            )
            assert cur.fetchone()[0] == wanted
