"""消息通知: in-app messages and their deliveries over pluggable channels (email, SMS)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """站内消息 for one user; channel deliveries hang off it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    title_en = models.CharField(_("英文标题"), max_length=200, blank=True)
    body_en = models.TextField(_("英文内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("消息")
        verbose_name_plural = _("消息")

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        """标题 in the reader's language: the English copy written with the message when
        there is one (``yiwang.core.notify.text``), else the Chinese."""
        return (_english() and self.title_en) or self.title

    @property
    def shown_body(self) -> str:
        """内容 in the reader's language (see ``shown_title``)."""
        return (_english() and self.body_en) or self.body


class Delivery(models.Model):
    """One attempt stream to send a notification over a channel (email, sms …)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=16)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")

    def __str__(self) -> str:
        return f"{self.channel}:{self.status}"


def _english() -> bool:
    return (get_language() or "").startswith("en")
