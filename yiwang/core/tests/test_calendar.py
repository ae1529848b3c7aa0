"""Working days (工作日) from the database: holidays, adjusted workdays, unknown years."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from yiwang.core import calendar
from yiwang.core.actions.calendar import do_load_calendar_file, do_load_calendar_from_package
from yiwang.core.models import AuditEntry, CalendarYear

pytestmark = pytest.mark.django_db


def test_fresh_database_knows_2024_to_2026_from_the_package():
    assert set(CalendarYear.objects.values_list("year", flat=True)) >= {2024, 2025, 2026}
    assert calendar.is_known_year(2025)
    assert not calendar.is_known_year(2030)


def test_national_day_2025_and_adjusted_saturday():
    # 2025-10-01..08 are 国庆/中秋 holidays (Wed..Wed); Sat 2025-10-11 is an adjusted workday.
    assert not calendar.is_workday(date(2025, 10, 1))
    assert not calendar.is_workday(date(2025, 10, 8))
    assert calendar.is_workday(date(2025, 10, 9))
    assert calendar.is_workday(date(2025, 10, 11))  # Saturday, 调休上班
    assert calendar.is_workday(date(2025, 9, 28))  # Sunday, 调休上班
    assert not calendar.is_workday(date(2025, 10, 12))  # ordinary Sunday
    # Tue 2025-09-30 + 3 working days: 10-09 (1), 10-10 (2), Sat 10-11 (3).
    assert calendar.add_working_days(date(2025, 9, 30), 3) == (date(2025, 10, 11), False)
    assert calendar.working_days_between(date(2025, 9, 30), date(2025, 10, 11)) == 3


def test_plain_weeks_count_monday_to_friday():
    # Mon 2025-11-24 + 5 → Mon 2025-12-01 (weekend skipped, no holiday in between).
    assert calendar.add_working_days(date(2025, 11, 24), 5) == (date(2025, 12, 1), False)
    assert calendar.add_working_days(date(2025, 11, 24), 0) == (date(2025, 11, 24), False)
    assert calendar.working_days_between(date(2025, 12, 1), date(2025, 11, 24)) == -5


def test_unknown_year_falls_back_to_weekdays_and_says_so():
    # 2030-01-01 is a Tuesday; no data → Mon–Fri, New Year's Day counted as a workday.
    assert calendar.is_workday(date(2030, 1, 1))
    assert calendar.add_working_days(date(2029, 12, 31), 5) == (date(2030, 1, 7), True)
    # A deadline crossing from a known year into an unknown one is estimated too.
    due, estimated = calendar.add_working_days(date(2026, 12, 30), 3)
    assert estimated and due == date(2027, 1, 4)


def test_package_refuses_a_year_it_does_not_know():
    with pytest.raises(ValidationError) as err:
        do_load_calendar_from_package(actor=None, years=[2027])
    assert "2027" in err.value.messages[0]
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_loading_a_2027_file_removes_the_estimate(tmp_path):
    assert calendar.add_working_days(date(2027, 9, 30), 1) == (date(2027, 10, 1), True)
    path = tmp_path / "2027.json"
    path.write_text(
        json.dumps(
            {
                "year": 2027,
                "source": "国务院办公厅通知",
                "holidays": [
                    {"date": "2027-01-01", "name": "元旦"},
                    {"from": "2027-10-01", "to": "2027-10-07", "name": "国庆节"},
                ],
                "workdays": [{"date": "2027-10-09", "name": "国庆节调休"}],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    out = do_load_calendar_file(actor=None, path=path)
    # Weekday holidays 01-01 (Fri), 10-01 (Fri), 10-04..07 (Mon–Thu) + Sat 10-09 workday.
    assert out == {2027: 7}
    assert calendar.add_working_days(date(2027, 9, 30), 1) == (date(2027, 10, 8), False)
    assert calendar.is_workday(date(2027, 10, 9))
    assert AuditEntry.objects.filter(action="core.calendar.load", object_id="2027").exists()


def test_csv_file_and_bad_rows(tmp_path):
    good = tmp_path / "2028.csv"
    good.write_text("date,kind,name\n2028-01-03,休,元旦\n2028-01-08,班,调休\n", encoding="utf-8")
    assert do_load_calendar_file(actor=None, path=good) == {2028: 2}
    assert not calendar.is_workday(date(2028, 1, 3))
    assert calendar.is_workday(date(2028, 1, 8))

    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind,name\n2028-13-01,休,x\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        do_load_calendar_file(actor=None, path=bad)
    assert "第 2 行" in err.value.messages[0]


def test_calendar_command_loads_and_shows(tmp_path, capsys):
    call_command("calendar", "load", "--from-package", "2023-2024")
    assert CalendarYear.objects.filter(year=2023).exists()
    call_command("calendar", "show", "2025")
    out = capsys.readouterr().out
    assert "2025-10-01 休 国庆节" in out
    assert "2025-10-11 班" in out
    call_command("calendar", "show", "2031")
    assert "估算" in capsys.readouterr().out
