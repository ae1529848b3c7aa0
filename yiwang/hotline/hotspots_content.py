"""热点发现 by content (同一问题聚类, detection only, no writes): tickets about one problem
— a restaurant's smoke and noise in one compound, told over weeks in different words
and filed under different matters — found as one cluster, whatever their category.

Two tickets are *linked* when their content signatures (``signature``: weighted terms,
places taken apart) are alike enough for the place evidence they share:

- the same compound, or coordinates within ``NEAR_METRES``: a little in common is enough
  (``TEXT_SAME_PLACE``) — neighbours of one restaurant write 油烟 or 噪音 or 烧烤;
- the same road, grid or township: more in common (``TEXT_SAME_AREA``);
- only the same county: much in common (``TEXT_SAME_COUNTY``);
- each naming a compound, none the same, and not near: never (another restaurant).

A cluster is a connected group of linked tickets over the longest window (a month by
default); it is a hotspot when, in one of the windows (a day, a week, a month:
``HOTLINE_TEXT_HOTSPOT_WINDOWS``), at least that window's number of its tickets fall.

Scale: candidates are never all pairs. Each ticket is posted under a handful of keys —
(a compound, road or map cell it names, one of its eight heaviest terms) and (its grid,
township or county, one of its three heaviest words) — and only tickets sharing a key are
compared; a key shared by more than ``POSTING_MAX`` tickets says nothing particular
and is skipped, so no key costs more than POSTING_MAX² / 2 comparisons. The work grows with the window's tickets, not with their square, and not at
all with the table's history (the signatures are read by the (created_at) index)."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from yiwang.hotline.signature import CONCEPT_MARK, PLACE_MARK, ROAD_MARK, cosine, is_place

NEAR_METRES = 400
CELL_DEGREES = 0.004  # about 440 m × 330 m here: a point's cell and its 8 neighbours
TEXT_SAME_PLACE, TEXT_SAME_AREA, TEXT_SAME_COUNTY = 0.15, 0.3, 0.55
KEY_TERMS = 8  # heaviest terms a ticket is posted under, with each specific place
WIDE_KEY_TERMS = 3  # … with its grid, township and county
POSTING_MAX = 100
COMMON_SHARE = 0.03  # a term in more than this share of the window is dropped …
COMMON_FLOOR = 50  # … once it is in at least this many tickets
THEME_WORDS = 6
DEFAULT_WINDOWS = "1:5,7:6,30:8"


@dataclass
class Doc:
    """One ticket as detection sees it: its time, place and signature."""

    pk: int
    created_at: dt.datetime
    division: str
    grid: int | None
    lon: float | None
    lat: float | None
    vec: dict[str, float] = field(default_factory=dict)
    places: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ContentCluster:
    """One hotspot by content: its tickets (newest first), theme words, places, the
    division they share, and the window that made it a hotspot."""

    tickets: tuple[int, ...]
    theme: tuple[str, ...]
    places: tuple[str, ...]
    division_id: str
    window_days: int
    window_start: dt.datetime
    window_end: dt.datetime


def windows() -> list[tuple[int, int]]:
    """(days, least tickets) of each window, shortest first, from
    ``HOTLINE_TEXT_HOTSPOT_WINDOWS`` ("1:5,7:6,30:8": a day with 5, a week with 6, a
    month with 8)."""
    raw = str(settings.YIWANG.get("HOTLINE_TEXT_HOTSPOT_WINDOWS") or DEFAULT_WINDOWS)
    out = []
    for part in raw.split(","):
        days, _sep, least = part.strip().partition(":")
        if days.strip().isdigit() and least.strip().isdigit():
            out.append((max(1, int(days)), max(2, int(least))))
    return sorted(out) or [(30, 8)]


def load(start: dt.datetime, end: dt.datetime) -> list[Doc]:
    """The window's tickets (not merged away) with their signatures: two reads, both
    bounded by the window through the created_at indexes."""
    from yiwang.hotline.models import Ticket, TicketTerm

    docs = {
        pk: Doc(pk, at, div, grid, lon, lat)
        for pk, at, div, grid, lon, lat in Ticket.objects.filter(
            created_at__gte=start, created_at__lt=end, merged_into__isnull=True
        ).values_list("pk", "created_at", "division_id", "grid_id", "longitude", "latitude")
    }
    terms = TicketTerm.objects.filter(created_at__gte=start, created_at__lt=end).values_list(
        "ticket_id", "term", "weight"
    )
    for pk, term, weight in terms.iterator(chunk_size=20_000):
        doc = docs.get(pk)
        if doc is None:
            continue
        if is_place(term):
            doc.places.add(term)
        else:
            doc.vec[term] = weight
    return list(docs.values())


def _drop_common(docs: list[Doc]) -> Counter:
    """Drop terms too common in this window to tell problems apart (the window's own
    idf on top of the general one), re-normalising each vector; returns the terms'
    document counts."""
    df: Counter = Counter()
    for d in docs:
        df.update(d.vec.keys())
    cap = max(COMMON_FLOOR, COMMON_SHARE * len(docs))
    common = {t for t, n in df.items() if n > cap}
    if common:
        for d in docs:
            if common & d.vec.keys():
                kept = {t: w for t, w in d.vec.items() if t not in common}
                norm = math.sqrt(sum(w * w for w in kept.values())) or 1.0
                d.vec = {t: w / norm for t, w in kept.items()}
    return df


def _cell(d: Doc) -> tuple[int, int] | None:
    if d.lon is None or d.lat is None:
        return None
    return (math.floor(d.lon / CELL_DEGREES), math.floor(d.lat / CELL_DEGREES))


def _areas(d: Doc) -> tuple[list[str], list[str]]:
    """Place keys a ticket is posted under: (the compounds and roads it names and its
    cell on the map — specific places; its grid and township — wide areas)."""
    near = sorted(d.places)
    cell = _cell(d)
    if cell is not None:
        near.append(f"c{cell[0]},{cell[1]}")
    wide = []
    if d.grid is not None:
        wide.append(f"g{d.grid}")
    if len(d.division) >= 9:
        wide.append(f"t{d.division[:9]}")
    return near, wide


def _neighbour_cells(d: Doc) -> list[str]:
    """The eight cells around a ticket's point (a neighbour may lie across a border)."""
    cell = _cell(d)
    if cell is None:
        return []
    x, y = cell
    return [f"c{x + i},{y + j}" for i in (-1, 0, 1) for j in (-1, 0, 1) if i or j]


