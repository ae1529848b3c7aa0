"""数据归集 throughput: person rows per second through the whole import pipeline (parse,
element standards, division and duplicate checks, quality rules, SM4 encryption, blind
indexes, upsert by natural key with provenance, chunked checkpoints) against a raw bulk
insert of the very same final rows — ciphertexts and blind indexes already computed —
into the same table in the same run, with the same bulk-load connection settings and the
fastest plain statement of each database (``executemany`` on SQLite, ``COPY`` on
PostgreSQL). ``ratio`` = pipeline / raw.

What limits the raw insert itself is measured beside it, each into an empty copy of the
table that differs in one respect (``raw_variants``; ``same_schema_copy`` differs in
none, the control): without the connection's bulk-load
settings (SQLite) or with ``executemany`` instead of ``COPY`` (PostgreSQL); blind
indexes as 64 hex characters in a varchar (their form before the 16 bytes they are
stored as now; on PostgreSQL with the ``varchar_pattern_ops`` index Django adds beside
each indexed varchar); no foreign keys; no secondary indexes
(primary key and unique ID-number index only); on PostgreSQL, without the
``varchar_pattern_ops`` index Django adds beside each indexed varchar column (a blind
index is never searched with LIKE); a bare table (no constraints, no indexes).

SQLite runs in this process; PostgreSQL (when reachable) runs in a child process against
a database this benchmark creates and drops (``BENCH_PG_URL``, default
postgres://postgres@127.0.0.1:5432). ``BENCH_INGEST_WORKERS`` (default 1) sets the
checking/encryption processes; ``BENCH_INGEST_ROWS`` the full run's size (1,000,000);
``BENCH_INGEST_VARIANTS=0`` skips the raw variants."""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

from bench.common import measure_on_postgres, result

HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "户籍区划", "联系电话"]
CHUNK = 10_000
BLIND = ("id_number_index", "name_index", "phone_index")


def write_csv(path: Path, n: int) -> None:
    from yiwang.core.synth import CitySynth

    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for p in islice(CitySynth(2026).people(n), n):
            w.writerow(
                [
                    p["id_number"],
                    p["full_name"],
                    "1" if p["sex"] == "M" else "2",
                    p["birth_date"].isoformat(),
                    p["division"],
                    p["phone"],
                ]
            )


def _insert(table: str, columns: list[str], rows: list[tuple], *, copy: bool) -> float:
    """Seconds to insert ``rows`` in chunks of CHUNK, one transaction each: ``COPY`` or
    one ``executemany`` per chunk."""
    from django.db import connection, transaction

    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    insert = f"INSERT INTO {qn(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
    start = time.perf_counter()
    for i in range(0, len(rows), CHUNK):
        with transaction.atomic(), connection.cursor() as cur:
            if copy:
                with cur.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as out:
                    for row in rows[i : i + CHUNK]:
                        out.write_row(row)
            else:
                cur.executemany(insert, rows[i : i + CHUNK])
    return time.perf_counter() - start


def _sqlite_copy(table: str, copy: str, **change: bool) -> None:
    """An empty copy of ``table`` (SQLite): same DDL, minus what ``change`` says."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        ddl = cur.fetchone()[0].replace(f'"{table}"', f'"{copy}"', 1)
        cur.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [table],
        )
        indexes = [r[0] for r in cur.fetchall()]
        if change.get("bare"):
            cur.execute(f'PRAGMA table_info("{table}")')
            ddl = f'CREATE TABLE "{copy}" ({", ".join(r[1] for r in cur.fetchall())})'
            indexes = []
        if change.get("no_fk"):
            ddl = re.sub(r' REFERENCES "\w+" \("\w+"\)( DEFERRABLE INITIALLY DEFERRED)?', "", ddl)
        if change.get("hex"):
            for c in BLIND:
                ddl = ddl.replace(f'"{c}" blob', f'"{c}" varchar(64)')
        if change.get("no_secondary"):
            indexes = []
        cur.execute(ddl)
        for sql in indexes:
            sql = sql.replace(f'ON "{table}"', f'ON "{copy}"')
            cur.execute(re.sub(r'INDEX "(\w+)"', rf'INDEX "{copy}_\1"', sql, count=1))


def _postgres_copy(table: str, copy: str, **change: bool) -> None:
    """An empty copy of ``table`` (PostgreSQL): columns, defaults and checks, then the
    keys, indexes and foreign keys ``change`` keeps."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            f'CREATE TABLE "{copy}" (LIKE "{table}" INCLUDING DEFAULTS'
            + ("" if change.get("bare") else " INCLUDING CONSTRAINTS")
            + ")"
        )
        if change.get("bare"):
            return
        if change.get("hex"):
            for c in BLIND:
                cur.execute(f'ALTER TABLE "{copy}" ALTER COLUMN "{c}" TYPE varchar(64) USING NULL')
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f')",
            [table],
        )
        for name, definition, kind in cur.fetchall():
            if kind == "f" and change.get("no_fk"):
                continue
            cur.execute(f'ALTER TABLE "{copy}" ADD CONSTRAINT "{copy}_{name}" {definition}')
        if change.get("no_secondary"):
            return
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [table],
        )
        for name, definition in cur.fetchall():
            if "_pattern_ops" in definition and change.get("no_like"):
                continue  # the LIKE index Django adds beside each varchar index
            definition = definition.replace(f"ON public.{table} ", f"ON public.{copy} ")
            cur.execute(definition.replace(f"INDEX {name} ", f"INDEX {copy}_{name} ", 1))
        if change.get("hex"):  # the LIKE index the varchar blind indexes had
            for c in BLIND:
                cur.execute(
                    f'CREATE INDEX "{copy}_{c}_like" ON "{copy}" ("{c}" varchar_pattern_ops)'
                )


