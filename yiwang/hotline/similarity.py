"""相似工单: tickets like a new one in content, place and time — the same pothole reported
by ten callers, one caller ringing three times, or one problem filed under two
different matters — so agents link or merge them. The ticket's category does not narrow
the search: citizens and agents file one problem under different matters.

Content similarity is the cosine of the tickets' content signatures (``signature``:
weighted words, their bigrams and the matters they name, places taken apart — the same
as 热点发现 by content); it is scaled by place (within ~500 m, the same compound, the
same township, the same county) and recency. Candidates come from the database:
tickets of the time window, in the county when the place is known, sharing the probe's
heaviest signature terms (the (term, created_at) index of ``TicketTerm``), and — for
tickets not signed yet — the newest rows of the window containing one of its longest
words; only those few dozen are scored, so a search beside the agent's form stays
within tens of milliseconds on a large table.

``words`` and ``text_similarity`` (jieba word sets) remain for comparing two known
tickets' wording (merging)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from yiwang.hotline.knowledge import STOP_WORDS, _jieba, fold
from yiwang.hotline.signature import PLACE_MARK, cosine, is_place, signature

CITY = "410800"
SCAN_ROWS = 5000  # newest tickets of the window looked at, at most
MAX_CANDIDATES = 150  # sharing most signature terms; and of the newest, sharing a key word
KEY_TERMS = 8  # heaviest signature terms looked up
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


def similar_tickets(
    ticket_or_text,
    *,
    division=None,
    category=None,
    longitude: float | None = None,
    latitude: float | None = None,
    address: str = "",
    days: int = 30,
    limit: int = 5,
    now: dt.datetime | None = None,
) -> list[tuple]:
    """相似工单 of a ticket (or of text being typed): ``[(Ticket, score 0–1)]``, best
    first. Only tickets within ``days`` of it, in its county when the place is known, not
    merged away, sharing some of its signature terms or longest words — of any category
    (``category`` is accepted for callers that pass it, and narrows nothing)."""
    from yiwang.hotline.models import Ticket

    del category  # one problem is filed under different matters
    probe = _Probe.of(ticket_or_text, division, longitude, latitude, address, now)
    if not probe.vec or limit <= 0:
        return []
    span = dt.timedelta(days=max(1, int(days)))
    rows = _candidates(probe, span)
    scored = _scored(probe, span, rows)
    scored.sort(key=lambda x: (-x[1], -x[0]))
    best = scored[:limit]
    tickets = Ticket.objects.select_related("category", "division").in_bulk([pk for pk, _ in best])
    return [(tickets[pk], s) for pk, s in best if pk in tickets]


@lru_cache(maxsize=20_000)
def _signature(text: str, address: str) -> tuple[dict[str, float], frozenset[str]]:
    vec, places = signature(text, address)
    return vec, frozenset(places)


def stored_signatures(pks) -> dict[int, tuple[dict[str, float], set[str]]]:
    """The stored content signatures of tickets: ``{pk: (vector, places)}``, one read."""
    from yiwang.hotline.models import TicketTerm

    out: dict[int, tuple[dict[str, float], set[str]]] = {}
    rows = TicketTerm.objects.filter(ticket_id__in=list(pks)).values_list(
        "ticket_id", "term", "weight"
    )
    for pk, term, weight in rows:
        vec, places = out.setdefault(pk, ({}, set()))
        if is_place(term):
            places.add(term)
        else:
            vec[term] = weight
    return out


@dataclass(frozen=True)
class _Probe:
    """What similar tickets are looked for around: the content signature and place, the
    moment (``anchor``) the time window centres on, and the ticket itself (``exclude``)
    when there is one — its own fields fill in what the caller left out."""

    text: str
    vec: dict[str, float]
    places: frozenset[str]
    division: Any
    longitude: float | None
    latitude: float | None
    anchor: dt.datetime
    exclude: int | None

    @classmethod
    def of(cls, ticket_or_text, division, longitude, latitude, address, now) -> _Probe:
        from yiwang.hotline.models import Ticket

        if not isinstance(ticket_or_text, Ticket):
            text = str(ticket_or_text or "").replace("\x00", "")
            vec, places = _signature(text, str(address or ""))
            return cls(
                text=text,
                vec=vec,
                places=places,
                division=getattr(division, "pk", division) or None,
                longitude=longitude,
                latitude=latitude,
                anchor=now or timezone.now(),
                exclude=None,
            )
        t = ticket_or_text
        division = division or t.division_id
        stored = stored_signatures([t.pk]).get(t.pk) if t.pk else None
        if stored:
            vec, places = stored[0], frozenset(stored[1])
        else:
            vec, places = _signature(f"{t.title} {t.content}", t.address or "")
        return cls(
            text=f"{t.title} {t.content}",
            vec=vec,
            places=frozenset(places),
            division=getattr(division, "pk", division) or None,
            longitude=longitude if longitude is not None else t.longitude,
            latitude=latitude if latitude is not None else t.latitude,
            anchor=t.created_at or timezone.now(),
            exclude=t.pk,
        )


def _keys(probe: _Probe) -> list[str]:
    """The probe's terms looked up in the index: its heaviest content terms and the
    compounds and roads it names."""
    heavy = sorted(probe.vec, key=lambda t: (-probe.vec[t], t))[:KEY_TERMS]
    return heavy + sorted(probe.places)


def _candidates(probe: _Probe, span: dt.timedelta):
    """Tickets in the time window, in the probe's county where known, not merged away,
    sharing the most signature terms with it or (not signed yet) containing one of its
    longest words: at most 2 × MAX_CANDIDATES rows of (pk, title, content, address,
    division, longitude, latitude, created_at), newest first."""
    from yiwang.hotline.models import Ticket, TicketTerm

    anchor = probe.anchor
    lo, hi = anchor - span, anchor + span
    shared = (
        TicketTerm.objects.filter(term__in=_keys(probe), created_at__gte=lo, created_at__lte=hi)
        .values("ticket_id")
        .annotate(n=Count("id"))
        .order_by("-n", "-ticket_id")
        .values_list("ticket_id", flat=True)[:MAX_CANDIDATES]
    )
    county = county_of(probe.division)
    # In the county — or located no closer than the city (it may be anywhere, and its
    # place words decide).
    area = Q()
    if county:
        area = Q(division_id__gte=county, division_id__lte=county + "999999") | Q(division_id=CITY)
    # created_at index: the newest rows of the window city-wide, then those of the
    # county among them containing one of the probe's longest words.
    window = Ticket.objects.filter(created_at__gte=lo, created_at__lte=hi)
    newest = window.order_by("-created_at").values("pk")[:SCAN_ROWS]
    cond = Q()
    for w in sorted(words(probe.text), key=lambda w: (-len(w), w))[:PREFILTER_WORDS]:
        cond |= Q(content__contains=w) | Q(title__contains=w)
    worded = Ticket.objects.filter(area, cond, pk__in=newest).values_list("pk", flat=True)
    pks = set(shared) | (set(worded.order_by("-created_at")[:MAX_CANDIDATES]) if cond else set())
    found = Ticket.objects.filter(area, pk__in=pks, merged_into__isnull=True)
    if probe.exclude is not None:
        found = found.exclude(pk=probe.exclude)
    return found.order_by("-created_at").values_list(
        "pk", "title", "content", "address", "division_id", "longitude", "latitude", "created_at"
    )


def _scored(probe: _Probe, span: dt.timedelta, rows) -> list[tuple[int, float]]:
    """(pk, score) of the candidates alike enough in content: the cosine of the content
    signatures (stored, or computed for tickets not signed yet), weighted by nearness in
    place (the same compound counts as the same place) and in time."""
    rows = list(rows)
    stored = stored_signatures(r[0] for r in rows)
    scored: list[tuple[int, float]] = []
    for pk, title, content, address, div, lon, lat, created in rows:
        vec, places = stored.get(pk) or _signature(f"{title} {content}", address or "")
        sim = cosine(probe.vec, vec)
        if sim < MIN_TEXT:
            continue
        place = place_score(probe.division, probe.longitude, probe.latitude, div, lon, lat)
        if probe.places & _compounds(places):
            place = 1.0
        age = abs((probe.anchor - created).total_seconds()) / span.total_seconds()
        recent = max(0.0, 1.0 - age)
        s = sim * (WEIGHT_BASE + WEIGHT_PLACE * place + WEIGHT_RECENT * recent)
        scored.append((pk, round(min(1.0, s), 4)))
    return scored


def _compounds(places) -> set[str]:
    return {p for p in places if p.startswith(PLACE_MARK)}
