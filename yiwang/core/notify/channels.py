"""Delivery channels (通知渠道): email through Django's mail framework, and SMS through the
configured SMS backend (``yiwang.core.notify.sms``: the log until a gateway is named). A
channel is any class with ``name``, ``can_reach(user)`` and ``send(user, notification)``."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod

from django.conf import settings
from django.core.mail import send_mail

from yiwang.core.masking import mask_phone

logger = logging.getLogger("yiwang.notify")


class ChannelError(Exception):
    """A delivery failed; the message is kept on the Delivery row."""


class Channel(ABC):
    """Base class: subclasses say whom they can reach and how to send."""

    name = ""

    @abstractmethod
    def can_reach(self, user) -> bool:
        """Whether this channel has an address for ``user``."""

    @abstractmethod
    def send(self, user, notification) -> None:
        """Deliver ``notification``; raise ChannelError on failure."""


class EmailChannel(Channel):
    """邮件: sends through settings.EMAIL_BACKEND."""

    name = "email"

    def can_reach(self, user) -> bool:
        return bool(user.email)

    def send(self, user, notification) -> None:
        body = notification.body
        if notification.url:
            body = f"{body}\n\n{notification.url}"
        try:
            send_mail(notification.title, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        except Exception as exc:  # SMTP errors come in many types
            raise ChannelError(f"{type(exc).__name__}: {exc}") from exc


class SmsChannel(Channel):
    """短信: the title (and the body, when there is one) as one plain text, handed to the
    SMS backend of ``YIWANG["SMS_BACKEND"]``; links are not sent by SMS."""

    name = "sms"

    def can_reach(self, user) -> bool:
        return bool(user.phone)

    def send(self, user, notification) -> None:
        from yiwang.core.notify import sms

        title = str(notification.title).strip()
        body = str(getattr(notification, "body", "") or "").strip()
        if body:
            title = title if title.endswith(("。", "！", "？")) else title + "。"
        text = title + body
        try:
            sms.send_sms(user.phone, text)
        except ChannelError:
            raise
        except Exception as exc:  # a gateway's transport errors come in many types
            logger.warning("sms to %s failed", mask_phone(user.phone))
            raise ChannelError(f"{type(exc).__name__}: {exc}") from exc


# The name the settings have always used for the SMS channel.
LoggingSmsChannel = SmsChannel
