"""Sealing while many writers commit out of id order (PostgreSQL): no entry is skipped,
sealed twice or left inside a sealed range."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction

from yiwang.core import audit, ledger
from yiwang.core.models import AuditBlock, AuditEntry

WRITERS = 6
PER_WRITER = 40


def _writer(n: int, errors: list) -> None:
    try:
        rng = random.Random(n)
        for i in range(PER_WRITER):
            with transaction.atomic():
                audit.record(actor=None, action="core.test.write", obj=("core.thing", f"{n}-{i}"))
                # Hold the id open a little so later ids commit first.
                time.sleep(rng.random() * 0.01)
    except Exception as exc:  # surfaced by the test below
        errors.append(exc)
    finally:
        connection.close()


def _sealer(stop: threading.Event, errors: list) -> None:
    try:
        while not stop.is_set():
            ledger.seal_pending(block_size=7, grace_seconds=0)
    except Exception as exc:
        errors.append(exc)
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_sealers_keep_the_ledger_whole():
    if connection.vendor != "postgresql":
        pytest.skip("out-of-order commits need PostgreSQL (SQLite serializes writers)")
    AuditEntry.objects.all().delete()
    errors: list = []
    stop = threading.Event()
    sealers = [threading.Thread(target=_sealer, args=(stop, errors)) for _ in range(2)]
    writers = [threading.Thread(target=_writer, args=(n, errors)) for n in range(WRITERS)]
    for t in sealers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in sealers:
        t.join()
    assert not errors, errors
    ledger.seal_pending(block_size=7, grace_seconds=0)

    total = WRITERS * PER_WRITER
    assert AuditEntry.objects.count() == total
    assert not AuditEntry.objects.filter(block__isnull=True).exists()
    blocks = list(AuditBlock.objects.order_by("number"))
    assert [b.number for b in blocks] == list(range(1, len(blocks) + 1))
    listed = [int(i) for b in blocks for i, _ in b.leaves]
    assert sorted(listed) == listed == sorted(AuditEntry.objects.values_list("id", flat=True))
    result = ledger.verify_ledger()
    assert result.ok, [p.describe() for p in result.problems[:5]]
    assert result.entries == total


@pytest.mark.django_db(transaction=True)
def test_sealer_never_passes_an_id_still_in_flight():
    """A transaction holding a lower id open keeps later, committed ids unsealed."""
    if connection.vendor != "postgresql":
        pytest.skip("out-of-order commits need PostgreSQL (SQLite serializes writers)")
    AuditEntry.objects.all().delete()
    inserted, release = threading.Event(), threading.Event()
    held: dict = {}

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                held["entry"] = audit.record(actor=None, action="core.test.slow", obj=("t", "1"))
                # Written (its id drawn) before the transaction ends, as when the
                # transaction reads the ledger after recording.
                audit.flush()
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert inserted.wait(10)
    later = audit.record(actor=None, action="core.test.fast", obj=("t", "2"))
    assert later.pk > held["entry"].pk
    result = ledger.seal_pending(grace_seconds=0, wait_seconds=0.2)
    assert result.blocks == [] and result.watermark is None
    assert AuditEntry.objects.get(pk=later.pk).block_id is None

    release.set()
    thread.join()
    result = ledger.seal_pending(grace_seconds=0)
    assert result.entries == 2
    assert ledger.verify_ledger().ok
