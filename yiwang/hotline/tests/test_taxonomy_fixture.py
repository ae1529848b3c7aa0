"""The shipped 诉求分类 (``fixtures/taxonomy.json``), leaf by leaf: every 小类 has a name in
both languages, a description, at least ten keywords and a handling line the demo city
has a department for (so 派单 always finds one); codes are unique and nest by two digits;
every old code is replaced exactly once."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from yiwang.hotline import taxonomy

DEPARTMENTS = taxonomy.FIXTURES.parent.parent / "core" / "data" / "departments.json"
DATA = taxonomy.read()
NODES = DATA["nodes"]
CODES = {n["code"]: n for n in NODES}
LEAVES = [n for n in NODES if len(n["code"]) == taxonomy.LEAF_DIGITS]
CITY_LINES = {d["line"] for d in json.loads(DEPARTMENTS.read_text("utf-8"))["city"]}
MIN_KEYWORDS = 10


@pytest.mark.parametrize("leaf", LEAVES, ids=[n["code"] for n in LEAVES])
def test_every_leaf_is_complete(leaf):
    assert leaf["name"].strip() and leaf["name_en"].strip(), "名称 and English name"
    assert leaf["description"].strip(), "说明"
    assert len(leaf["name"]) <= 60 and len(leaf["name_en"]) <= 160
    assert len(leaf["description"]) <= 500 and len(leaf.get("description_en", "")) <= 1000
    words = [w for w in leaf["keywords"] if w.strip()]
    assert len(set(words)) >= MIN_KEYWORDS, f"{len(set(words))} keywords"
    assert all(len(w) <= 30 for w in words)
    assert leaf["line"] in CITY_LINES, f"no city department for line {leaf['line']}"
    parent = CODES[leaf["parent"]]
    assert leaf["code"][:4] == parent["code"] and len(parent["code"]) == 4
    assert CODES[parent["parent"]]["code"] == leaf["code"][:2]


def test_codes_are_unique_and_every_level_is_there():
    counts = Counter(n["code"] for n in NODES)
    assert not [c for c, k in counts.items() if k > 1]
    levels = Counter(len(n["code"]) for n in NODES)
    assert levels[2] == 16 and levels[4] > 0 and levels[6] >= levels[4]
    groups = {n["code"] for n in NODES if len(n["code"]) == 4}
    assert groups == {n["parent"] for n in LEAVES}, "every 中类 has a leaf"
    assert all(n["line"] in CITY_LINES for n in NODES)


def test_every_old_code_is_replaced_exactly_once():
    old = json.loads(taxonomy.OLD_FILE.read_text("utf-8"))
    replaced = Counter(code for n in LEAVES for code in n.get("replaces", []))
    assert {r["code"] for r in old if r.get("parent")} == set(replaced)
    assert max(replaced.values()) == 1


@pytest.mark.django_db
def test_routing_finds_a_department_for_every_leaf(city):
    """派单 of a ticket of each leaf in 武陟县城关镇: a department (the county's, else the
    city's) for all of them — a line nobody handles would leave tickets unrouted."""
    from yiwang.core.models import Division
    from yiwang.hotline.models import Category
    from yiwang.hotline.routing import route

    township = Division.objects.get(code="410823001")
    leaves = Category.objects.filter(code__in=[n["code"] for n in LEAVES]).select_related("parent")
    assert len(leaves) == len(LEAVES)
    unrouted = [c.code for c in leaves if route(c, township) is None]
    assert not unrouted
