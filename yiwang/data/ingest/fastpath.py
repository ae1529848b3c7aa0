"""The bulk path for rows whose natural key is new to the registry: one query per chunk
finds the keys that already exist (those go through ``registry.apply_rows`` for history,
authority and conflicts); the rest are encrypted, blind-indexed and inserted with one
``executemany`` — the same values ``apply_rows`` would write, without a model instance
per row. Each row's primary key is drawn ahead (``allocate``, one query per chunk), since
its encrypted values are bound to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection, models

from yiwang.core.fields import BlindIndexField, EncryptedTextField, allocate_row_ids
from yiwang.data.registry import REGISTRIES, Outcome, apply_rows
from yiwang.data.standards import display

PROVENANCE = {"source_resource", "source_department", "batch", "version", "sources"}

# A column maker: (row, key value, primary key) → the value to bind for one column.
Maker = Callable[[dict, str, int], Any]


def _column(f: models.Field) -> str:
    """A concrete field's column name (only relations without a column have none)."""
    assert f.column is not None, f"{f.name} has no column"
    return f.column


def _constant(value: Any) -> Maker:
    return lambda row, key, pk: value


def _the_key(row: dict, key: str, pk: int) -> Any:
    return key


def _the_pk(row: dict, key: str, pk: int) -> Any:
    return pk


def _blind_index(f: BlindIndexField) -> Maker:
    return lambda row, key, pk: (
        f.index_of(display(row[f.source])) if row.get(f.source) not in (None, "") else ""
    )


def _encrypted(f: EncryptedTextField, name: str) -> Maker:
    return lambda row, key, pk: (
        f.seal(display(row[name]), pk)
        if row.get(name) not in (None, "")
        else ("" if not f.null else None)
    )


def _as_given(name: str) -> Maker:
    return lambda row, key, pk: row.get(name)


def _adapted(name: str, adapt: Callable[[Any], Any]) -> Maker:
    return lambda row, key, pk: adapt(row.get(name))


def _text(name: str, empty: str | None) -> Maker:
    return lambda row, key, pk: row.get(name) or empty


def _prepared(f: models.Field, name: str, default: Any) -> Maker:
    return lambda row, key, pk: f.get_db_prep_save(row.get(name, default), connection)


class Inserter:
    """Builds INSERT rows for one registry's model straight from checked values."""

    def __init__(self, registry: str) -> None:
        self.spec = REGISTRIES[registry]
        model = self.spec.model
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(_column(f)) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
        self.key_index = next(
            (
                f
                for f in self.fields
                if isinstance(f, BlindIndexField) and f.source == self.spec.key
            ),
            None,
        )

    def _blind_key_index(self) -> BlindIndexField:
        """The blind-index column of an encrypted key (every blind key has one)."""
        assert self.key_index is not None, f"{self.spec.code}: blind key without an index"
        return self.key_index

    def key_of(self, row: dict) -> str:
        """What the key column (or its blind index) holds for ``row``."""
        key = display(row[self.spec.key])
        return self._blind_key_index().index_of(key) if self.spec.blind_key else key

    def existing(self, keys: list[str]) -> set[str]:
        column = self._blind_key_index().attname if self.spec.blind_key else self.spec.key
        found: set[str] = set()
        for i in range(0, len(keys), 900):
            found |= set(
                self.model._default_manager.filter(
                    **{f"{column}__in": keys[i : i + 900]}
                ).values_list(column, flat=True)
            )
        return found

    def makers(self, constants: dict[str, Any]) -> list[Maker]:
        """One function per column: (row, key value) → the value to bind."""
        out: list[Maker] = []
        fk = self.spec.fk_fields
        for f in self.fields:
            name = f.name
            if f.primary_key:
                out.append(_the_pk)
            elif name in constants:
                out.append(_constant(constants[name]))
            elif isinstance(f, BlindIndexField):
                out.append(_the_key if f is self.key_index else _blind_index(f))
            elif isinstance(f, EncryptedTextField):
                out.append(_encrypted(f, name))
            elif name in fk:
                out.append(_as_given(name))
            elif isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField):
                out.append(_adapted(name, connection.ops.adapt_datefield_value))
            elif isinstance(f, models.CharField | models.TextField):
                out.append(_text(name, None if f.null else ""))
            else:
                out.append(_prepared(f, name, f.get_default()))
        return out

    def bind(self, *, resource, department, batch, now) -> None:
        """Fix the provenance columns every new row of this batch carries."""
        stamp = {
            f.name: f.get_db_prep_save(now, connection)
            for f in self.fields
            if f.name in ("created_at", "updated_at")
        }
        sources = self.model._meta.get_field("sources").get_db_prep_save({}, connection)
        constants = {
            "source_resource": resource.pk,
            "source_department": department.pk,
            "batch": batch.pk if batch is not None else None,
            "version": 1,
            "sources": sources,
            **stamp,
        }
        self._makers = self.makers(constants)

    def allocate(self, n: int) -> list[int]:
        """Primary keys for ``n`` rows, drawn ahead from the table's sequence (a row that
        turns out to exist already, or is quarantined, leaves a gap)."""
        return allocate_row_ids(self.model, n)

    def prepare(self, row: dict, pk: int) -> tuple[str, tuple]:
        """(key column value, INSERT values) for a checked row that would be stored under
        primary key ``pk``: the costly part (SM4 encryption bound to the row, blind
        indexes), done ahead and possibly in a worker process."""
        key = self.key_of(row)
        return key, tuple(m(row, key, pk) for m in self._makers)

    def land(
        self,
        prepared: list[tuple[dict, str, tuple]],
        *,
        resource,
        department,
        batch,
        authority,
        now,
    ) -> Outcome:
        """Insert the prepared rows whose keys are new, ``apply_rows`` the rest (history,
        authority, conflicts); call inside the chunk's transaction."""
        if not prepared:
            return Outcome()
        present = self.existing([k for _r, k, _t in prepared])
        old = [r for r, k, _t in prepared if k in present]
        new = [t for _r, k, t in prepared if k not in present]
        out = Outcome()
        if old:
            out = apply_rows(
                registry=self.spec.code,
                rows=old,
                resource=resource,
                department=department,
                batch=batch,
                authority=authority,
                reason="import",
                now=now,
            )
        if new:
            with connection.cursor() as cur:
                cur.executemany(self.sql, new)
            out.created += len(new)
        return out
