"""开放数据集: a dataset a department opens to the public."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dataset(models.Model):
    """One open dataset (开放数据集), published by its providing department."""

    class Condition(models.TextChoices):
        UNCONDITIONAL = "unconditional", _("无条件开放")
        CONDITIONAL = "conditional", _("有条件开放")

    code = models.CharField(_("数据集编码"), max_length=40, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    summary = models.TextField(_("简介"), blank=True)
    department = models.ForeignKey(
        "core.Department",
        on_delete=models.PROTECT,
        related_name="open_datasets",
        verbose_name=_("提供部门"),
    )
    condition = models.CharField(
        _("开放属性"), max_length=20, choices=Condition.choices, default=Condition.UNCONDITIONAL
    )
    published_at = models.DateTimeField(_("发布时间"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("开放数据集")
        verbose_name_plural = _("开放数据集")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
