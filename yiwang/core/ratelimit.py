"""Fixed-window rate limits (频率限制) kept in the cache, shared by every room: public
verification, ticket look-ups and the like. Redis makes them hold across app servers."""

from __future__ import annotations

import time

from django.core.cache import cache


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
