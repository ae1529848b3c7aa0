"""诉求分类 in English: every shipped category carries its English name (and 说明) with the
data, English pages and API answers show it, Chinese ones and stored tickets keep the
Chinese."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from yiwang.hotline import taxonomy
from yiwang.hotline.models import Category

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u3400-\u9fff]")
FULL_WIDTH = re.compile("[，。：；（）「」“”、！？]")
ROWS = [
    {**n, "description": n.get("description", ""), "description_en": n.get("description_en", "")}
    for n in taxonomy.read()["nodes"]
]
OFFERED = [r for r in ROWS if len(r["code"]) > 2]  # 中类 (the groups) and 小类 (the choices)


@pytest.mark.parametrize("row", ROWS, ids=[r["code"] for r in ROWS])
def test_every_category_has_an_english_name(row):
    name = row.get("name_en", "")
    assert name and not CJK.search(name) and not FULL_WIDTH.search(name), row["code"]
    description = row.get("description_en", "")
    assert bool(description) == bool(row["description"]), row["code"]
    assert not CJK.search(description) and not FULL_WIDTH.search(description), row["code"]


def test_loaded_categories_answer_in_the_reader_language():
    loaded = {c.code: c for c in Category.objects.all()}
    assert set(loaded) >= {r["code"] for r in ROWS}
    for row in ROWS:
        c = loaded[row["code"]]
        with translation.override("en"):
            assert c.display_name == row["name_en"]
            assert c.display_description == (row["description_en"] or row["description"])
        with translation.override("zh-hans"):
            assert c.display_name == row["name"]
            assert c.display_description == row["description"]
        assert c.name == row["name"]  # what tickets, statistics and the ledger keep


def test_submit_page_offers_every_category_in_the_reader_language(client, citizen):
    client.force_login(citizen)
    english = client.get("/hotline/submit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get("/hotline/submit/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for row in OFFERED:
        assert row["name_en"] in english.replace("&#x27;", "'"), row["code"]
        assert f">{row['name']}<" not in english and f'"{row["name"]}"' not in english
        assert row["name"] in chinese


def _walk(nodes):
    for node in nodes:
        yield node
        yield from _walk(node["children"])


def test_category_api_answers_in_the_reader_language(client, citizen):
    client.force_login(citizen)
    tree = client.get("/api/v1/hotline/categories", HTTP_ACCEPT_LANGUAGE="en").json()
    english = {r["code"]: r for r in ROWS}
    seen = list(_walk(tree))
    assert {n["code"] for n in seen} == set(english)
    for node in seen:
        row = english[node["code"]]
        assert node["name"] == row["name_en"]
        assert node["description"] == (row["description_en"] or row["description"])
    tree = client.get("/api/v1/hotline/categories", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert {t["name"] for t in tree} == {r["name"] for r in ROWS if not r["parent"]}
