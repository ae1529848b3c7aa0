"""Shared benchmark helpers: Django set-up on a throwaway database, timing, result records.

Every result is reported against a baseline measured in the same run (the machine is
shared and noisy): ``ratio = value / baseline`` for rates.
"""

from __future__ import annotations

import os
import statistics
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
    os.environ["YIWANG_DEBUG"] = "0"  # measured as deployed: no query log, no debug pages
    import django

    django.setup()
    from django.conf import settings

    assert not settings.DEBUG, "benchmarks run with DEBUG off"
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


def median_seconds(fn: Callable[..., Any], repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls of ``fn`` (after one warm-up call): the
    machine is shared, so one slow call must not decide."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


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


def measure_on_postgres(module: str, *args: Any) -> dict | None:
    """Run ``bench.<module>.measure(*args)`` in a child process against a PostgreSQL
    database created for it and dropped after (``BENCH_PG_URL``, default
    postgres://postgres@127.0.0.1:5432; its name starts with ``BENCH_PG_PREFIX``, default
    ``yiwang_bench``); None when PostgreSQL is not reachable."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    try:
        import psycopg
    except ImportError:
        return None
    base = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    prefix = os.environ.get("BENCH_PG_PREFIX", "yiwang_bench")
    name = f"{prefix}_{module}_{os.getpid()}"
    try:
        admin = psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.Error:
        return None
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        env.pop("DATABASE_URL", None)
        env.pop("YIWANG_KEY_DIR", None)
        code = (
            "from bench.common import _postgres_child; "
            f"_postgres_child({module!r}, {f'{base}/{name}'!r}, {json.dumps(list(args))!r})"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            raise RuntimeError(done.stderr[-2000:])
        return json.loads(line[len("RESULT ") :])
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def _postgres_child(module: str, url: str, args_json: str) -> None:
    import importlib
    import json

    setup_django(url)
    measure = importlib.import_module(f"bench.{module}").measure
    print("RESULT " + json.dumps(measure(*json.loads(args_json))), flush=True)
