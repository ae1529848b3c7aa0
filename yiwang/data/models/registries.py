"""基础库: people (人口库), legal entities (法人库), credit records (信用库) and places
(空间地理库). Every record carries its provenance; personal values are SM4-encrypted
with blind indexes; superseded values are kept in ``RecordHistory``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.fields import BlindIndexField, EncryptedTextField
from yiwang.core.models import Department, Division


class RegistryRecord(models.Model):
    """Provenance every registry row carries: which resource, department and batch last
    wrote it, its version and when. ``sources`` maps each field to the department whose
    value it holds, so the authoritative source can be told from the rest."""

    source_resource = models.ForeignKey(
        "data.DataResource",
        verbose_name=_("来源资源"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_department = models.ForeignKey(
        Department, verbose_name=_("来源部门"), on_delete=models.PROTECT, related_name="+"
    )
    batch = models.ForeignKey(
        "data.ImportBatch",
        verbose_name=_("批次"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    sources = models.JSONField(_("字段来源"), default=dict, blank=True)
    created_at = models.DateTimeField(_("首次归集时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    class Meta:
        abstract = True


class Person(RegistryRecord):
    """人口库: one resident, keyed by ID number (blind index); personal values encrypted."""

    id_number = EncryptedTextField(_("公民身份号码"))
    id_number_index = BlindIndexField(source="id_number", unique=True)
    name = EncryptedTextField(_("姓名"))
    name_index = BlindIndexField(source="name")
    gender = models.CharField(_("性别"), max_length=1, blank=True)  # GB/T 2261.1: 1 男 2 女
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    division = models.ForeignKey(
        Division,
        verbose_name=_("户籍区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ethnicity = models.CharField(_("民族"), max_length=2, blank=True)  # GB/T 3304 code
    address = EncryptedTextField(_("住址"), blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)
    phone_index = BlindIndexField(source="phone")

    class Meta:
        verbose_name = _("人口")
        verbose_name_plural = _("人口库")

    def __str__(self) -> str:
        return f"Person #{self.pk}"


class LegalEntity(RegistryRecord):
    """法人库: one legal person or market entity, keyed by 统一社会信用代码."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    entity_type = models.CharField(_("主体类型"), max_length=2, blank=True)  # code chars 1–2
    legal_rep_name = EncryptedTextField(_("法定代表人"), blank=True)
    legal_rep_id = EncryptedTextField(_("法定代表人身份证号"), blank=True)
    legal_rep_id_index = BlindIndexField(source="legal_rep_id")
    registered_capital = models.DecimalField(
        _("注册资本（万元）"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    established = models.DateField(_("成立日期"), null=True, blank=True)
    division = models.ForeignKey(
        Division,
        verbose_name=_("登记区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField(_("住所"), max_length=200, blank=True)
    industry = models.CharField(_("行业代码"), max_length=8, blank=True)  # GB/T 4754
    status = models.CharField(_("登记状态"), max_length=16, blank=True)
    business_scope = models.TextField(_("经营范围"), blank=True)

    class Meta:
        # 基础库 search results, newest change first (``data.queries.registries``).
        indexes = [models.Index(fields=["updated_at", "id"], name="data_legalentity_updated")]
        verbose_name = _("法人")
        verbose_name_plural = _("法人库")

    def __str__(self) -> str:
        return f"{self.credit_code} {self.name}"


class CreditRecord(RegistryRecord):
    """信用库: one credit record (行政许可, 行政处罚, 红黑名单 …) about a legal entity or
    person, keyed by its record number."""

    class Kind(models.TextChoices):
        LICENSING = "licensing", _("行政许可")
        PENALTY = "penalty", _("行政处罚")
        REDLIST = "redlist", _("守信激励（红名单）")
        BLACKLIST = "blacklist", _("失信惩戒（黑名单）")
        COMMITMENT = "commitment", _("信用承诺")
        OTHER = "other", _("其他")

    record_number = models.CharField(_("记录编号"), max_length=64, unique=True)
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    subject_code = models.CharField(_("主体统一社会信用代码"), max_length=18, db_index=True)
    subject_name = models.CharField(_("主体名称"), max_length=200)
    title = models.CharField(_("事项"), max_length=200)
    content = models.TextField(_("内容"), blank=True)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    authority = models.CharField(_("决定机关"), max_length=120, blank=True)

    class Meta:
        # 基础库 search results, newest change first (``data.queries.registries``).
        indexes = [models.Index(fields=["updated_at", "id"], name="data_creditrecord_updated")]
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用库")

    def __str__(self) -> str:
        return self.record_number


class Place(RegistryRecord):
    """空间地理库: a named place with WGS84 coordinates (GCJ-02 only at the map edge)."""

    code = models.CharField(_("地名地址编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    kind = models.CharField(_("类别"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    division = models.ForeignKey(
        Division,
        verbose_name=_("所在区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    longitude = models.FloatField(_("经度（WGS84）"))
    latitude = models.FloatField(_("纬度（WGS84）"))

    class Meta:
        # 基础库 search results, newest change first (``data.queries.registries``).
        indexes = [models.Index(fields=["updated_at", "id"], name="data_place_updated")]
        verbose_name = _("地点")
        verbose_name_plural = _("空间地理库")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RecordHistory(models.Model):
    """历史版本: the values a registry record held before a change (encrypted JSON, since
    they may be personal), with who supplied them and when they were replaced."""

    registry = models.CharField(_("基础库"), max_length=16)
    record_id = models.BigIntegerField(_("记录"))
    version = models.PositiveIntegerField(_("版本"))
    values = EncryptedTextField(_("原值"))
    source_department = models.ForeignKey(
        Department, verbose_name=_("来源部门"), on_delete=models.PROTECT, related_name="+"
    )
    batch = models.ForeignKey(
        "data.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_at = models.DateTimeField(_("替换时间"))
    replaced_by = models.CharField(_("替换原因"), max_length=64, blank=True)

    class Meta:
        ordering = ["registry", "record_id", "version"]
        indexes = [models.Index(fields=["registry", "record_id"])]
        verbose_name = _("历史版本")
        verbose_name_plural = _("历史版本")

    def __str__(self) -> str:
        return f"{self.registry}#{self.record_id} v{self.version}"
