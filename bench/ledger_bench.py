"""Audit ledger (全程留痕) throughput: (a) entries appended per second by 8 concurrent
writers through ``audit.record``; (b) entries re-verified per second by
``verify_ledger``. Both against raw SM3 over the same canonical leaf bytes, same run.

On SQLite every write takes the database lock, so (a) measures serialized inserts; set
``BENCH_DATABASE_URL`` to a PostgreSQL database for concurrent inserts.
"""

from __future__ import annotations

import threading
import time

from bench.common import rate, result

WRITERS = 8


def _change(n: int) -> dict:
    return {"status": ["submitted", "accepted"], "case": f"JZ-2026-{n:06d}", "phone": "13800000000"}


def _append(per_writer: int) -> tuple[float, int]:
    """8 threads, each appending ``per_writer`` entries; returns (entries/s, total)."""
    from django.db import connection

    from yiwang.core import audit

    errors: list[BaseException] = []
    start_gate = threading.Barrier(WRITERS + 1)

    def writer(w: int) -> None:
        try:
            start_gate.wait()
            for i in range(per_writer):
                audit.record(
                    actor=None,
                    action="core.case.transition",
                    obj=("services.case", f"{w}-{i}"),
                    purpose="受理申请",
                    change=_change(i),
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    start_gate.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    total = WRITERS * per_writer
    return total / elapsed, total


def _leaf_bytes(limit: int) -> list[bytes]:
    """The exact bytes each entry's leaf hash covers, read back from the database."""
    from types import SimpleNamespace

    from yiwang.core import audit, ledger
    from yiwang.core.models import AuditEntry

    rows = AuditEntry.objects.order_by("id").values(*ledger.LEAF_FIELDS)[:limit]
    return [b"\x00" + audit.canonical(audit.leaf_fields(SimpleNamespace(**r))) for r in rows]


def _sm3_rate(payloads: list[bytes]) -> float:
    import hashlib

    def batch() -> int:
        for p in payloads:
            hashlib.new("sm3", p).digest()
        return len(payloads)

    return rate(batch, min_seconds=0.5)


def run(quick: bool = False) -> list[dict]:
    from django.db import connection

    from yiwang.core import ledger
    from yiwang.core.models import AuditEntry

    per_writer = 100 if quick else 1000
    vendor = connection.vendor
    appended, total = _append(per_writer)
    sm3 = _sm3_rate(_leaf_bytes(2000))
    out = [
        result(
            "ledger.append_8_writers",
            appended,
            "entries/s",
            baseline=sm3,
            baseline_name="raw SM3 of the same leaf bytes (1 thread)",
            entries=total,
            writers=WRITERS,
            database=vendor,
            note="SQLite serializes writers" if vendor == "sqlite" else "",
        )
    ]

    sealed = ledger.seal_pending(grace_seconds=0)
    count = AuditEntry.objects.filter(block__isnull=False).count()
    payloads = _leaf_bytes(count)
    sm3 = _sm3_rate(payloads)

    def verify_all() -> int:
        res = ledger.verify_ledger()
        if not res.ok:
            raise RuntimeError(res.first.describe())
        return res.entries

    verified = rate(verify_all, min_seconds=1.0 if quick else 3.0)
    out.append(
        result(
            "ledger.verify",
            verified,
            "entries/s",
            baseline=sm3,
            baseline_name="raw SM3 of the same leaf bytes",
            entries=count,
            blocks=len(sealed.blocks),
            database=vendor,
        )
    )
    return out
