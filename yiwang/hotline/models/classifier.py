"""诉求自动分类 learning from operation: the labels agents give (分类确认与纠正) and the
versions of the model (模型版本) trained on them, kept as data (JSON, never pickles)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.hotline.models.categories import Category
from yiwang.hotline.models.tickets import Ticket


class VersionStatus(models.TextChoices):
    """Where a model version stands: trained and waiting, in use, replaced, or refused
    because it did not beat the version in use on the held-out labels."""

    CANDIDATE = "candidate", _("候选")
    ACTIVE = "active", _("在用")
    RETIRED = "retired", _("已停用")
    REJECTED = "rejected", _("未通过")


class ClassifierVersion(models.Model):
    """分类模型版本: one trained model (``model``: the exported JSON; empty for the
    model shipped with the platform, read from its file), its held-out figures
    (``metrics``: per leaf and per 大类 precision/recall/F1, macro-F1, accuracy — of this
    version and of the one in use when it was trained), what it was trained on
    (``counts``), and who trained and promoted it."""

    number = models.PositiveIntegerField(_("版本号"), unique=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.CANDIDATE
    )
    model = models.JSONField(_("模型"), default=dict, blank=True)
    metrics = models.JSONField(_("评估指标"), default=dict, blank=True)
    counts = models.JSONField(_("训练数据量"), default=dict, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("训练时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("训练人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    promoted_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    promoted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("启用人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-number"]
        verbose_name = _("分类模型版本")
        verbose_name_plural = _("分类模型版本")
        indexes = [models.Index(fields=["status"], name="hotline_clfver_status")]

    def __str__(self) -> str:
        return f"v{self.number}"


class LabelVerdict(models.TextChoices):
    """An agent's word on the suggested category: kept as it was, or changed."""

    CONFIRMED = "confirmed", _("确认")
    CORRECTED = "corrected", _("纠正")


class ClassificationLabel(models.Model):
    """分类标注: the leaf an agent settled on for a ticket (confirming or correcting the
    model's suggestion), with the suggestion and the model version that made it — the
    training and evaluation data of the next version."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("工单"), on_delete=models.CASCADE, related_name="labels"
    )
    leaf = models.ForeignKey(
        Category, verbose_name=_("确定分类"), on_delete=models.PROTECT, related_name="+"
    )
    predicted = models.ForeignKey(
        Category,
        verbose_name=_("自动分类"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    model_version = models.PositiveIntegerField(_("模型版本"), null=True, blank=True)
    verdict = models.CharField(_("结论"), max_length=10, choices=LabelVerdict.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("标注人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("标注时间"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("分类标注")
        verbose_name_plural = _("分类标注")
        indexes = [models.Index(fields=["at"], name="hotline_clflabel_at")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.leaf_id} ({self.verdict})"
