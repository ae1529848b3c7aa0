"""Writes to the working-day calendar (工作日历): seed from the ``chinese-calendar``
package or load a year's schedule from a file an administrator writes when the State
Council publishes it.

File formats (one or more years per file):

JSON::

    {"year": 2027, "source": "国务院办公厅通知",
     "holidays": [{"date": "2027-01-01", "name": "元旦"},
                  {"from": "2027-10-01", "to": "2027-10-07", "name": "国庆节"}],
     "workdays": [{"date": "2027-10-09", "name": "国庆节调休"}]}

CSV (header required; ``kind`` is 休/holiday or 班/workday)::

    date,kind,name
    2027-01-01,休,元旦
    2027-10-09,班,国庆节调休
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core import calendar as workdays
from yiwang.core.models import CalendarDay, CalendarYear

HOLIDAY_WORDS = {"休", "holiday", "off", "rest", "假"}
WORKDAY_WORDS = {"班", "workday", "work", "上班"}


def _recount(actor) -> None:
    """Open cases whose deadlines were estimated follow the newly loaded schedule."""
    from yiwang.core.actions.workflow import do_recompute_estimated_deadlines

    do_recompute_estimated_deadlines(actor=actor)


def _replace_year(year: int, days: dict[date, tuple[bool, str]], source: str) -> int:
    """Store one year's exceptions to Mon–Fri, replacing what was there; returns rows."""
    CalendarDay.objects.filter(date__year=year).delete()
    rows = [
        CalendarDay(date=d, is_workday=work, name=name[:64])
        for d, (work, name) in sorted(days.items())
        if work != (d.weekday() < 5)
    ]
    CalendarDay.objects.bulk_create(rows)
    CalendarYear.objects.update_or_create(year=year, defaults={"source": source[:64]})
    return len(rows)


@transaction.atomic
def do_load_calendar_from_package(*, actor, years: Iterable[int]) -> dict[int, int]:
    """Seed years from ``chinese-calendar``; a year the package does not know is refused
    with a clear error (nothing is guessed). Returns {year: exception rows}."""
    from chinese_calendar import constants

    names = {h.value: h.chinese for h in constants.Holiday}
    known = {d.year for d in constants.holidays}
    out: dict[int, int] = {}
    for year in sorted(set(years)):
        if year not in known:
            raise ValidationError(
                _("日历软件包没有 %(year)s 年的节假日安排，请从文件导入。") % {"year": year},
                code="calendar_year_unknown",
            )
        days: dict[date, tuple[bool, str]] = {}
        for d, label in constants.holidays.items():
            if d.year == year:
                days[d] = (False, names.get(label, label))
        for d, label in constants.workdays.items():
            if d.year == year:
                days[d] = (True, _("%(name)s调休") % {"name": names.get(label, label)})
        out[year] = _replace_year(year, days, "chinese-calendar")
    audit.record(
        actor=actor,
        action="core.calendar.load",
        obj=("calendar", ",".join(map(str, out))),
        change={"source": "chinese-calendar", "years": out},
    )
    transaction.on_commit(workdays.clear_cache)
    workdays.clear_cache()
    _recount(actor)
    return out


def _parse_date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValidationError(
            _("%(where)s：日期格式应为 YYYY-MM-DD，收到 “%(value)s”。")
            % {"where": where, "value": value},
            code="calendar_bad_date",
        ) from exc


def _kind(value: str, where: str) -> bool:
    word = str(value).strip().lower()
    if word in HOLIDAY_WORDS:
        return False
    if word in WORKDAY_WORDS:
        return True
    raise ValidationError(
        _("%(where)s：类型应为“休”或“班”，收到 “%(value)s”。") % {"where": where, "value": value},
        code="calendar_bad_kind",
    )


def _entries_json(text: str) -> tuple[list[tuple[date, bool, str]], set[int], str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _("日历文件不是有效的 JSON：%s") % exc, code="calendar_bad_json"
        ) from exc
    blocks = data if isinstance(data, list) else [data]
    entries: list[tuple[date, bool, str]] = []
    years: set[int] = set()
    source = ""
    for bi, block in enumerate(blocks, start=1):
        if not isinstance(block, dict) or "year" not in block:
            raise ValidationError(_("第 %d 段缺少 year。") % bi, code="calendar_no_year")
        try:
            years.add(int(block["year"]))
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("第 %d 段的 year 无效。") % bi) from exc
        source = source or str(block.get("source", ""))
        for key, work in (("holidays", False), ("workdays", True)):
            for i, item in enumerate(block.get(key, []), start=1):
                entries.extend((day, work, name) for day, name in _item_days(item, f"{key}[{i}]"))
    return entries, years, source


def _item_days(item: Any, where: str) -> list[tuple[date, str]]:
    """(day, name) of one 休 or 班 entry: a date, ``{"date", "name"}``, or a range
    ``{"from", "to", "name"}`` of at most 31 days (a 假期 such as 春节)."""
    if isinstance(item, str):
        item = {"date": item}
    if not isinstance(item, dict):
        raise ValidationError(_("%s：应为日期或对象。") % where)
    name = str(item.get("name", ""))
    if "date" in item:
        return [(_parse_date(item["date"], where), name)]
    start = _parse_date(item.get("from", ""), where)
    end = _parse_date(item.get("to", ""), where)
    if end < start or (end - start).days > 31:
        raise ValidationError(_("%s：日期区间无效。") % where)
    days = []
    day = start
    while day <= end:
        days.append((day, name))
        day += timedelta(days=1)
    return days


def _entries_csv(text: str) -> tuple[list[tuple[date, bool, str]], set[int], str]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not {"date", "kind"} <= set(reader.fieldnames):
        raise ValidationError(_("CSV 日历文件须有表头 date,kind,name。"), code="calendar_bad_csv")
    entries = []
    for line, row in enumerate(reader, start=2):
        where = _("第 %d 行") % line
        entries.append(
            (
                _parse_date(row["date"], where),
                _kind(row["kind"], where),
                row.get("name") or "",
            )
        )
    return entries, {d.year for d, _w, _n in entries}, ""


@transaction.atomic
def do_load_calendar_file(*, actor, path: str | Path) -> dict[int, int]:
    """Load one or more years' official schedules from a JSON or CSV file; each year in
    the file replaces what was stored for it. Returns {year: exception rows}."""
    path = Path(path)
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise ValidationError(_("无法读取日历文件：%s") % path) from exc
    if path.suffix.lower() == ".csv":
        entries, years, source = _entries_csv(text)
    else:
        entries, years, source = _entries_json(text)
    if not years:
        raise ValidationError(_("日历文件中没有任何年度。"), code="calendar_empty")
    per_year: dict[int, dict[date, tuple[bool, str]]] = {y: {} for y in years}
    for d, work, name in entries:
        if d.year not in per_year:
            raise ValidationError(
                _("日期 %(date)s 不属于文件声明的年度。") % {"date": d.isoformat()},
                code="calendar_year_mismatch",
            )
        per_year[d.year][d] = (work, name)
    out = {
        y: _replace_year(y, days, source or f"file:{path.name}")
        for y, days in sorted(per_year.items())
    }
    audit.record(
        actor=actor,
        action="core.calendar.load",
        obj=("calendar", ",".join(map(str, out))),
        change={"source": source or path.name, "years": out},
    )
    transaction.on_commit(workdays.clear_cache)
    workdays.clear_cache()
    _recount(actor)
    return out
