"""证照目录 (GB/T 36902): the licence types the city issues, each with its stable code
(defining body's credit code + 3 digits), slug, issuing line and structured fields."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Department


class LicenceType(models.Model):
    """证照类型: e.g. 食品经营许可证, defined by a body (证照定义机构) and issued by the
    departments of one functional line; ``fields`` lists the structured data (照面信息)."""

    class HolderKind(models.TextChoices):
        PERSON = "person", _("自然人")
        ENTITY = "entity", _("法人和其他组织")
        ANY = "any", _("不限")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在用")
        RETIRED = "retired", _("停用")

    code = models.CharField(_("证照类型代码"), max_length=21, unique=True)
    slug = models.SlugField(_("简码"), max_length=40, unique=True)
    name = models.CharField(_("证照类型名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    definer_name = models.CharField(_("证照定义机构"), max_length=100)
    line = models.CharField(_("颁发条线"), max_length=32, db_index=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("默认颁发部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence_types",
    )
    holder_kind = models.CharField(_("持证主体类别"), max_length=8, choices=HolderKind.choices)
    holder_label = models.CharField(_("持证主体称谓"), max_length=20, default="持证人")
    holder_label_en = models.CharField(_("持证主体称谓（英文）"), max_length=40, blank=True)
    validity_years = models.PositiveSmallIntegerField(
        _("有效期（年）"), null=True, blank=True, help_text=_("留空表示长期有效")
    )
    number_format = models.CharField(
        _("证照编号格式"),
        max_length=80,
        default="{division}{seq:07d}",
        help_text=_(
            "可用 {division} 颁发机构区划、{year} 年份、{seq} 顺序号、{holder_id} 持证主体代码"
        ),
    )
    fields = models.JSONField(_("照面信息项"), default=list, blank=True)
    seal_kind = models.CharField(
        _("用章类型"), max_length=12, blank=True, help_text=_("签发时优先使用的印章类型")
    )
    description = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("证照类型")
        verbose_name_plural = _("证照目录")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The type's name in the reader's language: the catalogue keeps the English name
        beside the Chinese one (the PDF and the signed record keep the Chinese)."""
        return (_english() and self.name_en) or self.name

    @property
    def display_holder_label(self) -> str:
        """称谓 of the holder (名称, 持证人 …) in the reader's language."""
        return (_english() and self.holder_label_en) or self.holder_label

    def field_labels(self) -> dict[str, str]:
        """照面信息 item key → its label in the reader's language (``label_en`` beside
        ``label`` in ``fields``)."""
        english = _english()
        return {
            f["key"]: (english and f.get("label_en")) or f.get("label", f["key"])
            for f in self.fields or []
        }

    @property
    def definer_code(self) -> str:
        """统一社会信用代码 of the defining body: the first 18 characters of the code."""
        return self.code[:18]

    def field_keys(self) -> list[str]:
        return [f["key"] for f in self.fields or []]


def _english() -> bool:
    return (get_language() or "").startswith("en")