def _heaviest(d: Doc, n: int, concepts: bool = True) -> list[str]:
    """The ``n`` heaviest content terms of a ticket; without the matter ``concepts``
    when asked (they say what kind of problem — enough within one compound, too broad
    within a township)."""
    terms = [t for t in d.vec if concepts or not t.startswith(CONCEPT_MARK)]
    return sorted(terms, key=lambda t: (-d.vec[t], t))[:n]


def _keys(d: Doc, looking: bool = False) -> list[tuple[str, str]]:
    """(place, term) keys of a ticket: every specific place with its KEY_TERMS heaviest
    terms, every wide area (and the county) with its WIDE_KEY_TERMS heaviest words;
    when ``looking``, the neighbouring cells too."""
    near, wide = _areas(d)
    if looking:
        near = near + _neighbour_cells(d)
    if len(d.division) >= 6:
        wide = [*wide, f"k{d.division[:6]}"]
    heavy = _heaviest(d, KEY_TERMS)
    words = _heaviest(d, WIDE_KEY_TERMS, concepts=False)
    return [(a, t) for a in near for t in heavy] + [(a, t) for a in wide for t in words]


def candidate_pairs(docs: list[Doc]) -> set[tuple[int, int]]:
    """Pairs of docs (indexes, i < j) sharing a key (see ``_keys``). Keys held by more
    than POSTING_MAX docs say nothing particular and are skipped, so the pairs grow
    with the docs, not with their square."""
    postings: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        for key in _keys(d):
            postings[key].append(i)
    pairs: set[tuple[int, int]] = set()
    for i, d in enumerate(docs):
        for key in _keys(d, looking=True):
            posting = postings.get(key)
            if not posting or len(posting) > POSTING_MAX:
                continue
            pairs.update((i, j) for j in posting if j > i)
    return pairs


def metres(a: Doc, b: Doc) -> float | None:
    """Distance between two tickets' points (None when either has none)."""
    if a.lon is None or a.lat is None or b.lon is None or b.lat is None:
        return None
    k = math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot((b.lon - a.lon) * k * 111_320, (b.lat - a.lat) * 110_574)


