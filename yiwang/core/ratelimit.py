"""Fixed-window rate limits (频率限制) kept in the cache, shared by every room: public
verification, ticket look-ups and the like, counted per caller address (``client_ip``).
Redis makes them hold across app servers."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from yiwang.core.errors import RateLimited


def spend(scope: str, who: str, limit: int, window_seconds: int = 60) -> bool:
    """Count one use of ``scope`` by ``who`` in the current window; False once the
    window's ``limit`` is passed."""
    key = f"yiwang:rate:{scope}:{who}:{int(time.time() // window_seconds)}"
    if cache.add(key, 1, timeout=window_seconds + 10):
        return limit >= 1
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds + 10)
        used = 1
    return used <= limit


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
