"""预警信息发布: a warning published to chosen areas and groups through the notification
channels, with a record of who was reached."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Division, Notification


class Warning(models.Model):
    """预警信息."""

    class Level(models.TextChoices):
        BLUE = "blue", _("蓝色")
        YELLOW = "yellow", _("黄色")
        ORANGE = "orange", _("橙色")
        RED = "red", _("红色")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        CANCELLED = "cancelled", _("已解除")

    number = models.CharField(_("编号"), max_length=40, unique=True)
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"))
    kind = models.CharField(_("类别"), max_length=30)
    level = models.CharField(_("级别"), max_length=8, choices=Level.choices)
    divisions = models.ManyToManyField(Division, verbose_name=_("发布区域"), related_name="+")
    groups = models.JSONField(_("发布对象"), default=list)
    channels = models.JSONField(_("发布渠道"), default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    reached = models.PositiveIntegerField(_("送达人数"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("预警信息")
        verbose_name_plural = _("预警信息")

    def __str__(self) -> str:
        return self.title


class WarningRecipient(models.Model):
    """One person a warning was sent to, with the in-app message carrying it."""

    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="recipients")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warning", "user"], name="warning_recipient_once")
        ]
        verbose_name = _("预警接收人")
        verbose_name_plural = _("预警接收人")

    def __str__(self) -> str:
        return f"{self.warning_id}→{self.user_id}"
