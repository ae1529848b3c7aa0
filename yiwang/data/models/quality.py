"""数据质量: quality rules as data and their results per batch, kept over time."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Department
from yiwang.data.models.catalogue import DataResource
from yiwang.data.models.ingest import ImportBatch


class QualityRule(models.Model):
    """质量规则: a check over one dimension, for a resource or (resource=None) every
    resource whose items use ``element``."""

    class Dimension(models.TextChoices):
        COMPLETENESS = "completeness", _("完整性")
        VALIDITY = "validity", _("有效性")
        UNIQUENESS = "uniqueness", _("唯一性")
        CONSISTENCY = "consistency", _("一致性")
        TIMELINESS = "timeliness", _("及时性")

    code = models.CharField(_("规则编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    dimension = models.CharField(_("质量维度"), max_length=14, choices=Dimension.choices)
    resource = models.ForeignKey(
        DataResource, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    element = models.ForeignKey(
        "data.DataElement", null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    params = models.JSONField(_("参数"), default=dict, blank=True)
    weight = models.PositiveSmallIntegerField(_("权重"), default=1)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("质量规则")
        verbose_name_plural = _("质量规则")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class QualityResult(models.Model):
    """质量检查结果: how many rows a rule checked and failed in one batch or census run."""

    rule = models.ForeignKey(QualityRule, on_delete=models.CASCADE, related_name="results")
    resource = models.ForeignKey(DataResource, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.CASCADE, related_name="quality"
    )
    checked = models.PositiveIntegerField(_("检查数"), default=0)
    failed = models.PositiveIntegerField(_("问题数"), default=0)
    at = models.DateTimeField(_("检查时间"), db_index=True)

    class Meta:
        ordering = ["-at", "rule"]
        verbose_name = _("质量检查结果")
        verbose_name_plural = _("质量检查结果")

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.at:%Y-%m-%d %H:%M}"

    @property
    def score(self) -> float:
        return 100.0 if not self.checked else round(100.0 * (1 - self.failed / self.checked), 2)
