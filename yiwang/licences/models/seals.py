"""电子印章 (GB/T 38540): a department's seal with its own SM2 key pair, image and the
seal data signed by the platform as seal maker (制章者); every use is logged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Department
from yiwang.licences.models.licences import CheckedQuerySet

SEAL_KEY_CONTEXT = "licences.Seal.sm2_private"


class Seal(models.Model):
    """电子印章: owner department, name, kind, code, SM2 key (private half SM4-encrypted),
    image (SVG) and ``seal_data`` (canonical JSON) signed by the platform key."""

    class Kind(models.TextChoices):
        OFFICIAL = "official", _("公章")
        LICENSING = "licensing", _("行政审批专用章")
        BUSINESS = "business", _("业务专用章")
        CONTRACT = "contract", _("合同专用章")
        FINANCE = "finance", _("财务专用章")

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        DISABLED = "disabled", _("停用")

    owner = models.ForeignKey(
        Department, verbose_name=_("用章部门"), on_delete=models.PROTECT, related_name="seals"
    )
    name = models.CharField(_("印章名称"), max_length=60)
    kind = models.CharField(_("印章类型"), max_length=12, choices=Kind.choices)
    code = models.CharField(_("印章编码"), max_length=32, unique=True)
    sm2_public_pem = models.TextField(_("SM2 公钥"))
    sm2_private_enc = models.TextField(_("SM2 私钥（SM4 加密）"), editable=False)
    image_svg = models.TextField(_("印模图像（SVG）"))
    seal_data = models.TextField(_("印章数据"))
    maker_signature = models.TextField(_("制章者签名（Base64）"))
    maker_key_id = models.CharField(_("制章者密钥标识"), max_length=16)
    valid_from = models.DateField(_("有效期起始"))
    valid_until = models.DateField(_("有效期截止"))
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    disabled_reason = models.CharField(_("停用原因"), max_length=500, blank=True)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("制章申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("制作时间"), auto_now_add=True)

    objects = CheckedQuerySet.as_manager()

    class Meta:
        ordering = ["owner_id", "kind", "pk"]
        verbose_name = _("电子印章")
        verbose_name_plural = _("电子印章")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class SealUsage(models.Model):
    """用章记录: which seal signed which document (digest), for whom, by whom, when, why."""

    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="usages")
    licence = models.ForeignKey(
        "licences.Licence",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="seal_usages",
    )
    document_type = models.CharField(_("文档类型"), max_length=32, default="licence")
    document_ref = models.CharField(_("文档标识"), max_length=128)
    digest = models.CharField(_("文档 SM3 摘要"), max_length=64)
    purpose = models.CharField(_("用途"), max_length=200)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用章人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("用章人"), max_length=150)
    at = models.DateTimeField(_("用章时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("用章记录")
        verbose_name_plural = _("用章记录")

    def __str__(self) -> str:
        return f"{self.seal_id} {self.document_ref}"
