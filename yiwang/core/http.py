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
