"""热点发现 (detection only, no writes): a cluster is a matter (诉求分类) in one place —
the township when the ticket's place is known that precisely, else its county — with
unusually many tickets in the window ending now: at least ``min_tickets`` and at least
``ratio`` × its usual count per window over the previous 28 days (floored at one).

The counting is done by the database: one GROUP BY over the window (the ``created_at``
index bounds it to the window's rows), then one statement of indexed COUNTs, one per candidate, for their
baseline (category and division-code range on the (category, division, created_at)
index), so detection costs what the window holds, not what the table holds."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import CharField, Count, Q, Value
from django.utils import timezone

BASELINE_DAYS = 28
BASELINE_FLOOR = 1.0
KEYS_PER_QUERY = 100  # SQLite allows 500 SELECTs in one compound statement


@dataclass(frozen=True)
class Cluster:
    """One hotspot: ``count`` tickets of ``category_id`` in ``division_id`` between
    ``window_start`` and ``window_end``, against ``baseline`` per window usually."""

    category_id: int
    division_id: str
    count: int
    baseline: float
    window_start: dt.datetime
    window_end: dt.datetime

    @property
    def ratio(self) -> float:
        return self.count / max(self.baseline, BASELINE_FLOOR)


def place_of(code: str) -> str:
    """Where a ticket counts: its township (9-digit code) when known, else its own
    division (a county, or the city when nothing more precise is known)."""
    return code[:9] if len(code) >= 9 else code


def place_filter(division_id: str) -> Q:
    """Tickets counting towards the place ``division_id``: a township with its villages
    (a code range, so the index serves it), or exactly a county or the city."""
    if len(division_id) >= 9:
        return Q(division_id__gte=division_id, division_id__lte=division_id + "999")
    return Q(division_id=division_id)


def window_bounds(now: dt.datetime, hours: int) -> tuple[dt.datetime, dt.datetime]:
    """The window ending ``now``, its start floored to the hour (so re-runs within an
    hour name the same window)."""
    start = (now - dt.timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    return start, now


def _grouped(qs) -> dict[tuple[int, str], int]:
    out: dict[tuple[int, str], int] = defaultdict(int)
    rows = qs.values_list("category_id", "division_id").annotate(n=Count("id")).order_by()
    for category_id, division_id, n in rows:
        out[(category_id, place_of(division_id))] += n
    return out


def window_counts(start: dt.datetime, end: dt.datetime) -> dict[tuple[int, str], int]:
    """Tickets per (category, place) created in [start, end) — one GROUP BY."""
    from yiwang.hotline.models import Ticket

    qs = Ticket.objects.filter(created_at__gte=start, created_at__lt=end, category_id__isnull=False)
    return _grouped(qs)


def key_counts(
    keys: list[tuple[int, str]], start: dt.datetime, end: dt.datetime
) -> dict[tuple[int, str], int]:
    """Tickets per (category, place) in [start, end) for the given keys only: one
    statement, a UNION ALL of one COUNT per key, each a seek on the (category, division,
    created_at) index (an OR of the keys lets SQLite skip through the whole index)."""
    from yiwang.hotline.models import Ticket

    out = {key: 0 for key in keys}
    for i in range(0, len(keys), KEYS_PER_QUERY):
        parts = [
            Ticket.objects.filter(
                place_filter(division_id),
                category_id=category_id,
                created_at__gte=start,
                created_at__lt=end,
            )
            .values("category_id")
            .annotate(place=Value(division_id, output_field=CharField()), n=Count("id"))
            .values_list("category_id", "place", "n")
            .order_by()
            for category_id, division_id in keys[i : i + KEYS_PER_QUERY]
        ]
        qs = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for category_id, division_id, n in qs:
            out[(category_id, division_id)] = n
    return out


def detect_hotspots(
    now: dt.datetime | None = None,
    window_hours: int | None = None,
    min_tickets: int | None = None,
    ratio: float | None = None,
) -> list[Cluster]:
    """热点: (category, place) keys whose count in the window ending ``now`` is at least
    ``min_tickets`` and ``ratio`` × the usual count per window (average over the previous
    28 days, floored at 1), most unusual first. Defaults come from the settings
    (YIWANG["HOTLINE_HOTSPOT_*"])."""
    cfg = settings.YIWANG
    now = now or timezone.now()
    hours = int(window_hours or cfg.get("HOTLINE_HOTSPOT_WINDOW_HOURS", 24))
    least = int(min_tickets or cfg.get("HOTLINE_HOTSPOT_MIN_TICKETS", 10))
    factor = float(ratio if ratio is not None else cfg.get("HOTLINE_HOTSPOT_RATIO", 3.0))
    start, end = window_bounds(now, hours)
    counts = {k: n for k, n in window_counts(start, end).items() if n >= least}
    if not counts:
        return []
    base = key_counts(sorted(counts), start - dt.timedelta(days=BASELINE_DAYS), start)
    span_hours = (end - start).total_seconds() / 3600
    windows = BASELINE_DAYS * 24 / span_hours
    clusters = []
    for (category_id, division_id), n in counts.items():
        baseline = base.get((category_id, division_id), 0) / windows
        if n >= factor * max(baseline, BASELINE_FLOOR):
            clusters.append(Cluster(category_id, division_id, n, round(baseline, 3), start, end))
    clusters.sort(key=lambda c: (-c.ratio, -c.count, c.category_id, c.division_id))
    return clusters
