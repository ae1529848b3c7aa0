"""The migration from the flat 诉求分类 to the three-level taxonomy on a database holding
the old tree: the schema is taken back to before the data migration, the old tree is
loaded with tickets, a predicted category, a knowledge entry, routing rules and hotspot
alerts on its codes, and the migrations run forward — everything then points at the
leaves replacing the old codes, the old rows are gone and version 1 keeps the mapping."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from yiwang.hotline import taxonomy

BEFORE = [("hotline", "0008_taxonomy_version")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _leaves() -> list[tuple[str, str]]:
    graph = MigrationExecutor(connection).loader.graph
    return [node for node in graph.leaf_nodes() if node[0] == "hotline"]


def _old_tree():
    """The flat tree as the old fixture shipped it (the current tables, the schema being
    the same before the data migration)."""
    from yiwang.hotline.models import Category, TaxonomyVersion

    TaxonomyVersion.objects.all().delete()
    for depth in (6, 4, 2):  # children first (the parent is protected)
        Category.objects.filter(code__regex=rf"^\d{{{depth}}}$").delete()
    rows = {}
    for row in json.loads(taxonomy.OLD_FILE.read_text("utf-8")):
        rows[row["code"]] = Category.objects.create(
            code=row["code"],
            name=row["name"],
            name_en=row.get("name_en", ""),
            parent=rows.get(row.get("parent")),
            line=row.get("line", ""),
        )
    return rows


def _same_target(mapping: dict[str, str]) -> list[str]:
    """Two old codes replaced by the same new node (their rules collide after the move)."""
    by_target = defaultdict(list)
    for old, new in sorted(mapping.items()):
        by_target[new].append(old)
    return next(olds[:2] for olds in by_target.values() if len(olds) > 1)


@pytest.mark.django_db(transaction=True)
def test_old_codes_move_to_the_leaves_replacing_them(city, agent):
    from yiwang.hotline.actions.knowledge import do_save_entry
    from yiwang.hotline.actions.tickets import do_take_ticket
    from yiwang.hotline.models import (
        Category,
        HotspotAlert,
        KnowledgeEntry,
        RoutingRule,
        TaxonomyVersion,
        Ticket,
    )

    mapping = taxonomy.old_mapping()
    olds = ["0101", "0301", "0402", "1302"]
    first, second = _same_target(mapping)
    now = timezone.now()
    try:
        _migrate(BEFORE)
        old = _old_tree()
        tickets = {
            code: do_take_ticket(
                actor=agent,
                channel="phone",
                kind="complaint",
                content=f"旧分类 {code} 的诉求",
                category=code,
                address="武陟县城关镇建设路 12 号",
                contact_name="李女士",
                contact_phone="13912345678",
            ).pk
            for code in olds
        }
        Ticket.objects.filter(pk=tickets["0101"]).update(predicted_category=old["0105"])
        entry = do_save_entry(
            actor=None,
            department=city.department("410800", "housing"),
            question="暖气不热找谁？",
            answer="找供热公司。",
            category=old["0103"],
        )
        for code in (first, second):
            RoutingRule.objects.create(
                category=old[code],
                division=city.wuzhi,
                department=city.department("410823", "housing"),
            )
        for code in (first, second):
            HotspotAlert.objects.create(
                category=old[code],
                division=city.wuzhi,
                window_start=now - dt.timedelta(hours=6),
                window_end=now,
                count=9,
                baseline=1.0,
            )
        assert not Category.objects.filter(code__regex=r"^\d{6}$").exists()
    finally:
        _migrate(_leaves())

    for code, pk in tickets.items():
        assert Ticket.objects.get(pk=pk).category.code == mapping[code]
    assert Ticket.objects.get(pk=tickets["0101"]).predicted_category.code == mapping["0105"]
    assert KnowledgeEntry.objects.get(pk=entry.pk).category.code == mapping["0103"]
    target = mapping[first]
    assert RoutingRule.objects.filter(category__code=target, division=city.wuzhi).count() == 1
    assert HotspotAlert.objects.filter(category__code=target, division=city.wuzhi).count() == 1
    assert not Category.objects.filter(code__startswith="old-").exists()
    nodes = taxonomy.read()["nodes"]
    assert sorted(Category.objects.values_list("code", flat=True)) == sorted(
        n["code"] for n in nodes
    )
    version = TaxonomyVersion.objects.get(number=1)
    assert version.mapping == mapping and len(version.snapshot) == len(nodes)
    assert Category.objects.get(code=mapping["0101"]).active
