"""定时任务: periodic jobs the worker enqueues — ``PERIODIC = [(seconds, task path)]``,
gathered from the installed rooms' manifests (``yiwang.core.rooms``).

A job is skipped while an earlier run of it still waits in the queue, so several workers
(or a slow queue) do not pile up copies.
"""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections
from django.utils.module_loading import import_string

from yiwang.core.rooms import periodic_jobs

logger = logging.getLogger("yiwang.schedule")

PERIODIC: list[tuple[float, str]] = periodic_jobs()


def enqueue_if_idle(path: str) -> bool:
    """Enqueue the task at ``path`` unless a run of it is already waiting or running."""
    from django_tasks_db.models import DBTaskResult

    busy = DBTaskResult.objects.filter(task_path=path, status__in=["READY", "RUNNING"]).exists()
    if busy:
        return False
    import_string(path).enqueue()
    return True


class Scheduler:
    """Enqueues each periodic job every ``seconds``; run it in a daemon thread."""

    def __init__(self, jobs: list[tuple[float, str]] | None = None, tick: float = 1.0) -> None:
        self.jobs = list(PERIODIC if jobs is None else jobs)
        self.tick = tick
        self.stopped = threading.Event()
        self.runs: dict[str, int] = {path: 0 for _s, path in self.jobs}

    def run_pending(self, due: dict[str, float], now: float) -> None:
        for seconds, path in self.jobs:
            if now < due.get(path, 0):
                continue
            due[path] = now + seconds
            try:
                if enqueue_if_idle(path):
                    self.runs[path] += 1
            except Exception:  # keep scheduling the other jobs
                logger.exception("could not enqueue %s", path)

    def run(self) -> None:
        due: dict[str, float] = {}
        while not self.stopped.is_set():
            self.run_pending(due, time.monotonic())
            close_old_connections()
            self.stopped.wait(self.tick)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="yiwang-scheduler", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopped.set()
