"""Run benchmarks: ``python -m bench`` (all) or ``python -m bench crypto ledger``.

Each module ``bench/<name>_bench.py`` exposes ``run(quick: bool) -> list[dict]``;
results print as JSON lines, with a one-line summary (baseline, project, ratio) for each,
and are saved outside the source tree: ``$BENCH_RESULTS_DIR/latest.json`` (default
``yiwang-bench`` in the system's temporary folder). Django runs with DEBUG off.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(
        m.name[: -len("_bench")]
        for m in pkgutil.iter_modules([str(HERE)])
        if m.name.endswith("_bench")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {available()})")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args(argv)
    names = args.names or available()
    sys.path.insert(0, str(HERE.parent))
    from bench.common import setup_django

    setup_django()
    results = []
    for name in names:
        module = importlib.import_module(f"bench.{name}_bench")
        for record in module.run(quick=args.quick):
            record = {"bench": name, **record}
            results.append(record)
            print(json.dumps(record, ensure_ascii=False), flush=True)
            print(summary(record), flush=True)
    out = Path(os.environ.get("BENCH_RESULTS_DIR") or Path(tempfile.gettempdir()) / "yiwang-bench")
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(f"results: {out / 'latest.json'}", flush=True)
    return 0


def summary(record: dict) -> str:
    """One line: the name, the baseline, the project's figure and their ratio."""
    line = f"{record['bench']} {record['name']}:"
    if "baseline" in record:
        line += f" baseline {record['baseline']:g} {record.get('baseline_name', '')},"
    line += f" project {record['value']:g} {record['unit']}"
    if "ratio" in record:
        line += f", ratio {record['ratio']:g}"
    if "statements_per_case" in record:
        line += f", {record['statements_per_case']} statements per case"
    return line


if __name__ == "__main__":
    raise SystemExit(main())
