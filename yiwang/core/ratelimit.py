"""Rate limits (频率限制) and the shared counters behind them.

Every limit of the platform counts in one store that all worker processes and app servers
share: public verification and ticket look-ups per caller address (``charge``), the
exchange gateway's records per grant, the login throttle per address and the login delay
per username (``yiwang.core.identity``), the one-time use of a 动态口令. Which store is
``settings.YIWANG["RATE_STORE"]``:

- ``"cache"`` when ``YIWANG_REDIS_URL`` is set: Redis through Django's cache
  (``CacheCounters``), where ``add`` and ``incr`` are single atomic Redis commands;
- ``"database"`` otherwise: the ``core_ratecounter`` table (``DatabaseCounters``).

Counts never live in one process's memory: with N workers a limit of 30 would be 30 × N.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from yiwang.core.errors import RateLimited

KEY_MAX = 190  # RateCounter.key


@dataclass(frozen=True)
class Count:
    """A counter as read: its value and when it is forgotten (None when absent)."""

    n: int
    ends: dt.datetime | None


class Counters(Protocol):
    """What a counter store offers: count, read, hold, forget."""

    def hit(self, key: str, seconds: float, n: int = 1, *, sliding: bool = False) -> int: ...

    def peek(self, key: str) -> Count: ...

    def hold(self, key: str, seconds: float) -> dt.datetime: ...

    def clear(self, *keys: str) -> None: ...

    def purge(self) -> int: ...


def _fit(key: str) -> str:
    """Keys longer than the column are replaced by their digest (same key, same row)."""
    if len(key) <= KEY_MAX:
        return key
    return key[:100] + ":" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseCounters:
    """Counters in the ``core_ratecounter`` table, for deployments without Redis.

    Why a table of its own and not Django's database cache: ``DatabaseCache.incr`` is a
    read followed by a write (``get`` then ``set``), so two processes that both read 4
    both write 5 and one guess goes uncounted — exactly what an attacker running many
    requests in parallel gets for free. Here one ``UPDATE … SET count = count + n`` reads
    and writes under the row lock (PostgreSQL) or the database write lock (SQLite, whose
    transactions begin IMMEDIATE), so no increment is lost however many processes hit
    the same key; the unique key turns two simultaneous first hits into one insert and
    one retried update. A row whose time has passed counts as absent and is reset in
    place by the next hit; ``purge`` deletes the rest.

    Called inside a caller's transaction, the row stays locked until that transaction
    ends and a rollback takes the hit back with it; callers that refuse over the limit
    therefore count before they decide, and the refusal's own hit is the one undone.
    """

    def hit(self, key: str, seconds: float, n: int = 1, *, sliding: bool = False) -> int:
        """Add ``n`` to ``key`` and return its new value; a window of ``seconds`` starts at
        the first hit (``sliding``: at every hit)."""
        from yiwang.core.models import RateCounter

        counted = self._count_live(_fit(key), seconds, n, sliding)
        if counted is not None:
            return counted
        rows = RateCounter.objects.filter(key=_fit(key))
        for _attempt in range(5):
            now = timezone.now()
            ends = now + dt.timedelta(seconds=seconds)
            with transaction.atomic():
                change = {"count": F("count") + n, **({"expires_at": ends} if sliding else {})}
                if rows.filter(expires_at__gt=now).update(**change):
                    return rows.values_list("count", flat=True).get()
                if rows.filter(expires_at__lte=now).update(count=n, expires_at=ends):
                    return n
                try:
                    with transaction.atomic():
                        RateCounter.objects.create(key=_fit(key), count=n, expires_at=ends)
                except IntegrityError:
                    continue  # another process inserted it first: count on its row
                return n
        raise RuntimeError(f"rate counter {key!r} kept changing under five attempts")

    @staticmethod
    def _count_live(key: str, seconds: float, n: int, sliding: bool) -> int | None:
        """The common case in one statement: add ``n`` to a live counter and read the new
        value back (``UPDATE … RETURNING``, PostgreSQL and SQLite ≥ 3.35) — no transaction
        of its own, one round trip. None when the counter is absent or past its time (the
        caller then starts a window)."""
        from yiwang.core.models import RateCounter

        conn = connections[router.db_for_write(RateCounter)]
        adapt, quote = conn.ops.adapt_datetimefield_value, conn.ops.quote_name
        now = timezone.now()
        extend = f", {quote('expires_at')} = %s" if sliding else ""
        params: list = [n, *([adapt(now + dt.timedelta(seconds=seconds))] if sliding else [])]
        with conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(RateCounter._meta.db_table)} SET {quote('count')} = "
                f"{quote('count')} + %s{extend} WHERE {quote('key')} = %s AND "
                f"{quote('expires_at')} > %s RETURNING {quote('count')}",
                [*params, key, adapt(now)],
            )
            row = cursor.fetchone()
        return None if row is None else int(row[0])

    def peek(self, key: str) -> Count:
        from yiwang.core.models import RateCounter

        row = (
            RateCounter.objects.filter(key=_fit(key), expires_at__gt=timezone.now())
            .values_list("count", "expires_at")
            .first()
        )
        return Count(*row) if row else Count(0, None)

    def hold(self, key: str, seconds: float) -> dt.datetime:
        """Mark ``key`` for ``seconds`` (a pause, 暂停); returns when the mark ends."""
        from yiwang.core.models import RateCounter

        until = timezone.now() + dt.timedelta(seconds=seconds)
        rows = RateCounter.objects.filter(key=_fit(key))
        with transaction.atomic():
            if not rows.update(count=1, expires_at=until):
                try:
                    with transaction.atomic():
                        RateCounter.objects.create(key=_fit(key), count=1, expires_at=until)
                except IntegrityError:
                    rows.update(count=1, expires_at=until)
        return until

    def clear(self, *keys: str) -> None:
        from yiwang.core.models import RateCounter

        RateCounter.objects.filter(key__in=[_fit(k) for k in keys]).delete()

    def purge(self) -> int:
        """Delete counters whose time has passed; returns how many."""
        from yiwang.core.models import RateCounter

        deleted, _ = RateCounter.objects.filter(expires_at__lte=timezone.now()).delete()
        return deleted


class CacheCounters:
    """Counters in a Django cache whose ``add`` and ``incr`` are atomic across processes
    (Redis: ``SET NX`` and ``INCRBY``). When a counter ends is kept beside it, as the
    cache API does not tell a key's remaining time."""

    def __init__(self, alias: str = "default") -> None:
        self.cache = caches[alias]

    @staticmethod
    def _keys(key: str) -> tuple[str, str]:
        k = f"yiwang:rate:{_fit(key)}"
        return k, k + ":ends"

    def hit(self, key: str, seconds: float, n: int = 1, *, sliding: bool = False) -> int:
        k, k_ends = self._keys(key)
        timeout = math.ceil(seconds)
        ends = time.time() + seconds
        if self.cache.add(k, n, timeout=timeout):
            self.cache.set(k_ends, ends, timeout=timeout)
            return n
        try:
            used = self.cache.incr(k, n)
        except ValueError:  # expired between add and incr
            self.cache.set_many({k: n, k_ends: ends}, timeout=timeout)
            return n
        if sliding:
            self.cache.touch(k, timeout=timeout)
            self.cache.set(k_ends, ends, timeout=timeout)
        return int(used)

    def peek(self, key: str) -> Count:
        k, k_ends = self._keys(key)
        found = self.cache.get_many([k, k_ends])
        n, ends = int(found.get(k) or 0), found.get(k_ends)
        if not n or ends is None or ends <= time.time():
            return Count(0, None)
        return Count(n, dt.datetime.fromtimestamp(ends, tz=dt.UTC))

    def hold(self, key: str, seconds: float) -> dt.datetime:
        k, k_ends = self._keys(key)
        until = time.time() + seconds
        self.cache.set_many({k: 1, k_ends: until}, timeout=math.ceil(seconds))
        return dt.datetime.fromtimestamp(until, tz=dt.UTC)

    def clear(self, *keys: str) -> None:
        self.cache.delete_many([name for key in keys for name in self._keys(key)])

    def purge(self) -> int:
        return 0  # the cache expires its keys itself


