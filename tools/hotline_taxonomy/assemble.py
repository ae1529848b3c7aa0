"""诉求分类 fixture assembly: the fixed upper levels (``skeleton.txt``: 大类 and 中类 with
their default handling line) and the leaves (小类) written as JSON arrays (``leaves/*.json``)
become ``yiwang/hotline/fixtures/taxonomy.json``, the one file the platform loads.

Checks on the way, so a broken tree never ships: every leaf has a known 中类 parent and a
code that extends it by two digits, no code twice, every old category code (the flat
tree's ``categories.json``) replaced by exactly one leaf.

Run ``python -m tools.hotline_taxonomy.assemble [leaf files…]`` from the repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SKELETON = HERE / "skeleton.txt"
LEAVES = HERE / "leaves"
FIXTURE = ROOT / "yiwang" / "hotline" / "fixtures" / "taxonomy.json"
OLD = ROOT / "yiwang" / "hotline" / "fixtures" / "categories.json"
STANDARDS = (
    "GB/T 39666-2020 政府热线服务分类与代码; DB44/T 2479-2024; DB1501/T 0032-2023 "
    "12345政务服务便民热线诉求分类与代码"
)
LEAF_FIELDS = ("name", "name_en", "description", "description_en", "keywords", "examples")


def read_skeleton(path: Path = SKELETON) -> list[dict[str, Any]]:
    """大类 and 中类 nodes of ``skeleton.txt`` (``code name | English | line`` lines)."""
    nodes = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        head, name_en, line = (p.strip() for p in raw.split("|"))
        code, name = head.split(maxsplit=1)
        parent = code[:2] if len(code) == 4 else None
        nodes.append(
            {"code": code, "parent": parent, "name": name, "name_en": name_en, "line": line}
        )
    return nodes


def _leaf(raw: dict[str, Any], upper: dict[str, dict[str, Any]]) -> dict[str, Any]:
    code, parent = str(raw["code"]), str(raw["parent"])
    if parent not in upper or len(parent) != 4 or len(code) != 6 or code[:4] != parent:
        raise ValueError(f"leaf {code}: bad parent {parent}")
    node = {"code": code, "parent": parent, "line": raw.get("line") or upper[parent]["line"]}
    for key in LEAF_FIELDS:
        node[key] = raw.get(key) or ([] if key in ("keywords", "examples") else "")
    node["keywords"] = list(dict.fromkeys(w.strip() for w in node["keywords"] if w.strip()))
    node["replaces"] = [str(c) for c in raw.get("replaces", [])]
    return node


def assemble(leaf_files: list[Path]) -> dict[str, Any]:
    """The fixture dict; raises ValueError on a tree that does not hold together."""
    upper = {n["code"]: n for n in read_skeleton()}
    leaves: dict[str, dict[str, Any]] = {}
    for path in leaf_files:
        for raw in json.loads(path.read_text(encoding="utf-8")):
            leaf = _leaf(raw, upper)
            if leaf["code"] in leaves:
                raise ValueError(f"leaf {leaf['code']} twice")
            leaves[leaf["code"]] = leaf
    old = [c["code"] for c in json.loads(OLD.read_text(encoding="utf-8")) if c.get("parent")]
    replaced = [c for leaf in leaves.values() for c in leaf["replaces"]]
    missing = sorted(set(old) - set(replaced))
    twice = sorted({c for c in replaced if replaced.count(c) > 1})
    if missing or twice:
        raise ValueError(f"old codes not replaced: {missing}; replaced twice: {twice}")
    nodes = list(upper.values()) + sorted(leaves.values(), key=lambda n: n["code"])
    return {"format": "yiwang.hotline.taxonomy/1", "standards": STANDARDS, "nodes": nodes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    files = args.files or sorted(LEAVES.glob("*.json"))
    try:
        data = assemble(files)
    except ValueError as exc:
        print(f"taxonomy: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    FIXTURE.write_text(text, encoding="utf-8")
    leaves = sum(1 for n in data["nodes"] if len(n["code"]) == 6)
    print(f"{FIXTURE.name}: {len(data['nodes'])} nodes, {leaves} leaves")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
