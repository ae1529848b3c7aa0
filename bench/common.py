"""Shared benchmark helpers: Django set-up on a throwaway database, timing, result records.

Every result is reported against a baseline measured in the same run (the machine is
shared and noisy): ``ratio = value / baseline`` for rates.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from typing import Any


def setup_django(database_url: str | None = None) -> None:
    """Point Django at a fresh SQLite file (or ``BENCH_DATABASE_URL``) and migrate it."""
    url = database_url or os.environ.get("BENCH_DATABASE_URL")
    tmp = tempfile.mkdtemp(prefix="yiwang-bench-")
    os.environ["DATABASE_URL"] = url or f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("YIWANG_KEY_DIR", f"{tmp}/keys")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def rate(fn: Callable[[], int], min_seconds: float = 1.0) -> float:
    """Call ``fn`` (which returns how many operations it did) until ``min_seconds`` pass;
    return operations per second."""
    done = 0
    start = time.perf_counter()
    while True:
        done += fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def result(
    name: str,
    value: float,
    unit: str,
    baseline: float | None = None,
    baseline_name: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """One machine-readable record; ``ratio`` is value / baseline when a baseline is given."""
    out: dict[str, Any] = {"name": name, "value": round(value, 3), "unit": unit}
    if baseline:
        out.update(
            baseline=round(baseline, 3),
            baseline_name=baseline_name,
            ratio=round(value / baseline, 4),
        )
    out.update(extra)
    return out