def counters() -> Counters:
    """The configured store (``settings.YIWANG["RATE_STORE"]``)."""
    conf = settings.YIWANG
    if conf.get("RATE_STORE", "database") == "database":
        return DatabaseCounters()
    return CacheCounters(conf.get("RATE_CACHE", "default"))


def hit(key: str, seconds: float, n: int = 1, *, sliding: bool = False) -> int:
    """Count ``n`` on ``key`` in the shared store; the new value within its window."""
    return counters().hit(key, seconds, n, sliding=sliding)


def peek(key: str) -> Count:
    """The value of ``key`` and when it ends, without counting."""
    return counters().peek(key)


def hold(key: str, seconds: float) -> dt.datetime:
    """Set a pause mark on ``key`` for ``seconds``; returns its end."""
    return counters().hold(key, seconds)


def held_until(key: str) -> dt.datetime | None:
    """When the pause mark on ``key`` ends, or None when there is none."""
    return peek(key).ends


def clear(*keys: str) -> None:
    counters().clear(*keys)


def first_use(key: str, seconds: float) -> bool:
    """True only for the first use of ``key`` within ``seconds``, in every process (a
    one-time code can be spent once)."""
    return hit(key, seconds) == 1


def spend(scope: str, who: str, limit: int, window_seconds: int = 60) -> bool:
    """Count one use of ``scope`` by ``who`` in the current window; False once the
    window's ``limit`` is passed."""
    return hit(f"{scope}:{who}", window_seconds) <= limit


def charge(scope: str, request: HttpRequest, limit: int, message: str) -> None:
    """Count one use of ``scope`` by the caller's address; over ``limit`` a minute, raise
    ``RateLimited`` with ``message`` (429 in the API and on pages)."""
    if not spend(scope, client_ip(request), limit):
        raise RateLimited(message)


def client_ip(request: HttpRequest) -> str:
    """The client's address: behind ``YIWANG_TRUSTED_PROXIES`` reverse proxies, the entry
    that many hops from the right of X-Forwarded-For (earlier entries are client-forged)."""
    hops = settings.YIWANG["TRUSTED_PROXIES"]
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if chain:
            return chain[-min(hops, len(chain))][:45]
    return request.META.get("REMOTE_ADDR", "")[:45]
