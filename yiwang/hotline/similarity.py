"""相似工单: tickets like a new one in words, place and time — the same pothole reported
by ten callers, or one caller ringing three times — so agents link or merge them.

Text similarity is the cosine over sets of jieba words (folded to simplified script,
stop words dropped); it is scaled by place (within ~500 m, the same township, the same
county) and recency. Candidates come from the database narrowed by the time window,
the county (division codes are hierarchical, so a code range uses the index), the
category when known, the newest few thousand rows of those and a few of the query's
longest words; a quick count of shared words picks the few dozen worth segmenting, so a
search beside the agent's form stays within tens of milliseconds on a large table."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Q
from django.utils import timezone

from yiwang.hotline.knowledge import STOP_WORDS, _jieba, fold

CITY = "410800"
SCAN_ROWS = 5000  # newest tickets of the window looked at, at most
MAX_CANDIDATES = 150  # of those, sharing a key word
SCORED = 40  # of those, sharing most words by a quick count: segmented and scored
PREFILTER_WORDS = 4
TEXT_CHARS = 400  # the opening of a long complaint says what it is about
MIN_TEXT = 0.2  # below this the words have too little in common to list
NEAR_METRES = 500
WEIGHT_BASE, WEIGHT_PLACE, WEIGHT_RECENT = 0.55, 0.35, 0.10
EXTRA_STOP = frozenset(
    "反映 投诉 举报 希望 要求 相关 部门 有关 尽快 处理 解决 市民 来电 咨询 "
    "一直 已经 没有 现在 今天 昨天 附近 这里 那里 非常 严重 问题".split()
)


@lru_cache(maxsize=50_000)
def words(text: str) -> frozenset[str]:
    """The content words of a ticket text: folded, jieba-cut, stop words, single
    characters and numbers dropped."""
    folded = fold(text[:TEXT_CHARS])
    out = set()
    for w in _jieba().lcut(folded, HMM=False):
        w = w.strip()
        if len(w) < 2 or w in STOP_WORDS or w in EXTRA_STOP or w.isdigit():
            continue
        if any(ch.isalnum() for ch in w):
            out.add(w)
    return frozenset(out)


def text_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Cosine over word sets: shared words / √(|a|·|b|), 0–1."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Distance between two WGS84 points (equirectangular; exact enough within a city)."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    dx = (lon2 - lon1) * k * 111_320
    dy = (lat2 - lat1) * 110_574
    return math.hypot(dx, dy)


def county_of(code: str | None) -> str | None:
    """The county-level code of a division code (GB/T 2260 codes are hierarchical);
    None for the city itself or no code."""
    if not code or len(code) < 6 or code[:6] == CITY:
        return None
    return code[:6]


def township_of(code: str | None) -> str | None:
    """The township-level code (9 digits) of a township or village code, else None."""
    if not code or len(code) < 9:
        return None
    return code[:9]


def place_score(
    division: str | None,
    lon: float | None,
    lat: float | None,
    other_division: str | None,
    other_lon: float | None,
    other_lat: float | None,
) -> float:
    """1 within ~500 m or in the same township, 0.8 when the township is the same but the
    points are farther apart, 0.4 in the same county, else 0."""
    near = None
    if lon is not None and lat is not None and other_lon is not None and other_lat is not None:
        near = metres(lon, lat, other_lon, other_lat) <= NEAR_METRES
        if near:
            return 1.0
    town = township_of(division)
    if town and town == township_of(other_division):
        return 0.8 if near is False else 1.0
    county = county_of(division)
    if county and county == county_of(other_division):
        return 0.4
    return 0.0


def _subtree(qs, code: str):
    """Tickets in the division ``code`` and below, as a code range (uses the index)."""
    return qs.filter(division_id__gte=code, division_id__lte=code + "9" * (12 - len(code)))


def _category_id(category) -> int | None:
    if category is None or category == "":
        return None
    if hasattr(category, "pk"):
        return category.pk
    from yiwang.hotline.models import Category

    if isinstance(category, int):
        return category
    text = str(category)
    found = Category.objects.filter(code=text).values_list("pk", flat=True).first()
    if found is None and text.isdigit():
        found = Category.objects.filter(pk=int(text)).values_list("pk", flat=True).first()
    return found


def similar_tickets(
    ticket_or_text,
    *,
    division=None,
    category=None,
    longitude: float | None = None,
    latitude: float | None = None,
    days: int = 30,
    limit: int = 5,
    now: dt.datetime | None = None,
) -> list[tuple]:
    """相似工单 of a ticket (or of text being typed): ``[(Ticket, score 0–1)]``, best
    first. Only tickets within ``days`` of it, in its county when the place is known, of
    its category when given, not merged away, sharing some of its longest words."""
    from yiwang.hotline.models import Ticket

    probe = _Probe.of(ticket_or_text, division, category, longitude, latitude, now)
    mine = words(probe.text.replace("\x00", ""))
    if not mine or limit <= 0:
        return []
    span = dt.timedelta(days=max(1, int(days)))
    rows = _candidates(probe, mine, span)
    scored = _scored(probe, mine, span, rows)
    scored.sort(key=lambda x: (-x[1], -x[0]))
    best = scored[:limit]
    tickets = Ticket.objects.select_related("category", "division").in_bulk([pk for pk, _ in best])
    return [(tickets[pk], s) for pk, s in best if pk in tickets]


@dataclass(frozen=True)
class _Probe:
    """What similar tickets are looked for around: the text, place and category, the
    moment (``anchor``) the time window centres on, and the ticket itself (``exclude``)
    when there is one — its own fields fill in what the caller left out."""

    text: str
    division: Any
    category: Any
    longitude: float | None
    latitude: float | None
    anchor: dt.datetime
    exclude: int | None

    @classmethod
    def of(cls, ticket_or_text, division, category, longitude, latitude, now) -> _Probe:
        from yiwang.hotline.models import Ticket

        if not isinstance(ticket_or_text, Ticket):
            return cls(
                text=str(ticket_or_text or ""),
                division=getattr(division, "pk", division) or None,
                category=category,
                longitude=longitude,
                latitude=latitude,
                anchor=now or timezone.now(),
                exclude=None,
            )
        t = ticket_or_text
        division = division or t.division_id
        return cls(
            text=f"{t.title} {t.content}",
            division=getattr(division, "pk", division) or None,
            category=category if category is not None else t.category_id,
            longitude=longitude if longitude is not None else t.longitude,
            latitude=latitude if latitude is not None else t.latitude,
            anchor=t.created_at or timezone.now(),
            exclude=t.pk,
        )


def _candidates(probe: _Probe, mine, span: dt.timedelta):
    """Tickets in the time window, in the probe's county and category where known, not
    merged away, containing one of its longest words: at most MAX_CANDIDATES rows of
    (pk, title, content, division, longitude, latitude, created_at), newest first. The
    query is shaped to the indexes (see the comments)."""
    from yiwang.hotline.models import Ticket

    anchor = probe.anchor
    window = Ticket.objects.filter(created_at__gte=anchor - span, created_at__lte=anchor + span)
    county = county_of(probe.division)
    category_id = _category_id(probe.category)
    if category_id is not None:
        # (category, division, created_at) index: the matter's tickets in the county.
        window = window.filter(category_id=category_id)
        if county:
            window = _subtree(window, county)
        area = Q()
    else:
        # created_at index only (no index leads with the division): the newest rows of
        # the window city-wide, then those of the county among them.
        area = Q(division_id__gte=county, division_id__lte=county + "999999") if county else Q()
    newest = window.order_by("-created_at").values("pk")[:SCAN_ROWS]
    key = sorted(mine, key=lambda w: (-len(w), w))[:PREFILTER_WORDS]
    cond = Q()
    for w in key:
        cond |= Q(content__contains=w) | Q(title__contains=w)
    found = Ticket.objects.filter(area, cond, pk__in=newest, merged_into__isnull=True)
    if probe.exclude is not None:
        found = found.exclude(pk=probe.exclude)
    return found.order_by("-created_at").values_list(
        "pk", "title", "content", "division_id", "longitude", "latitude", "created_at"
    )[:MAX_CANDIDATES]


def _scored(probe: _Probe, mine, span: dt.timedelta, rows) -> list[tuple[int, float]]:
    """(pk, score) of the candidates similar enough in text: text similarity weighted by
    nearness in place and in time."""
    # A quick count of shared words on the raw text first: only the best few are cut
    # into words by jieba (the costly part) and scored.
    rows = sorted(
        rows,
        key=lambda r: -sum(w in r[1] or w in r[2][:TEXT_CHARS] for w in mine),
    )[:SCORED]
    scored: list[tuple[int, float]] = []
    for pk, title, content, div, lon, lat, created in rows:
        sim = text_similarity(mine, words(f"{title} {content}"))
        if sim < MIN_TEXT:
            continue
        place = place_score(probe.division, probe.longitude, probe.latitude, div, lon, lat)
        age = abs((probe.anchor - created).total_seconds()) / span.total_seconds()
        recent = max(0.0, 1.0 - age)
        s = sim * (WEIGHT_BASE + WEIGHT_PLACE * place + WEIGHT_RECENT * recent)
        scored.append((pk, round(min(1.0, s), 4)))
    return scored
