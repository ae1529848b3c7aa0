"""Security alarms (安全告警): events an operator must see — a stored value that no longer
decrypts, for one — written to the audit ledger as ``core.alarm.*`` entries and to the
``yiwang.alarm`` log.

An alarm may be raised while a page reads rows, so raising one never writes on the spot
and never fails the read: each ``key`` (one stored value, say) alarms at most once per
interval (``YIWANG["ALARM_INTERVAL_SECONDS"]``, an hour by default; the shared cache keeps
the processes in step), and the alarms pending are written after the surrounding
transaction commits, at the end of the request, or at once outside any transaction — one
ledger entry per kind and object type however many rows were involved.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

log = logging.getLogger("yiwang.alarm")

DEFAULT_INTERVAL = 3600
# How many rows one ledger entry lists; the count covers the rest.
MAX_LISTED = 200


@dataclass
class _Alarm:
    action: str
    object_type: str
    object_id: str
    purpose: str
    detail: dict[str, Any] = field(default_factory=dict)


_lock = threading.Lock()
_pending: list[_Alarm] = []
_recent: dict[str, float] = {}


def interval() -> int:
    """Seconds during which the same alarm key is not raised again."""
    return int(settings.YIWANG.get("ALARM_INTERVAL_SECONDS", DEFAULT_INTERVAL))


def _first_in_interval(key: str) -> bool:
    """Whether ``key`` has not alarmed within the interval, in this process or (through the
    cache) in another one; a cache that fails leaves the process's own memory to decide."""
    seconds = interval()
    now = time.monotonic()
    with _lock:
        if now - _recent.get(key, -float("inf")) < seconds:
            return False
        _recent[key] = now
        if len(_recent) > 100_000:  # forget the oldest half rather than grow without end
            for old in sorted(_recent, key=_recent.__getitem__)[: len(_recent) // 2]:
                del _recent[old]
    try:
        return bool(cache.add(f"yiwang:alarm:{key}", 1, timeout=seconds))
    except Exception:
        log.warning("alarm throttle: cache unavailable", exc_info=True)
        return True


def raise_alarm(
    *, key: str, action: str, obj: tuple[str, str], purpose: str, detail: dict[str, Any]
) -> bool:
    """Note an alarm (``action`` is ``core.alarm.<kind>``) about ``obj`` = (type, id);
    False when ``key`` already alarmed within the interval. Never raises."""
    try:
        if not _first_in_interval(key):
            return False
        log.error("%s %s:%s %s", action, obj[0], obj[1], detail)
        with _lock:
            _pending.append(_Alarm(action, obj[0], str(obj[1]), purpose, detail))
        _flush_soon()
    except Exception:
        log.exception("could not raise alarm %s", action)
    return True


def _flush_soon() -> None:
    if transaction.get_connection().in_atomic_block:
        # Written once the transaction commits; if it rolls back, at the end of the
        # request (the alarms stay pending until then).
        transaction.on_commit(flush, robust=True)
    else:
        flush()


@receiver(request_finished, dispatch_uid="yiwang.core.alarms.flush")
def _flush_at_request_end(**kwargs: Any) -> None:
    flush()


def flush() -> int:
    """Write the pending alarms: one ledger entry per (kind, object type), listing up to
    ``MAX_LISTED`` objects. Returns the entries written; never raises."""
    with _lock:
        items = list(_pending)
        _pending.clear()
    if not items:
        return 0
    groups: dict[tuple[str, str], list[_Alarm]] = {}
    for item in items:
        groups.setdefault((item.action, item.object_type), []).append(item)
    written = 0
    for (action, object_type), group in groups.items():
        try:
            _write(action, object_type, group)
            written += 1
        except Exception:
            log.exception("could not write alarm %s (%d objects)", action, len(group))
    return written


def _write(action: str, object_type: str, group: list[_Alarm]) -> None:
    from yiwang.core import audit

    ids = sorted({a.object_id for a in group})
    with transaction.atomic():
        audit.record(
            actor=None,
            action=action,
            obj=(object_type, ids[0] if len(ids) == 1 else "*"),
            purpose=_(group[0].purpose),
            change={
                "count": len(group),
                "objects": [{"id": a.object_id, **a.detail} for a in group[:MAX_LISTED]],
            },
        )


def forget() -> None:
    """Drop pending alarms and the process's memory of recent ones (tests)."""
    with _lock:
        _pending.clear()
        _recent.clear()
