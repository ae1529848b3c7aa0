"""Per-address login throttle (登录频率限制): too many failed sign-ins from one network
address within a window are refused before any password is hashed, so password
spraying across many accounts and floods of costly Argon2 checks are both cut short.
Counts live in the shared store of ``yiwang.core.ratelimit`` (the database or Redis), so
the limit holds across worker processes and app servers."""

from __future__ import annotations

from django.conf import settings

from yiwang.core import ratelimit


def _key(ip: str) -> str:
    return f"login-ip:{ip}"


def blocked(ip: str) -> bool:
    """Whether ``ip`` has reached the failure limit in the current window."""
    return bool(ip) and ratelimit.peek(_key(ip)).n >= settings.YIWANG["LOGIN_IP_FAILURES"]


def note_failure(ip: str) -> None:
    """Count one failed attempt from ``ip``; the window starts at the first failure."""
    if ip:
        ratelimit.hit(_key(ip), settings.YIWANG["LOGIN_IP_WINDOW_SECONDS"])


def window_minutes() -> int:
    return max(1, settings.YIWANG["LOGIN_IP_WINDOW_SECONDS"] // 60)
