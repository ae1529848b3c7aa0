"""Per-address login throttle (登录频率限制).

Sign-ins from one network address pause for the rest of the window once that address has
failed ``LOGIN_IP_FAILURES`` times, or has failed for ``LOGIN_IP_USERNAMES`` different
usernames (撞库, password spraying), within ``LOGIN_IP_WINDOW_SECONDS``. A paused address
is refused before any password is hashed, so floods of costly Argon2 checks are cut short
too. An address spraying many usernames is throttled itself instead of slowing down the
accounts it names (``spraying``; see ``yiwang.core.identity.lockout``).

Counts live in the shared store of ``yiwang.core.ratelimit`` (the database or Redis), so
the limits hold across worker processes and app servers.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings

from yiwang.core import ratelimit


def _conf(name: str) -> int:
    return int(settings.YIWANG[name])


def digest(username: str) -> str:
    """A short stable digest of a username: counters are keyed by it, never by the name."""
    return hashlib.sha256(username.encode("utf-8")).hexdigest()[:32]


def _failures_key(ip: str) -> str:
    return f"login-ip:{ip}"


def _names_key(ip: str) -> str:
    return f"login-ip-names:{ip}"


def blocked_until(ip: str) -> dt.datetime | None:
    """When sign-ins from ``ip`` may resume, or None when they may go on now."""
    if not ip:
        return None
    failures = ratelimit.peek(_failures_key(ip))
    if failures.n >= _conf("LOGIN_IP_FAILURES"):
        return failures.ends
    names = ratelimit.peek(_names_key(ip))
    if names.n >= _conf("LOGIN_IP_USERNAMES"):
        return names.ends
    return None


def spraying(ip: str) -> bool:
    """Whether ``ip`` has failed for ``LOGIN_IP_USERNAMES`` different usernames in the
    window: its failures then count against the address only, never against an account."""
    return bool(ip) and ratelimit.peek(_names_key(ip)).n >= _conf("LOGIN_IP_USERNAMES")


def note_failure(ip: str, username: str = "") -> None:
    """Count one failed attempt from ``ip`` (for ``username``); each window starts at its
    first failure."""
    if not ip:
        return
    window = _conf("LOGIN_IP_WINDOW_SECONDS")
    ratelimit.hit(_failures_key(ip), window)
    if username and ratelimit.first_use(f"login-ip-name:{ip}:{digest(username)}", window):
        ratelimit.hit(_names_key(ip), window)
