"""``yiwang worker``: the django-tasks database worker plus, in a thread, the periodic
jobs of ``yiwang.core.schedule.PERIODIC`` (超期督办, 审计账本封存)."""

from __future__ import annotations

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from yiwang.core.schedule import Scheduler


class Command(DbWorkerCommand):
    help = "Run background tasks and enqueue the periodic jobs (yiwang.core.schedule)."

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-schedule",
            action="store_false",
            dest="schedule",
            help="only run queued tasks; another worker enqueues the periodic jobs",
        )

    def handle(self, *args, **options) -> None:
        schedule = options.pop("schedule", True)
        reloading = options.get("reload") and not options.get("batch")
        in_child = os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        scheduler = None
        if schedule and (not reloading or in_child):
            scheduler = Scheduler()
            scheduler.start()
        try:
            super().handle(*args, **options)
        finally:
            if scheduler is not None:
                scheduler.stop()
