"""12345 热点发现 at city scale: hotspot detection over 100,000 and then 1,000,000
tickets (SQLite), in seconds, and how it grows — against a full-table GROUP BY over the
same table measured in the same run (what detection would cost if it read everything);
``ratio`` = detection seconds / full-scan seconds. Also 相似工单 latency beside the
agent's form (median milliseconds per search).

The tickets arrive at a steady ~2,740 a day (a city of 1 M tickets a year): the first
100,000 cover the latest 36½ days; the next 900,000 are the older days of the year, so
the 1 M table has the same recent days as the 100 k one and ten times the history —
exactly what a growing table looks like. A burst of 30 tickets of one matter in one
township in the last five hours is the hotspot to find. Rows go in with raw
``executemany`` (setup, not timed). ``--quick``: 10,000 then 100,000.

Reported per size: ``detect`` (the whole detection), ``window`` (the GROUP BY over the
24 h window), ``baseline`` (the 28-day baseline of the window's 40 busiest places —
detection itself only needs the candidates'), ``full_scan`` (GROUP BY over every row),
and the growth of each from the small to the large table."""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time

from bench.common import median_seconds, result

PER_DAY = 2740
BURST = 30
REPEAT = 5
ROADS = ["建设路", "人民路", "解放路", "民主路", "塔南路", "丰收路", "中原路", "山阳路"]
FILLER = ["希望尽快处理", "影响出行", "已经好几天了", "请相关部门核实", "多次反映未解决", ""]


def _context():
    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.models import Division
    from yiwang.hotline.models import Category

    do_seed_org(actor=None, townships=True)
    places = list(
        Division.objects.filter(level__in=["township", "county"], path__startswith="/410800/")
        .order_by("code")
        .values_list("code", "name")
    )
    towns = [p for p in places if len(p[0]) == 9]
    counties = [p for p in places if len(p[0]) == 6]
    leaves = list(Category.objects.filter(parent__isnull=False).order_by("code"))
    return towns, counties, leaves


def _insert(n: int, start: dt.datetime, end: dt.datetime, seed: int, ctx, offset: int) -> None:
    """``n`` tickets spread evenly over [start, end), raw executemany in batches."""
    from django.db import connection, transaction

    from yiwang.hotline.models import Ticket

    towns, counties, leaves = ctx
    rnd = random.Random(seed)
    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {Ticket._meta.db_table} ({cols}) VALUES ({marks})"
    template = [f.get_default() for f in fields]
    pos = {f.attname: i for i, f in enumerate(fields)}
    template[pos["channel"]] = "phone"
    template[pos["kind"]] = "complaint"
    template[pos["query_code"]] = "000000"
    p_number, p_title, p_content = pos["number"], pos["title"], pos["content"]
    p_cat, p_div, p_at = pos["category_id"], pos["division_id"], pos["created_at"]
    adapt = connection.ops.adapt_datetimefield_value
    step = (end - start) / n
    matters = [
        (c.pk, [m for m in (c.description or c.name).split("、") if m] or [c.name]) for c in leaves
    ]
    places = [p for p in towns for _ in range(9)] + list(counties)  # one in ten county-only
    batch = 20_000
    for lo in range(0, n, batch):
        rows = []
        for i in range(lo, min(n, lo + batch)):
            cat, matter = matters[rnd.randrange(len(matters))]
            code, name = places[rnd.randrange(len(places))]
            text = f"{name}{ROADS[rnd.randrange(8)]}附近{matter[rnd.randrange(len(matter))]}，"
            text += FILLER[rnd.randrange(len(FILLER))]
            row = template.copy()
            row[p_number] = f"B{offset + i:09d}"
            row[p_title] = text[:30]
            row[p_content] = text
            row[p_cat] = cat
            row[p_div] = code
            row[p_at] = adapt(start + step * i)
            rows.append(row)
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, rows)


def _burst(now: dt.datetime, ctx, offset: int) -> None:
    from yiwang.hotline.models import Category, Ticket

    towns = ctx[0]
    cat = Category.objects.get(code="010301")
    code, name = towns[5]
    Ticket.objects.bulk_create(
        Ticket(
            number=f"BURST{offset + i:06d}",
            channel="phone",
            kind="complaint",
            title="停水",
            content=f"{name}建设路自来水管爆裂，整条街停水（{i}）",
            category=cat,
            division_id=code,
            query_code="000000",
            created_at=now - dt.timedelta(minutes=10 * i + 1),
        )
        for i in range(BURST)
    )


