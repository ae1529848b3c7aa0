"""诉求分类 as data: the shipped three-level tree (``fixtures/taxonomy.json``: 大类, 中类,
小类 after GB/T 39666-2020), the mapping from the old flat tree's codes to the leaves that
replace them, and the snapshots and differences of published versions (诉求分类版本).

Plain functions over dicts, no tables: the loader action, the data migration and the
pages share them. ``resolve`` keeps intake working while a classifier still predicts the
old codes: it turns an old code into the leaf that replaces it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TAXONOMY_FILE = FIXTURES / "taxonomy.json"
OLD_FILE = FIXTURES / "categories.json"  # the flat tree before the taxonomy: its old codes
LEAF_DIGITS = 6
# The fields of a node a version keeps and compares (examples are training text only).
NODE_FIELDS = (
    "name",
    "name_en",
    "parent",
    "line",
    "description",
    "description_en",
    "keywords",
    "active",
)
KEYWORD_SPLIT = re.compile(r"[\s,，、;；]+")


def read(path: Path | None = None) -> dict[str, Any]:
    """The taxonomy fixture ({format, standards, nodes}); the shipped one is read once."""
    if path is None:
        return _shipped()
    return json.loads(Path(path).read_text("utf-8"))


@cache
def _shipped() -> dict[str, Any]:
    return json.loads(TAXONOMY_FILE.read_text("utf-8"))


def old_mapping(data: dict[str, Any] | None = None) -> dict[str, str]:
    """Old code → new code: each old leaf to the leaf listing it in ``replaces``, each old
    大类 to the new 大类 that took its first replaced leaf (a ticket filed under a whole
    大类 stays under the nearest new 大类)."""
    data = data or read()
    mapping = {
        old: node["code"]
        for node in data["nodes"]
        if len(node["code"]) == LEAF_DIGITS
        for old in node.get("replaces", ())
    }
    old_rows = json.loads(OLD_FILE.read_text("utf-8"))
    for row in old_rows:
        if row.get("parent"):
            continue
        children = sorted(r["code"] for r in old_rows if r.get("parent") == row["code"])
        target = next((mapping[c] for c in children if c in mapping), None)
        if target is not None:
            mapping[row["code"]] = target[:2]
    return mapping


def split_keywords(text: str) -> list[str]:
    """关键词 typed as one text field: split on spaces, commas (，,), 、 and semicolons,
    blanks dropped, each word once in the order given."""
    words = (w.strip() for w in KEYWORD_SPLIT.split(text or ""))
    return list(dict.fromkeys(w for w in words if w))


def node_dict(row: dict[str, Any]) -> dict[str, Any]:
    """One node as a version keeps it, from a ``values()`` row with ``parent__code``."""
    node = {key: row.get(key) for key in NODE_FIELDS if key != "parent"}
    node["code"] = row["code"]
    node["parent"] = row.get("parent__code")
    node["keywords"] = list(row.get("keywords") or [])
    return node


def diff(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> dict[str, list]:
    """What changed from one snapshot to the next: nodes added, removed, and changed (with
    the names of the fields that differ), each list ordered by code."""
    old = {n["code"]: n for n in before}
    new = {n["code"]: n for n in after}
    changed = []
    for code in sorted(old.keys() & new.keys()):
        fields = [f for f in NODE_FIELDS if old[code].get(f) != new[code].get(f)]
        if fields:
            changed.append({"code": code, "name": new[code]["name"], "fields": fields})
    return {
        "added": [new[c] for c in sorted(new.keys() - old.keys())],
        "removed": [old[c] for c in sorted(old.keys() - new.keys())],
        "changed": changed,
    }
