"""Run benchmarks: ``python -m bench`` (all) or ``python -m bench crypto ledger``.

Each module ``bench/<name>_bench.py`` exposes ``run(quick: bool) -> list[dict]``;
results print as JSON lines and are saved to ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
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
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
