"""办件编号: readable numbers, unique and gapless under concurrent creation."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from yiwang.core.numbering import next_number


@pytest.mark.django_db
def test_format_and_separate_counters():
    d = date(2026, 11, 26)
    assert next_number("410823", "SQ", d) == "410823-SQ-20261126-000001"
    assert next_number("410823", "SQ", d) == "410823-SQ-20261126-000002"
    assert next_number("410823", "GD", d) == "410823-GD-20261126-000001"
    assert next_number("410823", "SQ", date(2026, 11, 27)) == "410823-SQ-20261127-000001"
    with pytest.raises(ValueError):
        next_number("410823", "bad kind!", d)


@pytest.mark.django_db(transaction=True)
def test_concurrent_numbers_are_unique_and_gapless():
    threads, per_thread = 8, 25
    day = date(2026, 11, 26)
    results: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def work():
        try:
            barrier.wait()
            got = [next_number("410823", "SQ", day) for _ in range(per_thread)]
            with lock:
                results.extend(got)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in results)
    assert seqs == list(range(1, threads * per_thread + 1))