def _measure(now: dt.datetime, ctx) -> dict:
    from django.db.models import Count

    from yiwang.hotline import similarity
    from yiwang.hotline.hotspots import (
        BASELINE_DAYS,
        detect_hotspots,
        key_counts,
        window_bounds,
        window_counts,
    )
    from yiwang.hotline.models import Ticket

    start, end = window_bounds(now, 24)
    counts = window_counts(start, end)
    busiest = sorted(counts, key=lambda k: -counts[k])[:40]
    found = detect_hotspots(now, 24, 10, 3.0)
    out = {
        "tickets": Ticket.objects.count(),
        "window_rows": sum(counts.values()),
        "clusters": len(found),
        "detect_s": median_seconds(lambda: detect_hotspots(now, 24, 10, 3.0)),
        "window_s": median_seconds(lambda: window_counts(start, end)),
        "baseline_s": median_seconds(
            lambda: key_counts(busiest, start - dt.timedelta(days=BASELINE_DAYS), start)
        ),
        "full_scan_s": median_seconds(
            lambda: list(
                Ticket.objects.values_list("category_id", "division_id")
                .annotate(n=Count("id"))
                .order_by()
            ),
            repeat=3,
        ),
    }
    towns = ctx[0]
    queries = [
        (f"{towns[5][1]}建设路自来水管爆了，停水", towns[5][0], None),
        (f"{towns[9][1]}人民路附近井盖丢失，影响出行", towns[9][0], "010403"),
        (f"{towns[14][1]}解放路附近路灯不亮，希望尽快处理", towns[14][0], None),
        ("拖欠工资好几个月了，老板不给", None, None),
    ]
    similarity.words("预热：载入分词词典")  # jieba's dictionary loads once per process
    cold, warm = [], []
    for text, division, category in queries:
        similarity.words.cache_clear()
        t = time.perf_counter()
        similarity.similar_tickets(text, division=division, category=category, now=now)
        cold.append(time.perf_counter() - t)
        warm.append(
            median_seconds(
                lambda text=text, division=division, category=category: similarity.similar_tickets(
                    text, division=division, category=category, now=now
                ),
                repeat=3,
            )
        )
    out["similar_cold_ms"] = statistics.median(cold) * 1000
    out["similar_warm_ms"] = statistics.median(warm) * 1000
    out["similar_max_cold_ms"] = max(cold) * 1000
    return out


def measure(small: int, large: int) -> dict:
    """Build ``small`` recent tickets, measure; add ``large - small`` older ones,
    measure again."""
    from django.db import connection
    from django.utils import timezone

    ctx = _context()
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    day = dt.timedelta(days=1)
    recent_days = small / PER_DAY
    t = time.perf_counter()
    _insert(small, now - recent_days * day, now, 1, ctx, 0)
    _burst(now, ctx, 0)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    first = _measure(now, ctx)
    first["insert_s"] = time.perf_counter() - t
    older = large - small
    t = time.perf_counter()
    _insert(
        older, now - (recent_days + older / PER_DAY) * day, now - recent_days * day, 2, ctx, small
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    second = _measure(now, ctx)
    second["insert_s"] = time.perf_counter() - t
    return {"vendor": connection.vendor, "small": first, "large": second}


def run(quick: bool = False) -> list[dict]:
    small = 10_000 if quick else int(os.environ.get("BENCH_HOTSPOT_SMALL", "100000"))
    large = 100_000 if quick else int(os.environ.get("BENCH_HOTSPOT_LARGE", "1000000"))
    m = measure(small, large)
    v = m["vendor"]
    out = []
    for size in ("small", "large"):
        r = m[size]
        for name in ("detect", "window", "baseline"):
            out.append(
                result(
                    f"hotspot_{name}_{r['tickets']}_{v}",
                    r[f"{name}_s"],
                    "s",
                    r["full_scan_s"],
                    "full_table_group_by_s",
                    tickets=r["tickets"],
                    window_rows=r["window_rows"],
                    clusters=r["clusters"],
                )
            )
        out.append(
            result(
                f"similar_tickets_{r['tickets']}_{v}",
                r["similar_warm_ms"],
                "ms",
                None,
                cold_ms=round(r["similar_cold_ms"], 2),
                max_cold_ms=round(r["similar_max_cold_ms"], 2),
                tickets=r["tickets"],
            )
        )
    s, g = m["small"], m["large"]
    for name in ("detect", "window", "baseline", "full_scan"):
        out.append(
            result(
                f"hotspot_growth_{name}_{v}",
                g[f"{name}_s"] / s[f"{name}_s"],
                "x",
                g["tickets"] / s["tickets"],
                "table_growth",
                small_s=round(s[f"{name}_s"], 5),
                large_s=round(g[f"{name}_s"], 5),
            )
        )
    out.append(
        result(
            f"hotspot_bench_insert_{v}",
            g["tickets"] / (s["insert_s"] + g["insert_s"]),
            "rows/s",
            None,
        )
    )
    return out
