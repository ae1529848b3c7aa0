"""Per-address login throttle (登录频率限制): too many failed sign-ins from one network
address within a window are refused before any password is hashed, so password
spraying across many accounts and floods of costly Argon2 checks are both cut short.
Counts live in the cache (Redis when several app servers share the load)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache


def _key(ip: str) -> str:
    return f"yiwang:login-fail:{ip}"


def blocked(ip: str) -> bool:
    """Whether ``ip`` has reached the failure limit in the current window."""
    return bool(ip) and cache.get(_key(ip), 0) >= settings.YIWANG["LOGIN_IP_FAILURES"]


def note_failure(ip: str) -> None:
    """Count one failed attempt from ``ip``; the window starts at the first failure."""
    if not ip:
        return
    key = _key(ip)
    if not cache.add(key, 1, timeout=settings.YIWANG["LOGIN_IP_WINDOW_SECONDS"]):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=settings.YIWANG["LOGIN_IP_WINDOW_SECONDS"])


def window_minutes() -> int:
    return max(1, settings.YIWANG["LOGIN_IP_WINDOW_SECONDS"] // 60)
