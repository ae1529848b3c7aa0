"""Request types for views. A view behind ``login_required`` (or a staff/citizen check
that implies it) sees a signed-in user (登录用户), never ``AnonymousUser``; annotating its
request as :class:`AuthenticatedHttpRequest` says so to the type checker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from yiwang.core.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` whose ``user`` is a signed-in :class:`~yiwang.core.models.User`."""

    user: User


def public_url(path: str) -> str:
    """An absolute link for the outside world (公网地址): what a licence's QR code or a
    rating code's link carries, where no request says which host was asked for. The base
    is ``YIWANG["PUBLIC_BASE_URL"]`` (``YIWANG_PUBLIC_BASE_URL``); ``yiwang demo`` sets it
    to the address it serves on unless that variable is set."""
    from django.conf import settings

    base = str(settings.YIWANG.get("PUBLIC_BASE_URL", "")).rstrip("/")
    return f"{base}{path}"


def served_base_url(addr: str, port: int) -> str:
    """The base URL of a server listening on ``addr:port``: a wildcard address (0.0.0.0,
    ::) is reached through the loopback address, an IPv6 address goes in brackets."""
    host = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(addr, addr)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"