def _variants(table: str, columns: list[str], rows: list[tuple]) -> dict[str, float]:
    """Rows per second of the raw insert into copies of the table that differ in one
    respect each (see the module's docstring)."""
    from django.db import connection

    from yiwang.data.ingest.fastpath import bulk_session

    postgres = connection.vendor == "postgresql"
    make = _postgres_copy if postgres else _sqlite_copy
    blind = [columns.index(c) for c in BLIND]

    def to_hex(row: tuple) -> tuple:
        """Each blind index as 64 random-looking hex characters ("" when empty)."""
        out = list(row)
        for i in blind:
            out[i] = bytes(out[i]).hex() * 2 if out[i] is not None else ""
        return tuple(out)

    plans: list[tuple[str, dict[str, bool], Callable[[tuple], tuple] | None, bool]] = [
        ("executemany" if postgres else "default_session", {}, None, False),
        ("same_schema_copy", {}, None, postgres),
        ("hex_index", {"hex": True}, to_hex, postgres),
        ("no_fk", {"no_fk": True}, None, postgres),
        *([("no_like_index", {"no_like": True}, None, True)] if postgres else []),
        ("no_secondary_index", {"no_secondary": True}, None, postgres),
        ("bare_table", {"bare": True}, None, postgres),
    ]
    out: dict[str, float] = {}
    for name, change, convert, copy in plans:
        target = f"bench_ingest_{name}"
        make(table, target, **change)
        data = [convert(r) for r in rows] if convert else rows
        if name == "default_session":
            seconds = _insert(target, columns, data, copy=False)
        else:
            with bulk_session():
                seconds = _insert(target, columns, data, copy=copy)
        out[name] = round(len(rows) / seconds, 1)
        with connection.cursor() as cur:
            cur.execute(f'DROP TABLE "{target}"')
    return out


def measure(n: int) -> dict[str, Any]:
    """Pipeline and raw rates on the current database (already migrated)."""
    from django.conf import settings
    from django.db import connection

    from yiwang.core.actions.org import do_seed_org
    from yiwang.data.actions.ingest import do_create_batch, do_process_batch
    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.ingest.fastpath import bulk_session
    from yiwang.data.models import DataResource, Person

    tmp = Path(tempfile.mkdtemp(prefix="yiwang-ingest-bench-"))
    settings.MEDIA_ROOT = tmp / "media"
    settings.YIWANG["DATA_IMPORT_MAX_BYTES"] = 10**10
    workers = int(os.environ.get("BENCH_INGEST_WORKERS", "1"))
    settings.YIWANG["DATA_IMPORT_WORKERS"] = workers
    settings.YIWANG["DATA_IMPORT_PARALLEL_MIN_ROWS"] = 1
    do_seed_org(actor=None, townships=False)
    do_seed_data_standards(actor=None)
    resource = DataResource.objects.get(registry="person", status="published")
    path = tmp / "people.csv"
    write_csv(path, n)
    data = path.read_bytes()

    start = time.perf_counter()
    batch, _ = do_create_batch(actor=None, resource=resource, filename=path.name, data=data)
    batch = do_process_batch(actor=None, batch=batch, chunk_size=CHUNK)
    pipeline_seconds = time.perf_counter() - start
    assert batch.created == n, (batch.created, batch.updated, batch.unchanged, batch.quarantined)

    table = Person._meta.db_table
    # Every column, the primary key included: the pipeline draws it ahead (encrypted
    # values are bound to their rows), so the baseline inserts it too.
    columns = [f.column for f in Person._meta.concrete_fields]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {names} FROM {table} ORDER BY id")
        rows = cur.fetchall()
        postgres = connection.vendor == "postgresql"
        # Emptied as the pipeline found it: PostgreSQL's DELETE would leave dead rows and
        # index entries for the baseline to insert around.
        cur.execute(f"{'TRUNCATE' if postgres else 'DELETE FROM'} {table}")
    with bulk_session():
        raw_seconds = _insert(table, columns, rows, copy=postgres)
    variants = {} if os.environ.get("BENCH_INGEST_VARIANTS") == "0" else None
    if variants is None:
        variants = _variants(table, columns, rows)
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "vendor": connection.vendor,
        "rows": n,
        "workers": workers,
        "pipeline": n / pipeline_seconds,
        "raw": n / raw_seconds,
        "raw_method": "copy" if postgres else "executemany",
        "pipeline_seconds": round(pipeline_seconds, 2),
        "raw_seconds": round(raw_seconds, 2),
        "raw_variants": variants,
    }


def run(quick: bool = False) -> list[dict]:
    n = 20_000 if quick else int(os.environ.get("BENCH_INGEST_ROWS", "1000000"))
    out = []
    for m in (measure(n), measure_on_postgres("ingest_bench", n)):
        if m is None:
            continue
        out.append(
            result(
                f"ingest_person_{m['vendor']}",
                m["pipeline"],
                "rows/s",
                m["raw"],
                f"raw_{m['raw_method']}_{m['vendor']}",
                rows=m["rows"],
                workers=m["workers"],
                pipeline_seconds=m["pipeline_seconds"],
                raw_seconds=m["raw_seconds"],
                raw_rows_per_s=round(m["raw"], 1),
                raw_variants_rows_per_s=m["raw_variants"],
            )
        )
    return out
