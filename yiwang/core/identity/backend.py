"""Password authentication with lockout after repeated failures (登录失败锁定)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses locked accounts and counts failures.

    After ``LOCKOUT_THRESHOLD`` consecutive failures the account is locked for
    ``LOCKOUT_MINUTES``; a success resets the count.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        user = User._default_manager.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        now = timezone.now()
        if user.locked_until and user.locked_until > now:
            if request is not None:
                request.yiwang_locked_until = user.locked_until
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins or user.locked_until:
                User._default_manager.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            return user
        conf = settings.YIWANG
        failures = user.failed_logins + 1
        locked = None
        if failures >= conf["LOCKOUT_THRESHOLD"]:
            locked = now + dt.timedelta(minutes=conf["LOCKOUT_MINUTES"])
            failures = 0
            if request is not None:
                request.yiwang_locked_until = locked
        User._default_manager.filter(pk=user.pk).update(failed_logins=failures, locked_until=locked)
        return None
