"""电子证照 (GB/T 36903 metadata): one issued licence with its GB/T 36904 identifier,
holder (encrypted, blind-indexed), validity, structured data, the sealed PDF and its
status history (01 有效 … 99 其他)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.fields import BlindIndexField, EncryptedTextField, json_value
from yiwang.core.models import Department


class Status(models.TextChoices):
    """证照状态 (GB/T 36903 code list)."""

    VALID = "01", _("有效")
    SUSPENDED = "02", _("暂扣")
    REVOKED = "03", _("撤销")
    CANCELLED = "04", _("注销")
    EXPIRED = "05", _("失效")
    TRANSFERRED = "06", _("转出")
    WITHDRAWN = "07", _("吊销")
    OTHER = "99", _("其他")


class HolderIdType(models.TextChoices):
    """证照持有人身份标识类型 (after GA/T 517 and the national platform's code list)."""

    ID_CARD = "111", _("居民身份证")
    PASSPORT = "414", _("普通护照")
    HK_MACAO = "516", _("港澳居民来往内地通行证")
    TAIWAN = "511", _("台湾居民来往大陆通行证")
    FOREIGN_PR = "553", _("外国人永久居留身份证")
    USCC = "001", _("统一社会信用代码")
    BUSINESS_LICENCE = "049", _("营业执照")
    OTHER_ENTITY = "099", _("其他法人或其他组织有效证件")


ENTITY_ID_TYPES = frozenset({"001", "049", "099"})


def licence_upload_to(instance: Licence, filename: str) -> str:
    return f"licences/{instance.issued_on:%Y/%m}/{filename}"


class CheckedQuerySet(models.QuerySet):
    """Licences and seals: a bulk write in this process also drops the verification
    checks kept for them (``yiwang.licences.verify``), as a save does."""

    def update(self, **kwargs) -> int:
        from yiwang.licences.verify import forget_checks

        done = super().update(**kwargs)
        forget_checks()
        return done

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(self, objs, fields, batch_size=None) -> int:
        from yiwang.licences.verify import forget_checks

        done = super().bulk_update(objs, fields, batch_size=batch_size)
        forget_checks()
        return done

    bulk_update.alters_data = True  # type: ignore[attr-defined]


class Licence(models.Model):
    """电子证照: the record, the PDF file (照面, rendered deterministically) and the
    electronic signature stored beside it (``sign_data`` + ``signature``, GB/T 38540)."""

    Status = Status

    identifier = models.CharField(_("电子证照标识"), max_length=128, unique=True)
    licence_type = models.ForeignKey(
        "licences.LicenceType",
        verbose_name=_("证照类型"),
        on_delete=models.PROTECT,
        related_name="licences",
    )
    number = models.CharField(_("证照编号"), max_length=64, db_index=True)
    serial = models.CharField(_("流水号"), max_length=40)
    version = models.PositiveSmallIntegerField(_("版本号"), default=1)
    issuer = models.ForeignKey(
        Department, verbose_name=_("颁发机构"), on_delete=models.PROTECT, related_name="licences"
    )
    issuer_code = models.CharField(_("颁发机构代码"), max_length=32)
    issuer_name = models.CharField(_("颁发机构名称"), max_length=100)
    holder_name = EncryptedTextField(_("持证主体"))
    holder_id = EncryptedTextField(_("持证主体代码"))
    holder_id_index = BlindIndexField(source="holder_id")
    holder_id_type = models.CharField(
        _("持证主体代码类型"), max_length=3, choices=HolderIdType.choices
    )
    issued_on = models.DateField(_("颁证日期"))
    valid_from = models.DateField(_("有效期起始"))
    valid_until = models.DateField(_("有效期截止"), null=True, blank=True)
    data_json = EncryptedTextField(_("照面信息（JSON）"), blank=True)
    status = models.CharField(
        _("证照状态"), max_length=2, choices=Status.choices, default=Status.VALID, db_index=True
    )
    status_reason = models.CharField(_("状态变更原因"), max_length=500, blank=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=120, blank=True)
    pdf = models.FileField(_("证照文件"), upload_to=licence_upload_to, max_length=200)
    pdf_digest = models.CharField(_("文件 SM3 摘要"), max_length=64, db_index=True)
    pdf_size = models.PositiveIntegerField(_("文件大小"), default=0)
    token = models.CharField(_("核验码"), max_length=32)
    seal = models.ForeignKey(
        "licences.Seal", verbose_name=_("电子印章"), on_delete=models.PROTECT, related_name="+"
    )
    sign_data = models.TextField(_("签章数据"))
    signature = models.TextField(_("SM2 签名（Base64）"))
    signed_at = models.DateTimeField(_("签章时间"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("入库时间"), auto_now_add=True)

    objects = CheckedQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "issuer", "serial", "version"], name="licence_serial"
            )
        ]
        indexes = [models.Index(fields=["holder_id_index", "licence_type"], name="licence_holder")]

    def __str__(self) -> str:
        return f"{self.licence_type.name} {self.number}"

    @property
    def data(self) -> dict[str, Any]:
        """照面信息 as a dict (stored SM4-encrypted: it may hold personal data)."""
        return json_value(self.data_json, {})

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self.data_json = json.dumps(value or {}, ensure_ascii=False, sort_keys=True)


class LicenceEvent(models.Model):
    """证照状态变更记录: every issue, suspension, restoration, revocation, cancellation,
    吊销 and expiry, with its reason and who made it."""

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=16)
    from_status = models.CharField(_("原状态"), max_length=2, blank=True)
    to_status = models.CharField(_("新状态"), max_length=2)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("证照状态变更")
        verbose_name_plural = _("证照状态变更")

    def __str__(self) -> str:
        return f"{self.licence_id} {self.from_status}→{self.to_status}"
