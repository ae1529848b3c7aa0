"""诉求分类 training corpus from government text the platform holds, no citizen labels.

Run ``python -m tools.hotline_classifier.corpus [--taxonomy FILE]`` from the repository
(``make classifier`` runs it before training). Deterministic; writes
``yiwang/hotline/model/corpus.csv`` (columns ``text,leaf,weight,source,split``), which
ships with the app because the platform retrains on it plus agents' labels.

Sources, each row weighted (then every leaf is balanced to the same total in training):

* ``taxonomy`` — each leaf's name with its 中类 and 大类 names, its description
  (``fixtures/taxonomy.json``, modelled on GB/T 39666-2020); ``keywords`` — its
  keywords and synonyms, alone and in small groups; ``example`` — its example messages;
  one example in three (by hash) is kept aside as the development split (``split=dev``)
  that chooses the keyword weight and the temperature;
* ``service`` — 政务服务事项 of the services room (``services/fixtures/items.json``):
  names, keywords, business items, conditions and materials, each item put on the leaf
  whose keywords its text matches best (its department line breaks ties);
* ``knowledge`` — the 知识库 answers (``hotline/demo_knowledge.py``): question, keywords
  and answer, on the leaf that replaces the entry's old category;
* ``real`` — the real-style development messages (``dev_real.csv``: citizens' words,
  labelled with 大类 and 中类), each on the leaf of its 中类 fixed in
  ``dev_real_leaves.csv`` (the leaf a model that never saw the set scored highest);
  cross-validated on before it was added (``crossval.py``);
* ``template`` — the old synthetic template corpus (``training.csv``), remapped to the
  new leaves through each leaf's ``replaces``, a few rows per old category and a low
  weight, so templates do not dominate.
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

from tools.hotline_classifier.make_corpus import TRAINING_PATH
from yiwang.hotline import classify as runtime

ROOT = Path(__file__).resolve().parents[2]
TAXONOMY = ROOT / "yiwang" / "hotline" / "fixtures" / "taxonomy.json"
ITEMS = ROOT / "yiwang" / "services" / "fixtures" / "items.json"
KNOWLEDGE = ROOT / "yiwang" / "hotline" / "demo_knowledge.py"
OUTPUT = runtime.CORPUS_PATH
REAL = Path(__file__).resolve().parent / "dev_real.csv"
REAL_LEAVES = REAL.with_name("dev_real_leaves.csv")
SEED = 12345
TEMPLATES_PER_OLD = 12  # template rows kept per old category
# Service items whose words match a leaf only loosely, put on their leaf by name (checked
# by hand against the taxonomy; an unknown name falls back to keyword matching).
ITEM_LEAVES = {
    "不动产登记": "转移变更与抵押登记",
    "城镇污水排入排水管网许可": "井盖与排水设施",
}
WEIGHTS = {
    "taxonomy": 2.0,
    "keyword": 0.5,
    "keywords": 1.0,
    "example": 3.0,
    "service": 1.0,
    "knowledge": 1.5,
    "template": 0.5,
    "real": 3.0,
}


def _stable(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def load_taxonomy(path: Path = TAXONOMY) -> tuple[dict[str, dict], list[dict[str, Any]]]:
    """(nodes by code, leaves) of a taxonomy fixture (``{format, standards, nodes}``)."""
    nodes = {str(n["code"]): n for n in json.loads(path.read_text(encoding="utf-8"))["nodes"]}
    leaves = [n for code, n in sorted(nodes.items()) if len(code) == 6]
    return nodes, leaves


def leaf_keywords(leaves: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each leaf's matching terms: its keywords and its own name (as the platform does)."""
    return {n["code"]: runtime.terms(n.get("name", ""), n.get("keywords") or []) for n in leaves}


def taxonomy_rows(nodes, leaves) -> list[tuple[str, str, str, str]]:
    """(text, leaf, source, split) rows of the leaves' own words."""
    out = []
    for n in leaves:
        code = n["code"]
        mid, top = nodes.get(code[:4], {}), nodes.get(code[:2], {})
        out.append(
            (f"{top.get('name', '')} {mid.get('name', '')} {n['name']}", code, "taxonomy", "train")
        )
        if n.get("description"):
            out.append((f"{n['name']}：{n['description']}", code, "taxonomy", "train"))
        words = [w for w in n.get("keywords") or [] if w]
        out += [(w, code, "keyword", "train") for w in words]
        rng = random.Random(f"{SEED}{code}")
        shuffled = words[:]
        rng.shuffle(shuffled)
        out += [
            ("，".join(shuffled[i : i + 4]), code, "keywords", "train")
            for i in range(0, len(shuffled), 4)
        ]
        examples = [e for e in n.get("examples") or [] if e]
        for e in examples:
            dev = len(examples) >= 3 and _stable(e) % 3 == 0
            out.append((e, code, "example", "dev" if dev else "train"))
    return out


