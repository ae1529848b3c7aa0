"""Password authentication with lockout after repeated failures (登录失败锁定)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from yiwang.core.identity import lockout


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses locked accounts and counts failures.

    After ``LOCKOUT_THRESHOLD`` consecutive failures the account is locked for
    ``LOCKOUT_MINUTES`` and ``request.yiwang_locked_until`` tells the login page until when.
    A right password resets the count, except for accounts with 动态口令: there only the
    complete login does, so guessing codes cannot hide behind a known password.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        user = User._default_manager.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        until = lockout.locked_until(user)
        if until is not None:
            if request is not None:
                request.yiwang_locked_until = until
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if not user.totp_enabled:
                lockout.reset(user)
            return user
        until = lockout.register_failure(user)
        if until is not None and request is not None:
            request.yiwang_locked_until = until
        return None
