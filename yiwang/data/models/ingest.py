"""归集: import batches from files or pulled sources, quarantined rows kept with their
reasons until fixed, and conflicts between sources awaiting resolution."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yiwang.core.fields import EncryptedTextField
from yiwang.core.models import Department, StoredFile
from yiwang.data.models.catalogue import DataResource


class ImportBatch(StoredFile):
    """批次: one load of rows into a resource, with counts and a resumable checkpoint.
    Its source file is a stored file (SM4 encrypted at rest); the ``sm3`` of the source
    bytes plus the resource make a re-run find its batch."""

    class Status(models.TextChoices):
        PENDING = "pending", _("等待处理")
        RUNNING = "running", _("处理中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class Source(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"
        JSON = "json", "JSON"
        PULL = "pull", _("接口拉取")
        RESUBMIT = "resubmit", _("问题数据重新提交")

    resource = models.ForeignKey(
        DataResource, verbose_name=_("数据资源"), on_delete=models.PROTECT, related_name="batches"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("提供部门"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    file = models.FileField(_("文件"), upload_to="ingest/%Y/%m/", max_length=300, blank=True)
    name = models.CharField(_("文件名"), max_length=200, blank=True)
    sm3 = models.CharField(_("SM3 摘要"), max_length=64, blank=True, db_index=True)
    encoding = models.CharField(_("编码"), max_length=16, blank=True)
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)  # column → item name
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    error = models.TextField(_("错误"), blank=True)
    # Why the batch failed, for callers (e.g. ``limit_rows``), and its message in each
    # language of the site, so a refused file reads in the reader's language.
    error_code = models.CharField(_("错误代码"), max_length=40, blank=True)
    error_texts = models.JSONField(_("错误说明（各语言）"), default=dict, blank=True)
    total = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    processed = models.PositiveIntegerField(_("已处理"), default=0)  # checkpoint: rows done
    created = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    quarantined = models.PositiveIntegerField(_("问题数据"), default=0)
    conflicts = models.PositiveIntegerField(_("冲突"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("归集批次")
        verbose_name_plural = _("归集批次")

    def __str__(self) -> str:
        return f"#{self.pk} {self.name or self.source}"

    @property
    def division(self):
        return self.department.division

    @property
    def error_message(self) -> str:
        """The batch's error in the active language (else as it was recorded)."""
        texts = self.error_texts or {}
        return texts.get(get_language() or "", "") or self.error


class QuarantinedRow(models.Model):
    """问题数据: a row that failed validation, kept whole (encrypted) with its reasons
    until it is fixed and re-submitted — nothing is dropped."""

    class Status(models.TextChoices):
        OPEN = "open", _("待修正")
        FIXED = "fixed", _("已修正入库")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="bad_rows")
    row_number = models.PositiveIntegerField(_("行号"))
    values = EncryptedTextField(_("原始内容"))  # JSON object of column → raw text
    reasons = models.JSONField(_("问题原因"), default=list)  # [{"field","code","message"}]
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    fixed_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="fixed_rows"
    )

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="quarantine_row_once")
        ]
        verbose_name = _("问题数据")
        verbose_name_plural = _("问题数据")

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"


class Conflict(models.Model):
    """数据冲突: two departments supplied different values for one field of one record;
    the authoritative source's value stands and the other department resolves."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        ACCEPTED = "accepted", _("已采纳权威值")
        OBJECTED = "objected", _("已提出数据异议")

    registry = models.CharField(_("基础库"), max_length=16)
    record_id = models.BigIntegerField(_("记录"))
    field = models.CharField(_("字段"), max_length=40)
    element = models.ForeignKey(
        "data.DataElement", null=True, on_delete=models.PROTECT, related_name="+"
    )
    authoritative_value = EncryptedTextField(_("权威值"), blank=True)
    other_value = EncryptedTextField(_("本部门值"), blank=True)
    authority = models.ForeignKey(
        Department, verbose_name=_("权威部门"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("提供部门"), on_delete=models.PROTECT, related_name="+"
    )
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="conflict_set"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("数据冲突")
        verbose_name_plural = _("数据冲突")

    def __str__(self) -> str:
        return f"{self.registry}#{self.record_id}.{self.field}"

    @property
    def division(self):
        return self.department.division


class PullSource(models.Model):
    """接口归集源: an HTTP JSON endpoint the platform pulls a resource from on a schedule."""

    resource = models.ForeignKey(
        DataResource, verbose_name=_("数据资源"), on_delete=models.PROTECT, related_name="pulls"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("提供部门"), on_delete=models.PROTECT, related_name="+"
    )
    url = models.URLField(_("接口地址"), max_length=400)
    records_path = models.CharField(_("记录所在路径"), max_length=100, blank=True)
    headers = EncryptedTextField(_("请求头（JSON）"), blank=True)  # may hold credentials
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    interval_minutes = models.PositiveIntegerField(_("拉取间隔（分钟）"), default=1440)
    enabled = models.BooleanField(_("启用"), default=True)
    last_run_at = models.DateTimeField(_("上次拉取"), null=True, blank=True)
    last_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_error = models.TextField(_("上次错误"), blank=True)

    class Meta:
        verbose_name = _("接口归集源")
        verbose_name_plural = _("接口归集源")

    def __str__(self) -> str:
        return self.url

    @property
    def division(self):
        return self.department.division
