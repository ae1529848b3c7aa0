"""自定义名册 (registries defined by schema): a department's data steward describes a
registry — 高龄津贴名册, 网格员名册 … — with a JSON Schema, an owner department, a data
grade (分级) and, per field, whether it is personal and how it is masked (脱敏). Its
records are stored generically: plain values in a JSON column, personal values SM4
encrypted for their row with a blind index per field, superseded values in
``RecordHistory`` like the base registries'. The four base registries have a definition
too (``builtin``), so the GovStack database API lists every registry through one table."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.fields import EncryptedTextField, IndexBytesField
from yiwang.core.models import Department
from yiwang.data.models.catalogue import DataResource, Grade


class RegistryDefinition(models.Model):
    """名册定义: one registry's schema and metadata. ``fields`` is derived from ``schema``
    when it is saved (name, title, type, personal, mask, required, primary); ``version``
    moves on with every change of the schema, and the GovStack API serves every version
    up to the current one (schema and API versions are kept in step)."""

    code = models.CharField(_("名册代码"), max_length=16, unique=True)
    name = models.CharField(_("名册名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)
    group_name = models.CharField(_("分组"), max_length=100, blank=True)
    catalog_name = models.CharField(_("目录"), max_length=100, blank=True)
    owner = models.ForeignKey(
        Department, verbose_name=_("所属部门"), on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField(_("数据级别"), max_length=12, choices=Grade.choices)
    schema = models.JSONField(_("结构（JSON Schema）"), default=dict)
    fields = models.JSONField(_("字段"), default=list)
    primary_key = models.CharField(_("主键字段"), max_length=40)
    version = models.CharField(_("版本"), max_length=20, default="1.0")
    next_number = models.PositiveIntegerField(_("自动编号"), default=0)
    builtin = models.BooleanField(_("平台基础库"), default=False)
    resource = models.ForeignKey(
        DataResource,
        verbose_name=_("目录资源"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    archived_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    modified_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("名册定义")
        verbose_name_plural = _("名册定义")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def division(self):
        return self.owner.division

    @property
    def department(self):
        return self.owner

    def field(self, name: str) -> dict | None:
        return next((f for f in self.fields if f["name"] == name), None)

    def personal_fields(self) -> list[str]:
        return [f["name"] for f in self.fields if f.get("personal")]


class DefinedRecord(models.Model):
    """名册记录: one record of a defined registry. ``data`` holds the values of fields not
    graded personal; ``secret`` the personal ones as SM4-encrypted JSON bound to the row;
    ``indexes`` a blind index (HMAC-SM3) per personal value for exact lookups; ``key_index``
    the blind index of the primary key, unique within the registry."""

    definition = models.ForeignKey(
        RegistryDefinition, on_delete=models.PROTECT, related_name="records"
    )
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(_("主键"), max_length=200, blank=True)  # "" when personal
    key_index = IndexBytesField()
    data = models.JSONField(_("字段值"), default=dict)
    secret = EncryptedTextField(_("个人信息字段值"), blank=True)
    indexes = models.JSONField(default=dict)
    version = models.PositiveIntegerField(_("版本"), default=1)
    source_department = models.ForeignKey(
        Department, verbose_name=_("来源部门"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        ordering = ["definition", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["definition", "key_index"], name="defined_record_key_once"
            )
        ]
        verbose_name = _("名册记录")
        verbose_name_plural = _("名册记录")

    def __str__(self) -> str:
        return f"{self.definition_id}#{self.pk}"
