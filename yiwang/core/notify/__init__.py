"""消息通知: in-app messages plus deliveries over pluggable channels (email, SMS).

Channels are named in ``settings.YIWANG["NOTIFY_CHANNELS"]`` ({name: dotted path}); the
write is ``yiwang.core.actions.notify.do_notify`` and sending happens in a background task.
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.core.notify.channels import Channel, ChannelError

__all__ = ["Channel", "ChannelError", "channel", "channel_names", "unread_count"]


def channel_names() -> list[str]:
    """The configured channel names, e.g. ["email", "sms"]."""
    return list(settings.YIWANG.get("NOTIFY_CHANNELS", {}))


@cache
def _load(path: str) -> Channel:
    return import_string(path)()


def channel(name: str) -> Channel:
    """The channel instance configured under ``name`` (KeyError when not configured)."""
    return _load(settings.YIWANG["NOTIFY_CHANNELS"][name])


def unread_count(user) -> int:
    """Unread in-app messages of ``user`` (0 for anonymous users)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return user.notifications.filter(read_at__isnull=True).count()
