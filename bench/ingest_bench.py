"""数据归集 throughput: person rows per second through the whole import pipeline (parse,
element standards, division and duplicate checks, quality rules, SM4 encryption, blind
indexes, upsert by natural key with provenance, chunked checkpoints) against a raw bulk
insert — ``executemany`` of the very same final row values, encrypted values already
computed — into the same table in the same run. ``ratio`` = pipeline / raw.

SQLite runs in this process; PostgreSQL (when reachable) runs in a child process against
a database this benchmark creates and drops (``BENCH_PG_URL``, default
postgres://postgres@127.0.0.1:5432). ``BENCH_INGEST_WORKERS`` (default 1) sets the
checking/encryption processes; ``BENCH_INGEST_ROWS`` the full run's size (1,000,000)."""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
import time
from itertools import islice
from pathlib import Path

from bench.common import measure_on_postgres, result

HEADER = ["公民身份号码", "姓名", "性别", "出生日期", "户籍区划", "联系电话"]
CHUNK = 10_000


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


def measure(n: int) -> dict:
    """Pipeline and raw rates on the current database (already migrated)."""
    from django.conf import settings
    from django.db import connection, transaction

    from yiwang.core.actions.org import do_seed_org
    from yiwang.data.actions.ingest import do_create_batch, do_process_batch
    from yiwang.data.actions.standards import do_seed_data_standards
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
    assert batch.created == n, (batch.created, batch.quarantined)

    table = Person._meta.db_table
    # Every column, the primary key included: the pipeline draws it ahead (encrypted
    # values are bound to their rows), so the baseline inserts it too.
    columns = [f.column for f in Person._meta.concrete_fields]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cur:
        cur.execute(f"SELECT {names} FROM {table} ORDER BY id")
        rows = cur.fetchall()
        cur.execute(f"DELETE FROM {table}")
    marks = ", ".join(["%s"] * len(columns))
    insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    start = time.perf_counter()
    for i in range(0, len(rows), CHUNK):
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(insert, rows[i : i + CHUNK])
    raw_seconds = time.perf_counter() - start
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "vendor": connection.vendor,
        "rows": n,
        "workers": workers,
        "pipeline": n / pipeline_seconds,
        "raw": n / raw_seconds,
        "pipeline_seconds": round(pipeline_seconds, 2),
        "raw_seconds": round(raw_seconds, 2),
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
                f"raw_executemany_{m['vendor']}",
                rows=m["rows"],
                workers=m["workers"],
                pipeline_seconds=m["pipeline_seconds"],
                raw_seconds=m["raw_seconds"],
            )
        )
    return out
