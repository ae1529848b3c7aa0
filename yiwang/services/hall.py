"""What the service hall and the portal home show around a search (事项检索): the
applicant's own county (a citizen's registered division in 人口库), the 一件事 bundles a
query finds, the categories (生命周期事件) that have items, and the most used services
(常用服务). Reads only; shared by the hall's pages, the portal panel and the API."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from yiwang.core import divisionpicker
from yiwang.core.models import Division
from yiwang.services import access
from yiwang.services.events import ENTERPRISE_EVENTS, LIFE_EVENTS
from yiwang.services.models import Application, Bundle, ServiceItem
from yiwang.services.search import normalise, search

POPULAR_DAYS = 90
POPULAR_CACHE_SECONDS = 600
POPULAR_KEY = "services.hall.popular"


def hall_items() -> QuerySet:
    """Published 业务办理项: what the hall lists and applicants apply for."""
    return access.public_items().filter(level=ServiceItem.Level.HANDLING)


def home_county(user) -> Division | None:
    """The county of a signed-in citizen's registered division (户籍区划, from 人口库),
    which the hall's search starts in; None for anyone else or when unknown."""
    if getattr(user, "kind", "") != "citizen" or not getattr(user, "id_number", ""):
        return None
    from yiwang.services.materials import registry_record

    record = registry_record("person", "111", user.id_number)
    code = getattr(record, "division_id", None) if record is not None else None
    codes = divisionpicker.chain(code or "")
    return Division.objects.filter(pk=codes[0]).first() if codes else None


def around(qs: QuerySet, county: Division) -> QuerySet:
    """Items a resident of ``county`` applies for: those implemented in the county or
    below it, and those of the divisions above it (the city's own items)."""
    above = [c for c in county.path.strip("/").split("/") if c and c != county.code]
    return qs.filter(Q(division__path__startswith=county.path) | Q(division_id__in=above))


def bundles_for(query: str | None) -> list[Bundle]:
    """Published 一件事 bundles a query finds: by their name or description, or because
    one of their items matches; none for a blank query."""
    text = normalise(query)
    if not text:
        return []
    items = search(ServiceItem.objects.all(), text).values("pk")
    found = Bundle.objects.filter(published=True).filter(
        Q(name__icontains=text) | Q(description__icontains=text) | Q(items__in=items)
    )
    return list(found.distinct().order_by("code")[:10])


def event_counts(qs: QuerySet | None = None) -> Counter:
    """How many hall items each life or enterprise event (生命周期事件) has."""
    counts: Counter = Counter()
    rows = (qs if qs is not None else hall_items()).values_list("life_events", "enterprise_events")
    for life, ent in rows:
        counts.update(life or [])
        counts.update(ent or [])
    return counts


def events_with_items(
    counts: Counter,
) -> tuple[list[tuple[str, Any, int]], list[tuple[str, Any, int]]]:
    """(life events, enterprise events) as (code, label, count) — only those with items,
    so no category leads to an empty list."""

    def keep(events):
        return [(c, label, counts[c]) for c, label in events if counts[c]]

    return keep(LIFE_EVENTS), keep(ENTERPRISE_EVENTS)


def popular(limit: int = 8) -> list[dict[str, Any]]:
    """常用服务: the items applied for most in the last 90 days, by name across the
    divisions that implement them (``{"name", "code", "n"}``, ``code`` one published
    implementation); the city's items by code while there are no applications yet.
    Kept for ten minutes: a count of recent applications, not a live figure."""
    found = cache.get(POPULAR_KEY)
    if found is None:
        found = _popular(limit)
        cache.set(POPULAR_KEY, found, POPULAR_CACHE_SECONDS)
    return found[:limit]


def _popular(limit: int) -> list[dict[str, Any]]:
    since = timezone.now() - dt.timedelta(days=POPULAR_DAYS)
    ranked = list(
        Application.objects.filter(submitted_at__gte=since, item__status="published")
        .values("item__name")
        .annotate(n=Count("id"))
        .order_by("-n", "item__name")[:limit]
    )
    names = [r["item__name"] for r in ranked]
    counts = {r["item__name"]: r["n"] for r in ranked}
    if len(names) < limit:
        more = (
            hall_items()
            .exclude(name__in=names)
            .filter(online=True)
            .order_by("division_id", "code")
            .values_list("name", flat=True)[: limit * 4]
        )
        for name in more:
            if name not in names:
                names.append(name)
            if len(names) >= limit:
                break
    codes: dict[str, str] = {}
    for name, code in (
        hall_items()
        .filter(name__in=names)
        .order_by("division_id", "code")
        .values_list("name", "code")
    ):
        codes.setdefault(name, code)
    return [{"name": n, "code": codes[n], "n": counts.get(n, 0)} for n in names if n in codes]
