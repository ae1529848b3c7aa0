"""数据异议: a consumer flags a registry value as wrong; the authoritative department
verifies and corrects (new version, consumers told) or explains; the requester is told."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.fields import EncryptedTextField
from yiwang.core.models import Case, Department


class DataObjection(models.Model):
    """数据异议 on one field of one registry record, run on the workflow engine."""

    class Outcome(models.TextChoices):
        PENDING = "", _("处理中")
        CORRECTED = "corrected", _("已更正")
        EXPLAINED = "explained", _("已说明（数据无误）")

    number = models.CharField(_("异议编号"), max_length=40, unique=True)
    registry = models.CharField(_("基础库"), max_length=16)
    record_id = models.BigIntegerField(_("记录"))
    field = models.CharField(_("字段"), max_length=40)
    current_value = EncryptedTextField(_("当前值"), blank=True)
    proposed_value = EncryptedTextField(_("建议值"), blank=True)
    reason = models.TextField(_("异议理由"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requester = models.ForeignKey(
        Department, verbose_name=_("提出部门"), on_delete=models.PROTECT, related_name="+"
    )
    authority = models.ForeignKey(
        Department, verbose_name=_("权威部门"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(
        _("处理结果"), max_length=10, choices=Outcome.choices, blank=True, default=""
    )
    reply = models.TextField(_("答复"), blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("数据异议")
        verbose_name_plural = _("数据异议")

    def __str__(self) -> str:
        return self.number
