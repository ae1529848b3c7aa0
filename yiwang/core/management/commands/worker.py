"""``yiwang worker``: the django-tasks database worker plus, in a thread, the periodic
jobs of ``yiwang.core.schedule.PERIODIC`` (超期督办, 审计账本封存)."""

from __future__ import annotations

import os
import signal
import threading
import time

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from yiwang.core.schedule import Scheduler

# How often a worker started with ``--stop-with`` looks whether its parent still lives.
PARENT_CHECK_SECONDS = 1.0


def stop_with(parent: int, *, every: float = PARENT_CHECK_SECONDS) -> threading.Thread:
    """Stop this worker (a SIGTERM to itself: the worker's own graceful shutdown, which
    lets a running task finish) once process ``parent`` is no longer its parent — it
    ended, however it ended, even by ``kill -9``. ``yiwang demo`` starts its worker so,
    and no worker outlives the demo server."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="yiwang-parent-watch", daemon=True)
    thread.start()
    return thread


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
        parser.add_argument(
            "--stop-with",
            type=int,
            metavar="PID",
            help="stop when process PID, this worker's parent, ends (used by yiwang demo)",
        )

    def handle(self, *args, **options) -> None:
        schedule = options.pop("schedule", True)
        parent = options.pop("stop_with", None)
        if parent is not None:
            stop_with(parent)
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
