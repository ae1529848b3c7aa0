"""``yiwang calendar``: load and show the working-day calendar (工作日历).

yiwang calendar load --from-package 2024-2026
yiwang calendar load 2027.json
yiwang calendar show 2026
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.core import calendar as workdays
from yiwang.core.actions.calendar import do_load_calendar_file, do_load_calendar_from_package
from yiwang.core.models import CalendarDay, CalendarYear


def parse_years(text: str) -> list[int]:
    """ "2024-2026" or "2024,2026" → [2024, 2025, 2026] / [2024, 2026]."""
    years: list[int] = []
    try:
        for part in text.split(","):
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                years.extend(range(lo, hi + 1))
            elif part.strip():
                years.append(int(part))
    except ValueError as exc:
        raise CommandError(f"bad year list: {text!r}") from exc
    return years


class Command(BaseCommand):
    help = "Load or show the official working-day calendar (工作日历)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        load = sub.add_parser("load", help="load years from the package or from a file")
        load.add_argument("file", nargs="?", help="JSON or CSV calendar file")
        load.add_argument("--from-package", metavar="YEARS", help="e.g. 2024-2026")
        show = sub.add_parser("show", help="list a year's holidays and adjusted workdays")
        show.add_argument("year", type=int)

    def handle(self, *args, op: str, **options) -> None:
        try:
            if op == "load":
                self.load(options.get("file"), options.get("from_package"))
            else:
                self.show(options["year"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc

    def load(self, file: str | None, years: str | None) -> None:
        if bool(file) == bool(years):
            raise CommandError("give either a FILE or --from-package YEARS")
        if years:
            out = do_load_calendar_from_package(actor=None, years=parse_years(years))
        else:
            assert file is not None, "either a file or years, checked above"
            out = do_load_calendar_file(actor=None, path=file)
        for year, rows in out.items():
            self.stdout.write(f"{year}: {rows} 个特殊日期")

    def show(self, year: int) -> None:
        known = CalendarYear.objects.filter(year=year).first()
        if known is None:
            self.stdout.write(f"{year}: 尚无官方节假日安排，按周一至周五估算。")
            return
        self.stdout.write(f"{year}（来源：{known.source}）")
        for day in CalendarDay.objects.filter(date__year=year):
            mark = "班" if day.is_workday else "休"
            self.stdout.write(f"  {day.date.isoformat()} {mark} {day.name}")
        total = workdays.working_days_between(date(year - 1, 12, 31), date(year, 12, 31))
        self.stdout.write(f"全年工作日：{total} 天")
