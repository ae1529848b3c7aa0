"""工作日历: working days on the official Chinese calendar, read from the database.

``CalendarDay`` rows are the exceptions to Monday–Friday (weekday holidays, adjusted weekend
workdays 调休上班); ``CalendarYear`` marks a year as known. For a year with no data the
functions count Monday–Friday and report ``estimated=True`` — they never crash and never
guess holidays. Per-year exception sets are cached in the process for a few minutes and
cleared whenever a calendar is loaded.
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

CACHE_SECONDS = 300

_lock = threading.Lock()
_cache: dict[int, tuple[float, dict[date, bool] | None]] = {}


def clear_cache() -> None:
    """Forget cached years (called after every load, and between tests)."""
    with _lock:
        _cache.clear()


def _year(year: int) -> dict[date, bool] | None:
    """Exceptions of one year ({date: is_workday}), or None when the year is unknown."""
    now = time.monotonic()
    hit = _cache.get(year)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    from yiwang.core.models import CalendarDay, CalendarYear

    if CalendarYear.objects.filter(year=year).exists():
        rows = CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday")
        data: dict[date, bool] | None = dict(rows)
    else:
        data = None
    with _lock:
        _cache[year] = (now, data)
    return data


def is_known_year(year: int) -> bool:
    """Whether the official schedule of ``year`` is loaded."""
    return _year(year) is not None


def _is_workday(day: date) -> tuple[bool, bool]:
    """(is working day, estimated) for one day."""
    exceptions = _year(day.year)
    if exceptions is None:
        return day.weekday() < 5, True
    return exceptions.get(day, day.weekday() < 5), False


def is_workday(day: date) -> bool:
    """True on a working day (工作日); Monday–Friday for a year without data."""
    return _is_workday(day)[0]


def add_working_days(start: date, n: int) -> tuple[date, bool]:
    """The date ``n`` working days after ``start`` (``start`` itself not counted), and
    whether any year passed through lacks official data (then Mon–Fri was counted)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    day = start
    estimated = False
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        work, est = _is_workday(day)
        estimated |= est
        counted += work
    return day, estimated


def working_days_between(a: date, b: date) -> int:
    """Working days after ``a`` up to and including ``b`` (negative when ``b`` < ``a``),
    so that ``working_days_between(d, add_working_days(d, n)[0]) == n``."""
    if b < a:
        return -working_days_between(b, a)
    count = 0
    day = a
    while day < b:
        day += timedelta(days=1)
        count += _is_workday(day)[0]
    return count


def is_estimated(a: date, b: date) -> bool:
    """Whether any year from ``a`` to ``b`` lacks official data."""
    lo, hi = sorted((a, b))
    return any(not is_known_year(y) for y in range(lo.year, hi.year + 1))
