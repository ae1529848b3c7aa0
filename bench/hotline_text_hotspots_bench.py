"""12345 热点 by content at city scale: clustering a month of tickets by content and place
(``yiwang.hotline.hotspots_content``), in seconds, as the month grows from a third of a
city's volume to all of it (30,000 → 90,000 tickets in the window: 1,000 → 3,000 a day;
``--quick``: 3,000 → 9,000) — against reading the window's signatures, measured in the
same run (the floor of any method that looks at every ticket once);
``ratio`` = detection seconds / read seconds. An all-pairs comparison (what a quadratic
method would cost) is timed on 2,000 tickets and scaled by the number of pairs, for
comparison. Also the cost of signing tickets (内容签名, done at intake or in batch).

Tickets: one of 36 everyday matters in one of about 1,500 compounds on 40 roads of the
city's townships, with a filler phrase; a month of them spread evenly. Among them, ten
neighbours of one compound complain in their own words about one restaurant's smoke
and noise over three weeks: the hotspot to find (``found`` says whether exactly those
ten made one cluster). Rows go in by raw ``executemany``, signatures by the batch path
(``index_missing``) — setup, timed apart."""

from __future__ import annotations

import datetime as dt
import os
import random
import time

from bench.common import median_seconds, result

REPEAT = 3
ROADS = [f"{a}{b}路" for a in "建设人民解放民主塔南丰收中原山阳" for b in ("东", "西", "南", "北")]
SYLLABLES = "锦华丰泽康乐幸福金桂阳光太极龙翔新华东方永威怡馨翠竹碧水御景书香名门鑫苑"
SUFFIXES = ["小区", "花园", "家园", "苑", "新村", "公寓"]
FILLER = ["希望尽快处理", "影响生活", "已经好几天了", "请相关部门核实", "多次反映未解决", ""]
NEIGHBOURS = [
    "我是{c}5号楼的住户，楼下川味饭庄每天中午和晚上炒菜，油烟顺着墙往上飘，窗户不敢开。",
    "{c}北门饭店的排风扇半夜还在响，嗡嗡的吵得人睡不着。",
    "{c}门口的烧烤摊天天摆到凌晨两三点，喝酒划拳声音大，炭火烟熏得楼上没法住。",
    "住{c}一楼，隔壁饭馆的抽油烟机管子对着卧室，白天烟熏晚上轰隆隆地响。",
    "第三次打电话了！{c}那个川味饭庄把桌子摆到人行道上卖夜宵，油烟和吵闹没人管。",
    "{c}南侧商铺改成饭店，排烟管道从二楼窗下直排，晚上门口还加了烧烤，鼓风机开到夜里一两点。",
    "{c}底商餐馆排烟管直排，没装净化，味道呛人。",
    "孩子马上中考了，晚上十一点以后{c}楼下还在烤串，鼓风机和吆喝声一直不停。",
    "{c}临街铺面改成饭庄以后，后厨风机的噪音很大，晚上十点以后也不停。",
    "建议对{c}周边餐饮店的油烟和噪声进行整治，居民楼底下不应该开烧烤店。",
]


def _context():
    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.models import Division
    from yiwang.hotline.models import Category

    do_seed_org(actor=None, townships=True)
    towns = list(
        Division.objects.filter(level="township", path__startswith="/410800/")
        .order_by("code")
        .values_list("code", "name")
    )
    leaves = list(Category.objects.filter(children__isnull=True).order_by("code"))
    rnd = random.Random(7)
    compounds = sorted(
        {rnd.choice(SYLLABLES) + rnd.choice(SYLLABLES) + rnd.choice(SUFFIXES) for _ in range(2000)}
    )
    return towns, leaves, compounds


def _insert(n: int, start: dt.datetime, end: dt.datetime, ctx, offset: int) -> None:
    """``n`` everyday tickets spread evenly over [start, end), raw executemany."""
    from django.db import connection, transaction

    from yiwang.hotline.models import Ticket

    towns, leaves, compounds = ctx
    rnd = random.Random(offset + 1)
    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    cols = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    sql = f"INSERT INTO {Ticket._meta.db_table} ({cols}) VALUES ({', '.join(['%s'] * len(fields))})"
    template = [f.get_default() for f in fields]
    pos = {f.attname: i for i, f in enumerate(fields)}
    template[pos["channel"]], template[pos["kind"]] = "phone", "complaint"
    template[pos["query_code"]] = "000000"
    adapt = connection.ops.adapt_datetimefield_value
    matters = [
        (c.pk, [m for m in (c.description or c.name).split("、") if m] or [c.name]) for c in leaves
    ]
    step = (end - start) / n
    rows = []
    for i in range(n):
        cat, matter = matters[rnd.randrange(len(matters))]
        code, name = towns[rnd.randrange(len(towns))]
        text = f"{name}{rnd.choice(ROADS)}{rnd.choice(compounds)}{rnd.choice(matter)}，"
        text += rnd.choice(FILLER)
        row = template.copy()
        row[pos["number"]] = f"X{offset + i:09d}"
        row[pos["title"]], row[pos["content"]] = text[:30], text
        row[pos["category_id"]], row[pos["division_id"]] = cat, code
        row[pos["created_at"]] = adapt(start + step * i)
        rows.append(row)
    with transaction.atomic(), connection.cursor() as cur:
        for lo in range(0, len(rows), 20_000):
            cur.executemany(sql, rows[lo : lo + 20_000])


