"""Every performance goal in one run: ``python -m bench.goals [--quick] [--scale S]``.

Runs the benchmarks behind the goal table of ``docs/benchmarks.md`` on SQLite and on
PostgreSQL — each benchmark in its own process and its own fresh database, so one never
measures what another left behind — and prints one line per goal and database: the
goal, the value now, its baseline measured in the same process and the ratio, and
whether the goal is met. JSON of every record and the table go to
``bench/results/goals-<stamp>.json`` and ``.md`` (outside version control).

Benchmarks that measure PostgreSQL themselves in a child process (ingest, 秒批) run once;
the others run once per database (``BENCH_DATABASE_URL`` at a database created for the
run and dropped after). ``--scale`` is the staff lists' scale (``quick`` 1,000 open
cases, ``town`` 10,000, ``city`` 100,000 open cases and 3.5 M people).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
VENDORS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Goal:
    """One row of the goal table: where its number comes from and what it must reach."""

    path: str
    bench: str
    record: str  # record name; ``{vendor}`` is filled in for self-splitting benchmarks
    goal: str
    met: Callable[[dict], bool]
    show: str = "value"  # "value" or "ratio"
    vendors: tuple[str, ...] = VENDORS


def _below(limit: float) -> Callable[[dict], bool]:
    return lambda r: r["value"] < limit


def _at_least(limit: float, key: str = "value") -> Callable[[dict], bool]:
    return lambda r: r.get(key, 0) >= limit


LIST_PAGES = (
    ("staff inbox (我的待办), first page", "inbox_first_p95"),
    ("staff inbox, page after 下一页 ×N", "inbox_deep_p95"),
    ("12345 承办工单 of a county department", "hotline_department_p95"),
    ("人口库 search by ID number", "registry_person_id_p95"),
    ("办件管理 (services staff list)", "services_staff_p95"),
)

GOALS: tuple[Goal, ...] = (
    *(Goal(path, "lists", rec, "p95 < 100 ms", _below(100.0)) for path, rec in LIST_PAGES),
    Goal(
        "registry ingest (checked, SM4, blind indexes)",
        "ingest",
        "ingest_person_{vendor}",
        "≥ 0.5 of raw insert",
        _at_least(0.5, "ratio"),
        show="ratio",
    ),
    Goal(
        "ledger append, 8 writers",
        "ledger",
        "ledger.append_8_writers",
        "≥ 20 k/s",
        _at_least(20_000),
    ),
    Goal(
        "ledger verify",
        "ledger",
        "ledger.verify_1_process",
        "≥ 0.6 of SM3",
        _at_least(0.6, "ratio"),
        show="ratio",
    ),
    Goal(
        "authenticated scoped API read",
        "api",
        "api_read_authenticated_scoped",
        "≥ 0.5 of bare view",
        _at_least(0.5, "ratio"),
        show="ratio",
    ),
    Goal(
        "exchange gateway verify",
        "gateway",
        "gateway_verify_authorised_logged",
        "≥ 0.5 of bare view",
        _at_least(0.5, "ratio"),
        show="ratio",
    ),
    Goal(
        "exchange gateway p99, 16 clients",
        "gateway",
        "gateway_verify_p99",
        "< 50 ms (PostgreSQL)",
        _below(50.0),
        vendors=("postgresql",),
    ),
    Goal(
        "秒批 case → signed licence",
        "services",
        "instant_case_to_licence_{vendor}",
        "≥ 200 cases/s",
        _at_least(200),
    ),
    Goal(
        "licence verify API, 2 workers",
        "licences",
        "verify_api_http_per_s",
        "≥ 1,000 /s",
        _at_least(1000),
    ),
)

SELF_SPLITTING = {"ingest", "services"}  # they measure PostgreSQL in a child process


def _records(command: list[str], env: dict[str, str]) -> list[dict]:
    """Run one benchmark command; its JSON lines (progress and warnings go to stderr)."""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode})")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _postgres_database(name: str, *, drop: bool = False) -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop:
            conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def _command(bench: str, args: argparse.Namespace) -> list[str]:
    if bench == "lists":
        return [sys.executable, "-m", "bench.lists_bench", "--scale", args.scale]
    return [sys.executable, "-m", "bench", bench, *(["--quick"] if args.quick else [])]


def _run(bench: str, vendor: str, args: argparse.Namespace) -> list[dict]:
    """One benchmark on one database, each record tagged with that database."""
    env = dict(os.environ, YIWANG_DEBUG="0")  # DEBUG off: no query log
    env.pop("BENCH_DATABASE_URL", None)
    name = f"yiwang_goals_{bench}_{os.getpid()}"
    if vendor == "postgresql":
        env["BENCH_DATABASE_URL"] = _postgres_database(name)
    try:
        print(f"[goals] {bench} on {vendor}", file=sys.stderr, flush=True)
        records = _records(_command(bench, args), env)
    finally:
        if vendor == "postgresql":
            _postgres_database(name, drop=True)
    if bench not in SELF_SPLITTING:
        records = [{**r, "database": vendor} for r in records]
    return [{"bench": bench, **r} for r in records]


def _find(records: list[dict], goal: Goal, vendor: str) -> dict | None:
    name = goal.record.format(vendor=vendor)
    for r in records:
        split = "{vendor}" in goal.record
        if r.get("bench") == goal.bench and r["name"] == name:
            if split or r.get("database") == vendor:
                return r
    return None


def table(records: list[dict]) -> list[str]:
    """The goal table as Markdown lines: goal, now, baseline, ratio, met."""
    lines = [
        "| path | database | goal | now | baseline (same run) | ratio | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for goal in GOALS:
        for vendor in goal.vendors:
            r = _find(records, goal, vendor)
            if r is None:
                lines.append(f"| {goal.path} | {vendor} | {goal.goal} | — | — | — | not run |")
                continue
            now = f"{r['value']:,.1f} {r['unit']}"
            base = f"{r['baseline']:,.1f}" if "baseline" in r else "—"
            ratio = f"{r['ratio']:.3g}" if "ratio" in r else "—"
            met = "yes" if goal.met(r) else "no"
            lines.append(
                f"| {goal.path} | {vendor} | {goal.goal} | {now} | {base} | {ratio} | {met} |"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.goals")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--scale", default="quick", help="staff lists' scale: quick|town|city")
    parser.add_argument("--only", nargs="*", help="benchmarks to run (default: all behind goals)")
    args = parser.parse_args(argv)
    benches = sorted({g.bench for g in GOALS} & set(args.only or {g.bench for g in GOALS}))
    records: list[dict] = []
    for bench in benches:
        for vendor in ("sqlite",) if bench in SELF_SPLITTING else VENDORS:
            records += _run(bench, vendor, args)
    lines = table(records)
    print("\n".join(lines))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (out / f"goals-{stamp}.json").write_text(json.dumps(records, ensure_ascii=False, indent=1))
    (out / f"goals-{stamp}.md").write_text("\n".join(lines) + "\n")
    print(f"[goals] results in {out}/goals-{stamp}.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
