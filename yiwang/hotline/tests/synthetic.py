"""Tickets made directly in test set-up (no intake, no case) for similarity and hotspot
tests: ``make_ticket`` one at a time, ``many`` in one bulk insert."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from yiwang.core.fields import assign_row_ids
from yiwang.hotline.models import Category, Ticket

_numbers = itertools.count(1)


def ticket_row(
    content: str,
    *,
    division: str = "410823001",
    category: str | None = "010403",
    created_at: dt.datetime | None = None,
    title: str = "",
    longitude: float | None = None,
    latitude: float | None = None,
    categories: dict | None = None,
) -> Ticket:
    """An unsaved Ticket: phone complaint, its title the content's opening."""
    cat = None
    if category:
        cat = (categories or {}).get(category) or Category.objects.get(code=category)
    return Ticket(
        number=f"T-{next(_numbers):08d}",
        channel="phone",
        kind="complaint",
        title=title or content[:30],
        content=content,
        division_id=division,
        category=cat,
        longitude=longitude,
        latitude=latitude,
        query_code="000000",
        created_at=created_at or timezone.now(),
    )


def make_ticket(content: str, **kw) -> Ticket:
    t = ticket_row(content, **kw)
    t.save()
    return t


def many(count: int, content: str, *, start: dt.datetime, step: dt.timedelta, **kw) -> list:
    """``count`` tickets of the same matter, one every ``step`` from ``start``."""
    cats = {c.code: c for c in Category.objects.all()}
    rows = [
        ticket_row(f"{content}（{i}）", created_at=start + i * step, categories=cats, **kw)
        for i in range(count)
    ]
    assign_row_ids(rows)  # one query for all (tickets carry encrypted contact fields)
    return Ticket.objects.bulk_create(rows)


def install_taxonomy() -> list[Category]:
    """Put the three-level matter tree of ``fixtures/taxonomy.json`` in force (codes of
    the older tree retired) and return its leaves (小类) in code order."""
    import json
    from pathlib import Path

    from yiwang.hotline import scoring

    path = Path(__file__).resolve().parents[1] / "fixtures" / "taxonomy.json"
    nodes = json.loads(path.read_text(encoding="utf-8"))["nodes"]
    by_code: dict[str, Category] = {}
    for n in sorted(nodes, key=lambda n: len(n["code"])):
        by_code[n["code"]], _ = Category.objects.update_or_create(
            code=n["code"],
            defaults={
                "name": n["name"],
                "parent": by_code.get(n.get("parent") or ""),
                "line": n.get("line", ""),
                "keywords": n.get("keywords", []),
                "active": True,
            },
        )
    Category.objects.exclude(code__in=by_code).update(active=False)
    scoring.invalidate()
    return [c for code, c in sorted(by_code.items()) if len(code) == 6]
