"""Login lockout (登录失败锁定): count consecutive failures, lock for a while at the limit."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone


def locked_until(user) -> dt.datetime | None:
    """When the user's lock ends, or None when they may try now."""
    if user.locked_until and user.locked_until > timezone.now():
        return user.locked_until
    return None


def register_failure(user) -> dt.datetime | None:
    """Count one failed attempt (wrong password or wrong 动态口令); return the lock end when
    this failure reaches ``LOCKOUT_THRESHOLD``."""
    conf = settings.YIWANG
    users = get_user_model()._default_manager.filter(pk=user.pk)
    with transaction.atomic():
        # Increment in the database: parallel guesses cannot overwrite each other's count.
        users.update(failed_logins=F("failed_logins") + 1)
        failures = users.values_list("failed_logins", flat=True).get()
        until = None
        if failures >= conf["LOCKOUT_THRESHOLD"]:
            until = timezone.now() + dt.timedelta(minutes=conf["LOCKOUT_MINUTES"])
            failures = 0
            users.update(failed_logins=0, locked_until=until)
    user.failed_logins, user.locked_until = failures, until
    return until


def reset(user) -> None:
    """Clear the failure count after a complete login."""
    if user.failed_logins or user.locked_until:
        get_user_model()._default_manager.filter(pk=user.pk).update(
            failed_logins=0, locked_until=None
        )
        user.failed_logins, user.locked_until = 0, None