def needed_text(a: Doc, b: Doc) -> float | None:
    """How alike two tickets' contents must be, given the place evidence they share
    (None: they are about different places and never linked)."""
    near = metres(a, b)
    if (near is not None and near <= NEAR_METRES) or (a.places & b.places & _compounds(a)):
        return TEXT_SAME_PLACE
    if _compounds(a) and _compounds(b):
        return None  # each names its compound, not the same one, and not near
    same_area = (
        bool(a.places & b.places)
        or (a.grid is not None and a.grid == b.grid)
        or (len(a.division) >= 9 and a.division[:9] == b.division[:9])
    )
    if same_area:
        return TEXT_SAME_AREA
    if near is not None and near > 5 * NEAR_METRES:
        return None
    if a.division[:6] == b.division[:6] and len(a.division) >= 6:
        return TEXT_SAME_COUNTY
    return None


def _compounds(d: Doc) -> set[str]:
    return {p for p in d.places if p.startswith(PLACE_MARK)}


def linked(a: Doc, b: Doc) -> bool:
    """Whether two tickets are about the same problem (see the module's rules)."""
    need = needed_text(a, b)
    return need is not None and cosine(a.vec, b.vec) >= need


def components(docs: list[Doc]) -> list[list[int]]:
    """Groups of linked docs: union–find over the candidate pairs that are linked, never
    joining a group about one compound to a group about another (a ticket naming no
    compound would otherwise chain two restaurants' neighbours into one)."""
    parent = list(range(len(docs)))
    named = [_compounds(d) for d in docs]

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in sorted(candidate_pairs(docs)):
        a, b = root(i), root(j)
        if a == b or (named[a] and named[b] and not named[a] & named[b]):
            continue
        if linked(docs[i], docs[j]):
            parent[a] = b
            named[b] = named[a] | named[b]
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(docs)):
        groups[root(i)].append(i)
    return [g for g in groups.values() if len(g) > 1]


def theme(members: list[Doc], df: Counter, total: int) -> tuple[str, ...]:
    """主题词: the cluster's most distinctive terms — weight summed over its tickets and
    the share of its tickets using the term, against how common the term is in the
    window."""
    score: dict[str, float] = defaultdict(float)
    for d in members:
        for t, w in d.vec.items():
            if not t.startswith(CONCEPT_MARK):
                score[t] += w
    ranked = sorted(
        score,
        key=lambda t: (-score[t] * math.log((total + 1) / (df.get(t, 0) + 1) + 1), t),
    )
    out: list[str] = []
    for t in ranked:
        if not any(t in o or o in t for o in out):
            out.append(t)
        if len(out) == THEME_WORDS:
            break
    return tuple(out)


def named_places(members: list[Doc]) -> tuple[str, ...]:
    """涉及地点: the compounds and roads most of the cluster's tickets name (the longest
    form of each), most named first."""
    counts: Counter = Counter()
    for d in members:
        counts.update(d.places)
    out: list[str] = []
    for p, _n in sorted(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0])):
        name = p[1:]
        if any(name in o or o in name for o in out):
            continue
        if p.startswith((PLACE_MARK, ROAD_MARK)) and counts[p] * 3 >= len(members):
            out.append(name)
    return tuple(out[:4])


def common_division(codes: list[str]) -> str:
    """The most precise division all the tickets lie in (township, county, or the city)."""
    for size in (12, 9, 6):
        heads = {c[:size] for c in codes}
        if len(heads) == 1 and all(len(c) >= size for c in codes):
            return heads.pop()
    return "410800"


def _qualifies(members: list[Doc], now: dt.datetime, spans: list[tuple[int, int]]):
    """The shortest window in which at least its number of the cluster's tickets fall."""
    for days, least in spans:
        since = now - dt.timedelta(days=days)
        if sum(d.created_at >= since for d in members) >= least:
            return days
    return None


def detect_content_hotspots(now: dt.datetime | None = None) -> list[ContentCluster]:
    """Clusters of tickets about one problem over the longest window ending ``now`` that
    are hotspots in one of the windows, largest first."""
    now = now or timezone.now()
    spans = windows()
    longest = max(days for days, _least in spans)
    start = now - dt.timedelta(days=longest)
    docs = load(start, now)
    df = _drop_common(docs)
    out = []
    for group in components(docs):
        members = sorted((docs[i] for i in group), key=lambda d: (d.created_at, d.pk))
        days = _qualifies(members, now, spans)
        if days is None:
            continue
        out.append(
            ContentCluster(
                tickets=tuple(d.pk for d in reversed(members)),
                theme=theme(members, df, len(docs)),
                places=named_places(members),
                division_id=common_division([d.division for d in members]),
                window_days=days,
                window_start=members[0].created_at,
                window_end=now,
            )
        )
    out.sort(key=lambda c: (-len(c.tickets), c.tickets))
    return out
