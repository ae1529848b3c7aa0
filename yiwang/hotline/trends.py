"""诉求趋势: tickets per day by matter (诉求分类) or by county, as series ready for
ECharts — for the hotspots page and the leaders' view. Counted in the database (GROUP BY
day and key over the period)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from yiwang.hotline.similarity import CITY, county_of

TOP = 6


def _days(days: int, today: dt.date) -> list[dt.date]:
    days = max(1, min(int(days), 366))
    return [today - dt.timedelta(days=days - 1 - i) for i in range(days)]


def _base(days: list[dt.date]):
    from yiwang.hotline.models import Ticket

    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(days[0], dt.time.min, tzinfo=tz)
    return Ticket.objects.filter(created_at__gte=start).annotate(
        day=TruncDate("created_at", tzinfo=tz)
    )


def _division_filter(code: str | None) -> Q:
    if not code or code == CITY:
        return Q()
    return Q(division_id__gte=code, division_id__lte=code + "9" * (12 - len(code)))


def _within(divisions: list[str] | None) -> Q:
    """Tickets inside any of ``divisions``' subtrees (None: the whole city) — a county's
    staff count their county only."""
    if divisions is None:
        return Q()
    q = Q(pk__in=[])
    for code in divisions:
        q |= _division_filter(code) if code != CITY else Q()
    return q


def _category_ids(category) -> list[int] | None:
    from yiwang.hotline.models import Category

    if category in (None, ""):
        return None
    cat = (
        category
        if isinstance(category, Category)
        else Category.objects.filter(code=str(category)).first()
    )
    if cat is None:
        return []
    # The whole subtree (中类 and 小类 under a 大类): codes nest, two digits a level.
    return list(Category.objects.filter(code__startswith=cat.code).values_list("pk", flat=True))


def trend_by_category(
    days: int = 30,
    division: str | None = None,
    *,
    top: int = TOP,
    today: dt.date | None = None,
    within: list[str] | None = None,
) -> dict:
    """Tickets per day of the ``top`` busiest matters over the last ``days`` days (in the
    division's area when given, inside the ``within`` divisions when given): ``{"dates": [...], "series": [{"code", "name",
    "total", "data": [...]}]}``."""
    from yiwang.hotline.models import Category

    dates = _days(days, today or timezone.localdate())
    index = {d: i for i, d in enumerate(dates)}
    rows = (
        _base(dates)
        .filter(_division_filter(getattr(division, "pk", division)), category_id__isnull=False)
        .filter(_within(within))
        .values_list("day", "category_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    per: dict[int, list[int]] = defaultdict(lambda: [0] * len(dates))
    for day, category_id, n in rows:
        if day in index:
            per[category_id][index[day]] += n
    busiest = sorted(per, key=lambda c: (-sum(per[c]), c))[:top]
    names = Category.objects.in_bulk(busiest)
    return {
        "dates": [d.isoformat() for d in dates],
        "series": [
            {
                "code": names[c].code,
                "name": names[c].display_name,
                "total": sum(per[c]),
                "data": per[c],
            }
            for c in busiest
            if c in names
        ],
    }


def trend_by_division(
    days: int = 30,
    category=None,
    *,
    today: dt.date | None = None,
    within: list[str] | None = None,
) -> dict:
    """Tickets per day of each county (tickets known only city-wide under the city) over
    the last ``days`` days, of one matter (and its sub-matters) when given, inside the
    ``within`` divisions when given:
    ``{"dates": [...], "series": [{"code", "name", "total", "data": [...]}]}``, busiest
    first."""
    from yiwang.core.models import Division

    dates = _days(days, today or timezone.localdate())
    index = {d: i for i, d in enumerate(dates)}
    qs = _base(dates).filter(_within(within))
    ids = _category_ids(category)
    if ids is not None:
        qs = qs.filter(category_id__in=ids)
    rows = qs.values_list("day", "division_id").annotate(n=Count("id")).order_by()
    per: dict[str, list[int]] = defaultdict(lambda: [0] * len(dates))
    for day, division_id, n in rows:
        if day in index:
            per[county_of(division_id) or CITY][index[day]] += n
    names = dict(Division.objects.filter(pk__in=list(per)).values_list("code", "name"))
    order = sorted(per, key=lambda c: (-sum(per[c]), c))
    return {
        "dates": [d.isoformat() for d in dates],
        "series": [
            {"code": c, "name": names.get(c, c), "total": sum(per[c]), "data": per[c]}
            for c in order
        ],
    }
