"""The import contracts in pyproject.toml hold (core below the rooms, rooms layered, no
API module on a page module), and the API contract would catch an API module importing
a page module again."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
from importlinter import configuration
from importlinter.contracts.forbidden import ForbiddenContract

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]


def test_every_contract_is_kept():
    """What ``make imports`` runs: every contract kept (the output names any broken one)."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(_config()['contracts'])} kept, 0 broken" in done.stdout


def test_an_api_module_importing_a_page_breaks_the_contract():
    """The contract checked on the real import graph, then with one API → page import
    added: kept, then broken."""
    configuration.configure()
    config = _config()
    raw = next(c for c in config["contracts"] if c["id"] == "api-not-views")
    contract = ForbiddenContract(
        name=raw["name"],
        session_options={"root_packages": config["root_packages"]},
        contract_options={k: v for k, v in raw.items() if k not in ("id", "name", "type")},
    )
    graph = grimp.build_graph("yiwang", cache_dir=None)
    assert contract.check(graph, verbose=False).kept
    graph.add_import(importer="yiwang.data.api.registries", imported="yiwang.data.views.registries")
    assert not contract.check(graph, verbose=False).kept
