"""Data every database needs after ``migrate``: the database cache table, the rate
counters' table unlogged on PostgreSQL, the official calendar years the ``chinese-calendar`` package knows around now, and the shipped
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


def unlog_rate_counters(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate receiver, PostgreSQL only: the rate counters' table is UNLOGGED. A
    counter is written on every counted request (a public licence verification, an
    exchange call, a login attempt) and is worth nothing after a crash, so its writes
    skip the write-ahead log and the commit waits for no disk flush; after a crash the
    table comes back empty (every window starts over). Such a table is not copied to
    streaming replicas: counters are read and written on the primary only."""
    from django.db import connections

    from yiwang.core.models import RateCounter

    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    table = RateCounter._meta.db_table
    with conn.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
        if row is not None and row[0] == "p":
            cursor.execute(f"ALTER TABLE {conn.ops.quote_name(table)} SET UNLOGGED")


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
