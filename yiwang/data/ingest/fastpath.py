"""The bulk path for rows whose natural key is new to the registry: one query per chunk
finds the keys that already exist (those go through ``registry.apply_rows`` for history,
authority and conflicts); the rest are encrypted, blind-indexed and inserted in one
statement — ``executemany`` on SQLite, ``COPY`` on PostgreSQL — the same values
``apply_rows`` would write, without a model instance per row.

A chunk is prepared a column at a time: every encrypted column of the chunk is sealed in
one ``encrypt_many`` call and every blind index made in one ``index_many`` call, and the
INSERT rows are tuples zipped from the columns. Each row's primary key is drawn ahead
(``allocate``, one query per chunk), since its encrypted values are bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from yiwang.core.crypto import encrypt_many
from yiwang.core.fields import (
    BlindIndexField,
    EncryptedTextField,
    allocate_row_ids,
    index_bytes,
    index_hex,
    row_id,
)
from yiwang.data.registry import REGISTRIES, Outcome, apply_rows
from yiwang.data.standards import display

PROVENANCE = {"source_resource", "source_department", "batch", "version", "sources"}
SQLITE_CACHE_MB = 256  # page cache of a bulk load on SQLite (DATA_IMPORT_SQLITE_CACHE_MB)


@contextmanager
def bulk_session() -> Iterator[None]:
    """The connection's settings for a bulk load, put back after it. On SQLite: a page
    cache large enough for the blind-index B-trees (their keys are random, so every chunk
    touches pages all over them; the default 2 MB cache re-reads them from the file), and
    temporary B-trees in memory (settable outside a transaction only). Per connection:
    other connections, and this one after the load, keep their settings. Nothing on
    PostgreSQL (its buffers are the server's)."""
    if connection.vendor != "sqlite":
        yield
        return
    want = int(settings.YIWANG.get("DATA_IMPORT_SQLITE_CACHE_MB", SQLITE_CACHE_MB)) * 1024
    temp = None
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        (cache,) = cur.fetchone()
        if not (cache < 0 and -cache >= want):  # negative: KiB, already as large
            cur.execute(f"PRAGMA cache_size = -{want}")
        if not connection.in_atomic_block:
            cur.execute("PRAGMA temp_store")
            (temp,) = cur.fetchone()
            cur.execute("PRAGMA temp_store = MEMORY")
    try:
        yield
    finally:
        if connection.connection is not None:  # not closed meanwhile
            with connection.cursor() as cur:
                cur.execute(f"PRAGMA cache_size = {int(cache)}")
                if temp is not None and not connection.in_atomic_block:
                    cur.execute(f"PRAGMA temp_store = {int(temp)}")


# A column maker: (checked rows, their key values, their primary keys) → the column's
# values to bind, one per row.
Maker = Callable[[Sequence[dict], Sequence[str], Sequence[int]], Sequence[Any]]


def _column(f: Any) -> str:
    """A concrete field's column name (only relations without a column have none)."""
    assert getattr(f, "column", None) is not None, f"{f.name} has no column"
    return f.column


def _texts(rows: Sequence[dict], name: str) -> list[str]:
    """The canonical text of ``name`` in each row ("" when missing)."""
    out = []
    for row in rows:
        value = row.get(name)
        out.append(value if type(value) is str else display(value))
    return out


def _constant(value: Any) -> Maker:
    return lambda rows, keys, pks: [value] * len(rows)


def _the_pks(rows: Sequence[dict], keys: Sequence[str], pks: Sequence[int]) -> Sequence[Any]:
    return pks


def _key_indexes(rows: Sequence[dict], keys: Sequence[str], pks: Sequence[int]) -> Sequence[Any]:
    """The blind key column: each row's key index, as the 16 bytes the column holds."""
    return [index_bytes(k) for k in keys]


def _blind_index(f: BlindIndexField) -> Maker:
    """A blind-index column (盲索引) made in one ``index_many`` call: 16 bytes per row,
    NULL when the value is empty (what the field's ``get_db_prep_value`` stores)."""
    return lambda rows, keys, pks: [index_bytes(v) for v in f.index_many(_texts(rows, f.source))]


def _encrypted(f: EncryptedTextField, name: str) -> Maker:
    """The column's values sealed for their rows in one ``encrypt_many`` call (what
    ``f.seal`` stores, without the marker the ORM's write check needs); empty stays
    empty."""
    empty = "" if not f.null else None

    def make(rows: Sequence[dict], keys: Sequence[str], pks: Sequence[int]) -> list[Any]:
        texts = _texts(rows, name)
        todo = [i for i, text in enumerate(texts) if text]
        sealed = encrypt_many([texts[i] for i in todo], f.context, [row_id(pks[i]) for i in todo])
        if len(todo) == len(texts):
            return sealed
        out: list[Any] = [empty] * len(texts)
        for i, stored in zip(todo, sealed, strict=True):
            out[i] = stored
        return out

    return make


def _as_given(name: str) -> Maker:
    return lambda rows, keys, pks: [row.get(name) for row in rows]


def _adapted(name: str, adapt: Callable[[Any], Any]) -> Maker:
    return lambda rows, keys, pks: [adapt(row.get(name)) for row in rows]


def _text(name: str, empty: str | None) -> Maker:
    return lambda rows, keys, pks: [row.get(name) or empty for row in rows]


def _prepared(f: models.Field, name: str, default: Any, db: Any) -> Maker:
    return lambda rows, keys, pks: [f.get_db_prep_save(row.get(name, default), db) for row in rows]


def _may_skip_triggers(cur: Any) -> bool:
    """Whether this role may switch off the foreign-key triggers for its own transaction
    (PostgreSQL 15 grants the setting on its own; before, only a superuser may)."""
    sql = "SELECT current_setting('is_superuser') = 'on'"
    if getattr(connection, "pg_version", 0) >= 150000:
        sql += " OR has_parameter_privilege('session_replication_role', 'SET')"
    cur.execute(sql)
    return bool(cur.fetchone()[0])


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
        self.copy_sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
        # (column position, referenced table, referenced column) of each foreign key.
        self.references = [
            (i, f.related_model._meta.db_table, _column(cast(Any, f).target_field))
            for i, f in enumerate(self.fields)
            if f.many_to_one and f.related_model is not None
        ]
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
        return self.keys_of([row])[0]

    def keys_of(self, rows: Sequence[dict]) -> list[str]:
        """What the key column (or its blind index) holds for each row."""
        keys = _texts(rows, self.spec.key)
        return self._blind_key_index().index_many(keys) if self.spec.blind_key else keys

    def existing(self, keys: list[str]) -> set[str]:
        """The keys (or blind indexes) among ``keys`` already in the table: one query on
        PostgreSQL (``= ANY`` of an array), one per 900 keys on SQLite. Blind indexes are
        looked up as the bytes their column holds and come back as hex, like ``keys``."""
        blind = self.spec.blind_key
        name = self._blind_key_index().attname if blind else self.spec.key
        params: list[Any] = [index_bytes(k) for k in keys] if blind else list(keys)
        back: Callable[[Any], str] = index_hex if blind else str
        quote = connection.ops.quote_name
        column = quote(_column(self.model._meta.get_field(name)))
        select = f"SELECT {column} FROM {quote(self.model._meta.db_table)} WHERE {column}"
        found: set[str] = set()
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(f"{select} = ANY(%s)", [params])
                found.update(back(row[0]) for row in cur.fetchall())
                return found
            for i in range(0, len(params), 900):
                part = params[i : i + 900]
                cur.execute(f"{select} IN ({', '.join(['%s'] * len(part))})", part)
                found.update(back(row[0]) for row in cur.fetchall())
        return found

    def makers(self, constants: dict[str, Any]) -> list[Maker]:
        """One function per column: (rows, key values, primary keys) → the column."""
        out: list[Maker] = []
        fk = self.spec.fk_fields
        # This thread's connection, for preparing values (no query) in a helper thread.
        db = connections[DEFAULT_DB_ALIAS]
        for f in self.fields:
            name = f.name
            if f.primary_key:
                out.append(_the_pks)
            elif name in constants:
                out.append(_constant(constants[name]))
            elif isinstance(f, BlindIndexField):
                out.append(_key_indexes if f is self.key_index else _blind_index(f))
            elif isinstance(f, EncryptedTextField):
                out.append(_encrypted(f, name))
            elif name in fk:
                out.append(_as_given(name))
            elif isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField):
                out.append(_adapted(name, db.ops.adapt_datefield_value))
            elif isinstance(f, models.CharField | models.TextField):
                out.append(_text(name, None if f.null else ""))
            else:
                out.append(_prepared(f, name, f.get_default(), db))
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
        """(key column value, INSERT values) for one checked row (see ``prepare_many``)."""
        return self.prepare_many([row], [pk])[0]

    def prepare_many(self, rows: Sequence[dict], pks: Sequence[int]) -> list[tuple[str, tuple]]:
        """(key column value, INSERT values) for checked rows that would be stored under
        primary keys ``pks``: the costly part (SM4 encryption bound to each row, blind
        indexes), done a column at a time, ahead and possibly in a worker process."""
        if not rows:
            return []
        keys = self.keys_of(rows)
        columns = [make(rows, keys, pks) for make in self._makers]
        return list(zip(keys, zip(*columns, strict=True), strict=True))

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
            self.insert(new)
            out.created += len(new)
        return out

    def insert(self, rows: list[tuple]) -> None:
        """Insert prepared rows in one statement: ``COPY … FROM STDIN`` on PostgreSQL (one
        round trip for the chunk instead of one per row), ``executemany`` elsewhere."""
        with connection.cursor() as cur:
            if connection.vendor != "postgresql":
                cur.executemany(self.sql, rows)
                return
            checked = self._references_held(cur, rows)
            if checked:  # this transaction only, and only for the COPY (see below)
                cur.execute("SET LOCAL session_replication_role = replica")
            # Errors as Django's (IntegrityError …), as from any other statement.
            with connection.wrap_database_errors, cur.cursor.copy(self.copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            if checked:
                cur.execute("SET LOCAL session_replication_role = origin")

    def _references_held(self, cur: Any, rows: list[tuple]) -> bool:
        """PostgreSQL checks each foreign key of each inserted row with a trigger (four
        lookups per person row: resource, department, batch, division), which costs as
        much as the insert. The pipeline has already checked the references (divisions
        against the code list; resource, department and batch are its own), so here it
        confirms them once per chunk instead: every distinct referenced key of the chunk
        is read with ``FOR KEY SHARE`` — the lock the triggers take, held to the end of
        the transaction, so none can be deleted before the rows commit — and only if all
        exist, and the role may set ``session_replication_role`` (superuser, or ``GRANT
        SET ON PARAMETER session_replication_role``), is the COPY run with the triggers
        off. Otherwise the triggers check as usual. ``SET LOCAL`` ends with the
        transaction, a rollback or a killed process included."""
        if not _may_skip_triggers(cur):
            return False
        qn = connection.ops.quote_name
        for i, table, column in self.references:
            keys = list({row[i] for row in rows} - {None})
            if not keys:
                continue
            cur.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {qn(table)} WHERE {qn(column)} = ANY(%s)"
                " FOR KEY SHARE) AS held",
                [keys],
            )
            if cur.fetchone()[0] != len(keys):
                return False
        return True
