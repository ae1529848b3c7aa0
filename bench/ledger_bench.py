"""Audit ledger (全程留痕): appending through ``audit.record`` and verifying with
``verify_ledger``, each against a baseline measured in the same run.

* ``ledger.append_8_writers``: 8 threads, each running actions (transactions) of
  ``ACTION`` entries; an action's entries wait on its connection and are written in
  one batch before it commits. Baseline: raw SM3 (``hashlib``, one thread) of the same
  leaf bytes.
* ``ledger.append_8_writers_1_per_commit``: the same writers, each entry its own
  transaction (an action that records one entry pays a whole commit for it).
* ``ledger.action_<N>``: one action recording N entries, one writer. Baseline: the same
  N rows (computed beforehand) inserted with one bare ``executemany`` in one
  transaction of the same table.
* ``ledger.verify_<P>_process(es)``: ``verify_ledger`` over every sealed entry, in one
  process and in one worker process per CPU. Baseline: raw SM3 of the stored leaf bytes
  (0x00 ‖ body), one thread.

On SQLite every write takes the database lock (and the project's IMMEDIATE transactions
take it at BEGIN), so writers serialize; set ``BENCH_DATABASE_URL`` to a PostgreSQL
database for concurrent ones. The benchmark empties the ledger tables of that database.
"""

from __future__ import annotations

import hashlib
import os
import resource
import threading
import time
from collections.abc import Callable

from bench.common import rate, result

WRITERS = 8
ACTION = 100
_LEAF_STATE = hashlib.new("sm3", b"\x00")


def _change(n: int) -> dict:
    return {"status": ["submitted", "accepted"], "case": f"JZ-2026-{n:06d}", "phone": "13800000000"}


def _record(tag: str, i: int) -> None:
    from yiwang.core import audit

    audit.record(
        actor=None,
        action="core.case.transition",
        obj=("services.case", f"{tag}-{i}"),
        purpose="受理申请",
        change=_change(i),
    )


def _action(tag: str, size: int) -> None:
    """One action: ``size`` entries in one transaction."""
    from django.db import transaction

    with transaction.atomic():
        for i in range(size):
            _record(tag, i)


def _writers(actions: int, size: int, atomic: bool = True) -> tuple[float, float]:
    """8 threads, each running ``actions`` actions of ``size`` entries (or, without
    ``atomic``, ``actions * size`` entries each in its own transaction);
    returns (entries per second, CPU microseconds of this process per entry)."""
    from django.db import connection

    errors: list[BaseException] = []
    start_gate = threading.Barrier(WRITERS + 1)

    def writer(w: int) -> None:
        try:
            start_gate.wait()
            for a in range(actions):
                if atomic:
                    _action(f"{w}-{a}", size)
                else:
                    for i in range(size):
                        _record(f"{w}-{a}", i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    start_gate.wait()
    began, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.join()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    if errors:
        raise errors[0]
    total = WRITERS * actions * size
    return total / elapsed, 1e6 * cpu / total


def _bodies(limit: int | None = None) -> list[bytes]:
    """The stored leaf bytes, as verification reads them."""
    from yiwang.core.models import AuditEntry

    qs = AuditEntry.objects.filter(body__isnull=False).order_by("id").values_list("body", flat=True)
    return [bytes(b) for b in (qs[:limit] if limit else qs) if b is not None]


def _cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished worker processes."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _measure(fn: Callable[[], int], seconds: float) -> tuple[float, float]:
    """(operations per wall second, per CPU second) of ``fn`` run for ``seconds``."""
    done, cpu, began = 0, _cpu_seconds(), time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        done += fn()
        elapsed = time.perf_counter() - began
    return done / elapsed, done / max(_cpu_seconds() - cpu, 1e-9)


def _paired(
    baseline: Callable[[], int], project: Callable[[], int], rounds: int, seconds: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Best (wall, CPU) rates of each over ``rounds`` alternating slices: on a shared,
    noisy machine the best slice is the one least disturbed by others."""
    base, proj = (0.0, 0.0), (0.0, 0.0)
    for _ in range(rounds):
        b, p = _measure(baseline, seconds), _measure(project, seconds)
        base = (max(base[0], b[0]), max(base[1], b[1]))
        proj = (max(proj[0], p[0]), max(proj[1], p[1]))
    return base, proj


def _sm3_rate(payloads: list[bytes]) -> float:
    """Raw SM3 of ``payloads`` as leaves, one thread (see ``_sm3_count``)."""
    return rate(lambda: _sm3_count(payloads), min_seconds=0.5)


def _sm3_count(payloads: list[bytes]) -> int:
    """Hash every payload once as a leaf (0x00 ‖ payload), with the fastest plain
    ``hashlib`` loop (a copied prefixed state per payload); returns how many."""
    copy = _LEAF_STATE.copy
    for p in payloads:
        h = copy()
        h.update(p)
        h.digest()
    return len(payloads)


def _empty_ledger() -> None:
    from django.db import connection

    from yiwang.core.models import AuditBlock, AuditEntry

    with connection.cursor() as cur:
        for model in (AuditEntry, AuditBlock):
            cur.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def _bare_rows(size: int) -> list[tuple]:
    """``size`` finished rows (computed by ``audit.record`` in a rolled-back transaction)
    as the database takes them."""
    from django.db import connection, transaction

    from yiwang.core import audit

    with transaction.atomic():
        for i in range(size):
            _record("bare", i)
        items = list(connection.ledger_pending)  # type: ignore[attr-defined]
        connection.ledger_pending.clear()  # type: ignore[attr-defined]
        transaction.set_rollback(True)
    return audit._rows(connection, items)


def _one_action(size: int) -> dict:
    """One action of ``size`` entries against the bare insert of the same rows."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from yiwang.core import audit

    rows = _bare_rows(size)
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in audit._COLUMNS)
        copy_sql = f"COPY {quote(audit._table())} ({columns}) FROM STDIN"
        baseline_name = "bare COPY of the same rows, one transaction"

        def write(cur) -> None:
            with cur.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)

    else:
        sql = audit._insert_sql(connection, 1, returning=False)
        baseline_name = "bare executemany of the same rows, one transaction"

        def write(cur) -> None:
            cur.executemany(sql, rows)

    def bare() -> int:
        with transaction.atomic(), connection.cursor() as cur:
            write(cur)
        return size

    def project() -> int:
        _action("one", size)
        return size

    (baseline, base_cpu), (value, cpu) = _paired(
        bare, project, rounds=3, seconds=0.3 if size < 100 else 0.6
    )
    with CaptureQueriesContext(connection) as queries:
        _action("count", size)
    return result(
        f"ledger.action_{size}",
        value,
        "entries/s",
        baseline=baseline,
        baseline_name=baseline_name,
        ms_per_action=round(1000 * size / value, 3),
        cpu_us_per_entry=round(1e6 / cpu, 1),
        cpu_ratio=round(cpu / base_cpu, 4),
        statements=len(queries.captured_queries),
        database=connection.vendor,
    )