def _neighbours(now: dt.datetime, ctx, offset: int) -> set[int]:
    from yiwang.hotline.models import Ticket

    towns, leaves, _compounds = ctx
    rows = Ticket.objects.bulk_create(
        Ticket(
            number=f"N{offset + i:06d}",
            channel="phone",
            kind="complaint",
            title=text.format(c="丰泽园小区")[:30],
            content=text.format(c="丰泽园小区"),
            category=leaves[(i * 7) % len(leaves)],
            division_id=towns[0][0] if i % 2 else "410802",
            query_code="000000",
            created_at=now - dt.timedelta(days=21) + i * dt.timedelta(days=2.2),
        )
        for i, text in enumerate(NEIGHBOURS)
    )
    return {t.pk for t in rows}


def _all_pairs_seconds(docs, sample: int = 2000) -> float:
    """Seconds an all-pairs comparison of ``docs`` would take: timed on ``sample`` of
    them and scaled by the number of pairs."""
    from yiwang.hotline.hotspots_content import linked

    part = docs[:sample]
    t = time.perf_counter()
    for i, a in enumerate(part):
        for b in part[i + 1 :]:
            linked(a, b)
    took = time.perf_counter() - t
    pairs = len(part) * (len(part) - 1) / 2
    return took * (len(docs) * (len(docs) - 1) / 2) / pairs


def _measure(now: dt.datetime, mine: set[int]) -> dict:
    from yiwang.hotline import hotspots_content as hc

    start = now - dt.timedelta(days=30)
    docs = hc.load(start, now)
    found = hc.detect_content_hotspots(now)
    ours = [c for c in found if mine & set(c.tickets)]
    pairs = hc.candidate_pairs(docs)
    return {
        "tickets": len(docs),
        "clusters": len(found),
        "found": len(ours) == 1 and set(ours[0].tickets) == mine,
        "candidate_pairs": len(pairs),
        "detect_s": median_seconds(lambda: hc.detect_content_hotspots(now), REPEAT),
        "read_s": median_seconds(lambda: hc.load(start, now), REPEAT),
        "all_pairs_s": _all_pairs_seconds(docs),
    }


def _sign(now: dt.datetime) -> tuple[int, float]:
    from yiwang.hotline.actions.hotspots import index_missing

    t = time.perf_counter()
    n = index_missing(now - dt.timedelta(days=31), now + dt.timedelta(seconds=1))
    return n, time.perf_counter() - t


def measure(small: int, large: int) -> dict:
    """A month of ``small`` tickets, measured; more tickets in the same month up to
    ``large``, measured again."""
    from django.db import connection
    from django.utils import timezone

    ctx = _context()
    now = timezone.now().replace(microsecond=0)
    start = now - dt.timedelta(days=30)
    _insert(small - len(NEIGHBOURS), start, now, ctx, 0)
    mine = _neighbours(now, ctx, 0)
    signed, sign_s = _sign(now)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    first = _measure(now, mine)
    first.update(signed=signed, sign_s=sign_s)
    _insert(large - small, start, now, ctx, small)
    signed, sign_s = _sign(now)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    second = _measure(now, mine)
    second.update(signed=signed, sign_s=sign_s)
    return {"vendor": connection.vendor, "small": first, "large": second}


def run(quick: bool = False) -> list[dict]:
    small = 3_000 if quick else int(os.environ.get("BENCH_TEXT_HOTSPOT_SMALL", "30000"))
    large = 9_000 if quick else int(os.environ.get("BENCH_TEXT_HOTSPOT_LARGE", "90000"))
    m = measure(small, large)
    v = m["vendor"]
    out = []
    for size in ("small", "large"):
        r = m[size]
        out.append(
            result(
                f"text_hotspot_detect_{r['tickets']}_{v}",
                r["detect_s"],
                "s",
                r["read_s"],
                "read_window_signatures_s",
                tickets=r["tickets"],
                clusters=r["clusters"],
                found=r["found"],
                candidate_pairs=r["candidate_pairs"],
                all_pairs_estimate_s=round(r["all_pairs_s"], 1),
            )
        )
        out.append(
            result(
                f"text_hotspot_sign_{r['tickets']}_{v}",
                r["signed"] / r["sign_s"],
                "tickets/s",
                None,
                signed=r["signed"],
            )
        )
    s, g = m["small"], m["large"]
    out.append(
        result(
            f"text_hotspot_growth_{v}",
            g["detect_s"] / s["detect_s"],
            "x",
            g["tickets"] / s["tickets"],
            "window_growth_x",
            pairs_growth=round(g["candidate_pairs"] / max(1, s["candidate_pairs"]), 2),
        )
    )
    return out
