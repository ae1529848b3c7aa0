"""数据元 (一数一源一标准): the registry of data elements — type, format, validator, code
list — each with exactly one authoritative source department."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Department


class DataElement(models.Model):
    """数据元: one standard for one kind of value, and one department that is its source."""

    class DataType(models.TextChoices):
        STRING = "string", _("字符型")
        INTEGER = "integer", _("整数型")
        DECIMAL = "decimal", _("数值型")
        DATE = "date", _("日期型")
        DATETIME = "datetime", _("日期时间型")
        CODE = "code", _("代码型")
        BOOLEAN = "boolean", _("布尔型")

    code = models.CharField(_("数据元编码"), max_length=20, unique=True)
    name = models.CharField(_("中文名称"), max_length=60, unique=True)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True)
    definition = models.TextField(_("定义"), blank=True)
    data_type = models.CharField(_("数据类型"), max_length=12, choices=DataType.choices)
    max_length = models.PositiveIntegerField(_("最大长度"), null=True, blank=True)
    pattern = models.CharField(_("格式（正则）"), max_length=200, blank=True)
    # Named validator from yiwang.data.standards.VALIDATORS (e.g. "id_number").
    validator = models.CharField(_("校验规则"), max_length=40, blank=True)
    code_list = models.JSONField(_("代码表"), default=dict, blank=True)
    personal = models.BooleanField(_("个人信息"), default=False)
    sensitive = models.BooleanField(_("敏感个人信息"), default=False)
    source_department = models.ForeignKey(
        Department,
        verbose_name=_("权威来源部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authoritative_elements",
    )
    standard = models.CharField(_("依据标准"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("数据元")
        verbose_name_plural = _("数据元")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def mask_kind(self) -> str | None:
        """How a value of this element is masked (脱敏) wherever it is shown or exported:
        ``None`` unless the element is graded personal (个人信息); then by what it is — an
        ID number or a mobile by its validator, a date, a name (姓名), an address (住址),
        and anything sensitive or otherwise personal hidden whole. The kinds are those of
        ``core.masking.mask_value``."""
        if not self.personal:
            return None
        if self.validator in ("id_number", "mobile"):
            return self.validator
        if self.data_type in (self.DataType.DATE, self.DataType.DATETIME):
            return "date"
        if self.sensitive or self.data_type == self.DataType.CODE:
            return "secret"
        if "姓名" in self.name:
            return "name"
        if "址" in self.name:
            return "address"
        return "secret"