def run(quick: bool = False) -> list[dict]:
    from django.conf import settings
    from django.db import connection

    from yiwang.core import ledger
    from yiwang.core.models import AuditEntry

    settings.DEBUG = False  # no query log: every result runs as in production
    vendor = connection.vendor
    note = "SQLite serializes writers" if vendor == "sqlite" else ""
    _empty_ledger()
    out = []

    actions = 3 if quick else 10
    rounds = 1 if quick else 3
    appended, cpu = max(_writers(actions, ACTION) for _ in range(rounds))
    total = WRITERS * actions * ACTION
    sm3 = max(_sm3_rate(_bodies(5000)) for _ in range(rounds))
    out.append(
        result(
            "ledger.append_8_writers",
            appended,
            "entries/s",
            baseline=sm3,
            baseline_name="raw SM3 of the same leaf bytes (1 thread)",
            entries=total,
            writers=WRITERS,
            entries_per_action=ACTION,
            cpu_us_per_entry=round(cpu, 1),
            database=vendor,
            note=note,
        )
    )
    single, single_cpu = max(_writers(1, 25 if quick else 100, atomic=False) for _ in range(rounds))
    total = WRITERS * (25 if quick else 100)
    out.append(
        result(
            "ledger.append_8_writers_1_per_commit",
            single,
            "entries/s",
            baseline=sm3,
            baseline_name="raw SM3 of the same leaf bytes (1 thread)",
            entries=total,
            writers=WRITERS,
            entries_per_action=1,
            cpu_us_per_entry=round(single_cpu, 1),
            database=vendor,
            note=note,
        )
    )
    for size in (1, 10, 100, 1000):
        out.append(_one_action(size))

    sealed = ledger.seal_pending(grace_seconds=0)
    count = AuditEntry.objects.filter(block__isnull=False).count()
    bodies = _bodies()
    processes = ledger.default_processes()
    for procs in sorted({1, processes}):

        def verify_all(procs: int = procs) -> int:
            res = ledger.verify_ledger(processes=procs)
            if not res.ok:
                raise RuntimeError(str(res.first))
            return res.entries

        (sm3, sm3_cpu), (verified, cpu) = _paired(
            lambda: _sm3_count(bodies), verify_all, rounds=rounds, seconds=1.0
        )
        out.append(
            result(
                f"ledger.verify_{procs}_process{'es' if procs > 1 else ''}",
                verified,
                "entries/s",
                baseline=sm3,
                baseline_name="raw SM3 of the same leaf bytes (1 thread)",
                entries=count,
                blocks=len(sealed.blocks),
                processes=procs,
                cpu_us_per_entry=round(1e6 / cpu, 2),
                cpu_ratio=round(cpu / sm3_cpu, 4),
                cpus=os.cpu_count(),
                database=vendor,
            )
        )
    return out
