"""Delivery channels (通知渠道): email through Django's mail framework, and an SMS channel
that only logs (a masked phone number) until an SMS gateway is configured. A channel is
any class with ``name``, ``can_reach(user)`` and ``send(user, notification)``."""

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


class LoggingSmsChannel(Channel):
    """短信 (development): writes the message to the log with the phone number masked."""

    name = "sms"

    def can_reach(self, user) -> bool:
        return bool(user.phone)

    def send(self, user, notification) -> None:
        logger.info("sms to %s: %s", mask_phone(user.phone), notification.title)
