"""Data every database needs after ``migrate``: the database cache table, the official
calendar years the ``chinese-calendar`` package knows around now, and the shipped
workflow definitions."""

from __future__ import annotations

import logging

SEED_YEARS = (2024, 2025, 2026)

logger = logging.getLogger("yiwang.core")


def create_cache_table(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate receiver: make Django's database cache table (``createcachetable``;
    nothing to do with Redis), so ``migrate``, ``yiwang demo`` and the test database
    all have the shared cache without a separate step."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


def seed_after_migrate(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate receiver: load missing calendar years and (re)define workflows."""
    if using != "default":
        return  # the platform's data lives in the default database
    from yiwang.core.actions.calendar import do_load_calendar_from_package
    from yiwang.core.actions.workflow import do_load_workflows
    from yiwang.core.models import CalendarYear

    known = set(CalendarYear.objects.values_list("year", flat=True))
    missing = [y for y in SEED_YEARS if y not in known]
    if missing:
        do_load_calendar_from_package(actor=None, years=missing)
    do_load_workflows(actor=None)
