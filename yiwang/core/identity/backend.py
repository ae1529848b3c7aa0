"""Password authentication behind the login delays and the address throttle
(登录失败延时, 登录频率限制)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from yiwang.core import authcache
from yiwang.core.identity import lockout
from yiwang.core.ratelimit import client_ip


class LockoutModelBackend(ModelBackend):
    """ModelBackend that asks ``lockout`` first and counts failures.

    Every password check of the platform comes here — the login page (also when an OIDC
    relying party sends the user to it) and Django admin's login alike — so the pauses hold
    whichever page is used. A paused attempt is refused before the password is hashed;
    ``request.yiwang_login_pause`` (a ``lockout.Pause``) tells the page what to say. A
    right password clears the username's failures, except for accounts with 动态口令:
    there only the complete login does, so guessing codes cannot hide behind a known
    password.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        ip = client_ip(request) if isinstance(request, HttpRequest) else ""
        pause = lockout.check(request, username, ip)
        if pause is None:
            User = get_user_model()
            user = User._default_manager.filter(username=username).first()
            if user is None:
                User().set_password(password)  # same cost as a real check: no timing oracle
            elif user.check_password(password) and self.user_can_authenticate(user):
                if not user.totp_enabled:
                    lockout.reset(username)
                return user
            pause = lockout.fail(request, username, ip)
        if pause is not None and request is not None:
            request.yiwang_login_pause = pause
        return None

    def get_user(self, user_id):
        """The signed-in user of a session, from ``yiwang.core.authcache``: the account
        and its grants as cached while their shared versions hold (one read instead of
        the user and role queries); None for an unknown or inactive account."""
        return authcache.session_user(user_id)
