"""短信网关 (SMS backends): where the SMS channel hands a text, chosen by
``settings.YIWANG["SMS_BACKEND"]`` — a dotted path of a backend class, or ``"logging"``
(the log, phone masked; development and the demo) or ``"locmem"`` (kept in
:data:`outbox`; tests). A real gateway is one more class with ``send(phone, text)``
that raises :class:`~yiwang.core.notify.channels.ChannelError` when it fails, the way
Django chooses its email backend."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.core.masking import mask_phone

logger = logging.getLogger("yiwang.notify")

ALIASES = {
    "logging": "yiwang.core.notify.sms.LoggingBackend",
    "console": "yiwang.core.notify.sms.LoggingBackend",
    "locmem": "yiwang.core.notify.sms.LocmemBackend",
}


@dataclass(frozen=True)
class SentSms:
    """One text handed to the in-memory backend."""

    phone: str
    text: str


# What LocmemBackend has sent in this process (tests read and clear it).
outbox: list[SentSms] = []


class BaseBackend(ABC):
    """An SMS gateway: deliver ``text`` to ``phone`` or raise ``ChannelError``."""

    @abstractmethod
    def send(self, phone: str, text: str) -> None:
        """Hand one text to the gateway."""


class LoggingBackend(BaseBackend):
    """Writes each text to the ``yiwang.notify`` log, the phone number masked."""

    def send(self, phone: str, text: str) -> None:
        logger.info("sms to %s: %s", mask_phone(phone), text)


class LocmemBackend(BaseBackend):
    """Keeps each text in :data:`outbox` (and logs it as the logging backend does)."""

    def send(self, phone: str, text: str) -> None:
        outbox.append(SentSms(phone, text))
        LoggingBackend().send(phone, text)


@cache
def _load(path: str) -> BaseBackend:
    return import_string(path)()


def backend() -> BaseBackend:
    """The configured backend (``YIWANG["SMS_BACKEND"]``, default the log)."""
    name = str(settings.YIWANG.get("SMS_BACKEND") or "logging")
    return _load(ALIASES.get(name, name))


def send_sms(phone: str, text: str) -> None:
    """Send one text through the configured backend."""
    backend().send(phone, text)
