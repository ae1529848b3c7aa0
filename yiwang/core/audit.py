"""Appending to the audit ledger (全程留痕). Every ``do_*`` action calls ``record``; the
request path only inserts, sealing happens in batches (see ``ledger``).

``record`` computes an entry once: its change as canonical JSON, the change digest, the
leaf bytes (记录原文, stored in ``body``) and their SM3 leaf hash. Inside a transaction
the entry waits on the connection and is written with the others of that transaction in
one multi-row INSERT before commit, or before the ledger is read in the same
transaction (``yiwang.core.db.buffer``); outside one it is written at once.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from django.db import connections, models, router
from django.utils import timezone

from yiwang.core.crypto import blind_index, sm3_hex

# Keys whose values are personal data: the ledger keeps a keyed digest, never the value.
PERSONAL_KEYS = frozenset(
    {"id_number", "phone", "full_name", "name", "address", "contact", "password", "totp_secret"}
)

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
_string = json.encoder.encode_basestring
_COLUMNS = (
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "change",
    "digest",
    "leaf",
    "body",
)
# SM3 states copied per hash (cheaper than a new context): plain, and 0x00-prefixed
# for leaves.
_SM3 = hashlib.new("sm3")
_LEAF = hashlib.new("sm3", b"\x00")
_ROWS_PER_INSERT = 500
# From this many entries on, PostgreSQL gets them by COPY rather than INSERT.
_COPY_ROWS = 64


def canonical(data: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8."""
    return _ENCODER.encode(data).encode()


def canonical_text(data: Any) -> str:
    """``canonical`` before UTF-8 encoding."""
    return _ENCODER.encode(data)


def redact(change: dict[str, Any]) -> dict[str, Any]:
    """Replace personal values with a keyed digest so the ledger proves without revealing."""
    out: dict[str, Any] = {}
    for key, value in change.items():
        if isinstance(value, dict):
            out[key] = redact(value)
        elif key in PERSONAL_KEYS and value not in (None, ""):
            out[key] = "hmac-sm3:" + blind_index(str(value), "audit")[:16]
        else:
            out[key] = value
    return out


def leaf_fields(entry) -> dict[str, Any]:
    """The fields an entry's leaf hash covers (everything but its id and block)."""
    return {
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "purpose": entry.purpose,
        "digest": entry.digest,
        "change": entry.change,
    }


def leaf_text(
    at: str,
    actor: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    purpose: str,
    digest: str,
    change: str,
) -> str:
    """The leaf bytes (记录原文) as text, joined from the fields: exactly
    ``canonical(leaf_fields(entry))`` when ``change`` is the canonical JSON of the
    change and ``at`` the ISO time with microseconds (keys in sorted order, strings
    escaped as the canonical encoder does), without building and sorting a dict."""
    who = "null" if actor is None else int.__repr__(actor)
    return (
        f'{{"action":{_string(action)},"actor":{who},"actor_label":{_string(actor_label)},'
        f'"at":{_string(at)},"change":{change},"digest":{_string(digest)},'
        f'"object_id":{_string(object_id)},"object_type":{_string(object_type)},'
        f'"purpose":{_string(purpose)}}}'
    )


def leaf_hash(entry) -> str:
    return sm3_hex(b"\x00" + canonical(leaf_fields(entry)))


def object_ref(obj: Any) -> tuple[str, str]:
    if isinstance(obj, models.Model):
        return obj._meta.label_lower, str(obj.pk)
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return type(obj).__name__.lower(), str(obj)


def record(*, actor, action: str, obj: Any, purpose: str = "", change: dict | None = None):
    """Append one ledger entry. ``obj`` is a model instance or ``(type, id)``.

    Returns the entry. Inside a transaction it is written before the transaction
    commits or the ledger is next read in it (its ``pk`` is set then; ``flush()``
    writes it now); outside one it is written at once. Either way it is in the ledger
    exactly when the caller's transaction commits.
    """
    AuditEntry, Pending = _classes()
    object_type, object_id = object_ref(obj)
    if len(action) > 64 or len(object_type) > 64:
        # Refused here, not at commit time when the entry is finally written.
        raise ValueError(f"audit action or object type longer than 64: {action!r}")
    change_text = _ENCODER.encode(redact(change or {}))
    user = actor if getattr(actor, "pk", None) else None
    actor_id = user.pk if user else None
    actor_label = (user.get_username() if user else str(actor or "system"))[:150]
    object_id = object_id[:64]
    purpose = purpose[:200]
    at = timezone.now()
    digest = _hex(_SM3, change_text.encode())
    fields = (actor_id, actor_label, action, object_type, object_id, purpose)
    body = leaf_text(at.isoformat(timespec="microseconds"), *fields, digest, change_text).encode()
    leaf = _hex(_LEAF, body)
    # The change as the database returns it: the JSON round trip of the hashed text.
    row = (at, *fields, change_text, digest, leaf, body)
    values: tuple[Any, ...] = (None, at, *fields, json.loads(change_text), digest, leaf, body, None)
    entry = AuditEntry(*values)  # positional: Django's fast path, fields in model order
    if user is not None:
        entry.actor = user
    conn = connections[router.db_for_write(AuditEntry)]
    item = Pending(entry, row, tuple(conn.savepoint_ids))
    defer = getattr(conn, "ledger_defer", None)
    if defer is None or not defer(item):
        write_entries(conn, [item])
    return entry


