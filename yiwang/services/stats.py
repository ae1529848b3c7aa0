"""好差评 statistics (评价数据统计): per department, per item and per staff member over a
period — count, 好评率 (share of levels 1–3), 差评 count, 整改率 (share of 差评 whose
rectification ended fixed or explained) and the average score (5 = 非常满意 … 1 = 非常不满意).
Ratings excluded after an upheld appeal do not count. One GROUP BY query per table; the
published (city-wide) tables are cached for ``SERVICES_STATS_CACHE_SECONDS``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from yiwang.services.models import Level, Rating

RECTIFIED_STATES = ("fixed", "explained")
BAD = Q(level__gte=Level.DISSATISFIED)
# Grouping key on Rating, and the model's (code, name) fields looked up for the keys.
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "department": ("department_id", "code", "name"),
    "item": ("item_id", "code", "name"),
    "staff": ("staff_id", "username", "full_name"),
}


@dataclass(frozen=True)
class Line:
    """One row of a statistics table (or the total)."""

    key: int | None
    code: str
    name: str
    count: int
    good: int
    bad: int
    rectified: int
    level_sum: int

    @property
    def good_rate(self) -> float | None:
        """好评率: share of 非常满意、满意、基本满意."""
        return self.good / self.count if self.count else None

    @property
    def rectify_rate(self) -> float | None:
        """整改率: share of 差评 rectified (整改完成 or 已解释说明)."""
        return self.rectified / self.bad if self.bad else None

    @property
    def average(self) -> float | None:
        """Average score out of 5 (非常满意 = 5 … 非常不满意 = 1)."""
        return 6 - self.level_sum / self.count if self.count else None

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "code": self.code,
            "name": self.name,
            "count": self.count,
            "good": self.good,
            "bad": self.bad,
            "rectified": self.rectified,
            "good_rate": _round(self.good_rate),
            "rectify_rate": _round(self.rectify_rate),
            "average": _round(self.average, 2),
        }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


AGGREGATES = {
    "n": Count("pk"),
    "good": Count("pk", filter=Q(level__lte=Level.BASIC)),
    "bad": Count("pk", filter=BAD),
    "rectified": Count("pk", filter=BAD & Q(rectification__state__in=RECTIFIED_STATES)),
    "level_sum": Sum("level"),
}


def _bounds(day: dt.date, *, end: bool = False) -> dt.datetime:
    if end:
        day += dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def counted(
    qs: QuerySet | None = None, *, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet:
    """Ratings that count: not excluded, rated from ``start`` to ``end`` (inclusive,
    local days)."""
    qs = (qs if qs is not None else Rating.objects.all()).filter(excluded=False)
    if start is not None:
        qs = qs.filter(created_at__gte=_bounds(start))
    if end is not None:
        qs = qs.filter(created_at__lt=_bounds(end, end=True))
    return qs


def _line(key, code, name, row: dict) -> Line:
    return Line(
        key=key,
        code=code or "",
        name=name or code or "",
        count=row["n"] or 0,
        good=row["good"] or 0,
        bad=row["bad"] or 0,
        rectified=row["rectified"] or 0,
        level_sum=row["level_sum"] or 0,
    )


def rating_stats(
    by: str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    qs: QuerySet | None = None,
) -> list[Line]:
    """Statistics grouped ``by`` "department", "item" or "staff" (ratings without a
    rated staff member are left out of the staff table); most ratings first."""
    if by not in DIMENSIONS:
        raise ValueError(f"unknown dimension: {by}")
    key, code, name = DIMENSIONS[by]
    rows = counted(qs, start=start, end=end)
    if by == "staff":
        rows = rows.filter(staff__isnull=False)
    # Group on the key alone (no join to the named table over every rating), then name
    # the groups with one small query.
    grouped = list(rows.order_by().values(key).annotate(**AGGREGATES))
    model = Rating._meta.get_field(key.removesuffix("_id")).related_model
    assert model is not None and model != "self", "grouped by a foreign key"
    names = {
        pk: (c, n)
        for pk, c, n in model._default_manager.filter(pk__in=[r[key] for r in grouped]).values_list(
            "pk", code, name
        )
    }
    lines = [_line(r[key], *names.get(r[key], ("", "")), r) for r in grouped]
    lines.sort(key=lambda line: (-line.count, line.code))
    return lines


def rating_summary(
    *, start: dt.date | None = None, end: dt.date | None = None, qs: QuerySet | None = None
) -> Line:
    """The totals over the same ratings, as one line."""
    row = counted(qs, start=start, end=end).order_by().aggregate(**AGGREGATES)
    return _line(None, "", "", row)


def _cached(key: str, compute):
    seconds = int(settings.YIWANG.get("SERVICES_STATS_CACHE_SECONDS", 300))
    if seconds <= 0:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def published_stats(by: str, *, start: dt.date, end: dt.date) -> list[Line]:
    """The city-wide table ``by`` department or item for the public page and API,
    cached for a few minutes (the same figures for every visitor)."""
    if by not in ("department", "item"):
        raise ValueError(f"not a published dimension: {by}")
    return _cached(
        f"services:rating-stats:{by}:{start}:{end}",
        lambda: rating_stats(by, start=start, end=end),
    )


def published_summary(*, start: dt.date, end: dt.date) -> Line:
    """The city-wide totals, cached like ``published_stats``."""
    return _cached(
        f"services:rating-summary:{start}:{end}",
        lambda: rating_summary(start=start, end=end),
    )