def _item_text(item: dict[str, Any]) -> str:
    parts = [item.get("name", ""), item.get("keywords", "")]
    parts += [c.get("name", "") for c in item.get("children", [])]
    return " ".join(p for p in parts if p)


def map_item(
    item: dict[str, Any],
    index: runtime.KeywordIndex,
    lines: dict[str, str],
    names: dict[str, str] | None = None,
) -> str | None:
    """The leaf a service item belongs to: the one named in ITEM_LEAVES, else the best
    keyword match of its name, keywords and business items (a leaf of the item's own
    department line wins a near tie)."""
    names = names or {}
    named = names.get(ITEM_LEAVES.get(item.get("name", ""), ""))
    if named:
        return named
    scores = index.scores(runtime.normalise(_item_text(item)))
    if not scores:
        return None
    line = item.get("line")
    return max(scores, key=lambda c: (scores[c] + (0.5 if lines.get(c) == line else 0.0), c))


def service_rows(leaves, path: Path = ITEMS) -> list[tuple[str, str, str, str]]:
    """Rows from the service items' names, conditions and materials (办事指南)."""
    index = runtime.KeywordIndex(leaf_keywords(leaves))
    lines = {n["code"]: n.get("line", "") for n in leaves}
    names = {n["name"]: n["code"] for n in leaves}
    out = []
    for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
        code = map_item(item, index, lines, names)
        if code is None:
            continue
        out.append((_item_text(item), code, "service", "train"))
        for child in item.get("children", []):
            if child.get("conditions"):
                out.append((f"{child['name']} {child['conditions']}", code, "service", "train"))
            materials = "、".join(m["name"] for m in child.get("materials", []))
            if materials:
                out.append((f"{child['name']}需要{materials}", code, "service", "train"))
    return out


def knowledge_entries(path: Path = KNOWLEDGE) -> list[tuple]:
    """The knowledge base's ENTRIES, read from the module's source (no Django needed)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if getattr(target, "id", "") == "ENTRIES":
            return list(ast.literal_eval(node.value))  # type: ignore[attr-defined]
    return []


def replacements(leaves) -> dict[str, str]:
    """Old 4-digit category code → the leaf that replaces it."""
    return {old: n["code"] for n in leaves for old in n.get("replaces") or []}


def knowledge_rows(leaves) -> list[tuple[str, str, str, str]]:
    """Rows from the 知识库 questions, keywords and answers."""
    known = {n["code"] for n in leaves}
    remap = replacements(leaves)
    out = []
    for _line, cat, question, answer, keywords, _basis in knowledge_entries():
        code = cat if cat in known else remap.get(cat)
        if code:
            out.append((f"{question} {keywords}", code, "knowledge", "train"))
            out.append((answer, code, "knowledge", "train"))
    return out


def template_rows(leaves, path: Path = TRAINING_PATH) -> list[tuple[str, str, str, str]]:
    """A few old template rows per old category, on the leaf that replaces it."""
    remap = replacements(leaves)
    by_old: dict[str, list[str]] = {}
    for text, old in runtime.read_rows(path):
        by_old.setdefault(old, []).append(text)
    out = []
    for old in sorted(by_old):
        if old not in remap:
            continue
        texts = by_old[old][:]
        random.Random(f"{SEED}{old}").shuffle(texts)
        out += [(t, remap[old], "template", "train") for t in texts[:TEMPLATES_PER_OLD]]
    return out


def real_rows(leaves) -> list[tuple[str, str, str, str]]:
    """Rows of the real-style development messages on their fixed leaves (those of the
    taxonomy in force only)."""
    known = {leaf["code"] for leaf in leaves}
    with REAL.open(encoding="utf-8", newline="") as f:
        texts = {r["id"]: r["text"] for r in csv.DictReader(f)}
    with REAL_LEAVES.open(encoding="utf-8", newline="") as f:
        pairs = [(r["id"], r["leaf"]) for r in csv.DictReader(f)]
    return [(texts[i], leaf, "real", "train") for i, leaf in pairs if leaf in known]


def build(taxonomy: Path = TAXONOMY) -> list[tuple[str, str, float, str, str]]:
    """Every corpus row: (text, leaf, weight, source, split)."""
    nodes, leaves = load_taxonomy(taxonomy)
    rows = taxonomy_rows(nodes, leaves) + service_rows(leaves) + knowledge_rows(leaves)
    rows += template_rows(leaves) + real_rows(leaves)
    return [
        (t.strip(), code, WEIGHTS[src], src, split) for t, code, src, split in rows if t.strip()
    ]


def write(rows, path: Path = OUTPUT) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "leaf", "weight", "source", "split"])
        w.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hotline_classifier.corpus")
    parser.add_argument("--taxonomy", type=Path, default=TAXONOMY)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    rows = build(args.taxonomy)
    write(rows, args.output)
    by_source = Counter(r[3] for r in rows)
    print(
        f"{args.output.name}: {len(rows)} rows, {len({r[1] for r in rows})} leaves, {dict(by_source)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