@functools.cache
def _classes() -> tuple[Any, Any]:
    """The entry model and the buffer's item class (imported once, after app loading)."""
    from yiwang.core.db.buffer import Pending
    from yiwang.core.models import AuditEntry

    return AuditEntry, Pending


def _hex(state, data: bytes) -> str:
    """SM3 (hex) of ``state``'s prefix followed by ``data``."""
    h = state.copy()
    h.update(data)
    return h.hexdigest()


def flush(using: str | None = None) -> None:
    """Write the entries this connection's transaction has recorded and not yet
    written (before reading the ledger with SQL of one's own)."""
    from yiwang.core.models import AuditEntry

    conn = connections[using or router.db_for_write(AuditEntry)]
    pending = getattr(conn, "ledger_flush", None)
    if pending is not None:
        pending()


def write_entries(conn, items: list) -> None:
    """INSERT ``items`` (``db.buffer.Pending``) on ``conn`` and give each entry its id,
    ids following the order of recording:

    * SQLite: one ``executemany`` (the rows get consecutive ids, the last one read back:
      SQLite gives a new row the largest id + 1, and the write lock is ours);
    * PostgreSQL, a large batch in a transaction: ``COPY`` with ids drawn beforehand,
      after taking the table's ROW EXCLUSIVE lock as an INSERT would (the sealer's
      watermark relies on writers holding it before they draw ids);
    * otherwise one multi-row ``INSERT … RETURNING id``.
    """
    if conn.vendor == "sqlite" and len(items) > 1:
        ids = _executemany_sqlite(conn, items)
    elif conn.vendor == "postgresql" and len(items) >= _COPY_ROWS and _can_copy(conn):
        ids = _copy_postgres(conn, items)
    else:
        ids = _insert_returning(conn, items)
    alias = conn.alias
    for item, pk in zip(items, ids, strict=True):
        entry = item.entry
        entry.pk = pk
        entry._state.adding = False
        entry._state.db = alias


def _rows(conn, items: list) -> list[tuple]:
    """Column values as the database takes them (SQLite: Django's UTC text time)."""
    if conn.vendor != "sqlite":
        return [item.row for item in items]
    if conn.timezone_name == "UTC":
        return [(str(item.row[0].replace(tzinfo=None)), *item.row[1:]) for item in items]
    adapt = conn.ops.adapt_datetimefield_value
    return [(adapt(item.row[0]), *item.row[1:]) for item in items]


def _insert_sql(conn, rows: int, returning: bool = True) -> str:
    quote = conn.ops.quote_name
    marks = ", ".join(
        "%s::jsonb" if (c == "change" and conn.vendor == "postgresql") else "%s" for c in _COLUMNS
    )
    sql = (
        f"INSERT INTO {quote(_table())} ({', '.join(quote(c) for c in _COLUMNS)}) VALUES "
        + ", ".join([f"({marks})"] * rows)
    )
    return sql + f" RETURNING {quote('id')}" if returning else sql


def _table() -> str:
    from yiwang.core.models import AuditEntry

    return AuditEntry._meta.db_table


def _insert_returning(conn, items: list) -> list[int]:
    """Multi-row INSERTs; a statement draws its ids in row order, so the returned ids,
    sorted, are the rows' ids in order (whatever order RETURNING lists them in)."""
    ids: list[int] = []
    rows = _rows(conn, items)
    with conn.cursor() as cur:
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start : start + _ROWS_PER_INSERT]
            cur.execute(_insert_sql(conn, len(chunk)), [v for row in chunk for v in row])
            ids += sorted(pk for (pk,) in cur.fetchall())
    return ids


def _executemany_sqlite(conn, items: list) -> list[int]:
    with conn.cursor() as cur:
        cur.executemany(_insert_sql(conn, 1, returning=False), _rows(conn, items))
        cur.execute("SELECT last_insert_rowid()")
        last = cur.fetchone()[0]
    return list(range(last - len(items) + 1, last + 1))


def _can_copy(conn) -> bool:
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3 and not conn.get_autocommit()


def _copy_postgres(conn, items: list) -> list[int]:
    quote = conn.ops.quote_name
    table = quote(_table())
    with conn.cursor() as cur:
        cur.execute(f"LOCK TABLE {table} IN ROW EXCLUSIVE MODE")
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [_table(), len(items)],
        )
        ids = sorted(pk for (pk,) in cur.fetchall())
        names = ", ".join(quote(c) for c in ("id", *_COLUMNS))
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for pk, item in zip(ids, items, strict=True):
                copy.write_row((pk, *item.row))
    return ids
