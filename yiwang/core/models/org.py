"""Organisation: 行政区划 (Division), 部门 (Department), 组织 (OrgUnit = 区划 × 部门)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Division(models.Model):
    """行政区划 (GB/T 2260 tree) or a management zone such as 城乡一体化示范区.

    ``parent`` is the legal parent; ``zone`` links a legal division to the management zone
    that runs it without changing its legal parent. ``path`` ("/410800/410811/...") makes
    subtree queries one indexed prefix match.
    """

    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("市")
        COUNTY = "county", _("县区")
        TOWNSHIP = "township", _("乡镇街道")
        VILLAGE = "village", _("村社区")

    class Kind(models.TextChoices):
        LEGAL = "legal", _("法定行政区划")
        ZONE = "zone", _("管理区（非法定区划）")

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices, default=Kind.LEGAL)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    zone = models.ForeignKey(
        "self",
        verbose_name=_("所属管理区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed",
        limit_choices_to={"kind": "zone"},
    )
    path = models.CharField(max_length=200, db_index=True, editable=False)
    population = models.PositiveIntegerField(_("人口"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent_id else "/") + f"{self.code}/"
        super().save(*args, **kwargs)


class Department(models.Model):
    """部门: a government body at city or county level, e.g. 武陟县市场监督管理局.

    ``line`` names the functional line shared across levels (market, hotline, big_data …)
    so a city department and its county counterparts can be found together.
    """

    code = models.CharField(_("部门编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=40, blank=True)
    line = models.CharField(_("条线"), max_length=32, db_index=True)
    division = models.ForeignKey(
        Division, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="departments"
    )
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级业务部门"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subordinates",
    )
    sm2_public_pem = models.TextField(_("SM2 公钥"), blank=True)
    sm2_private_enc = models.TextField(_("SM2 私钥（SM4 加密）"), blank=True, editable=False)

    class Meta:
        ordering = ["division_id", "code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class OrgUnit(models.Model):
    """组织 (区划 × 部门): where a staff member works; their jurisdiction is the division's
    subtree within the department's line, e.g. the 城关镇 window of 武陟县政务服务中心."""

    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="units"
    )
    division = models.ForeignKey(
        Division, verbose_name=_("管辖区划"), on_delete=models.PROTECT, related_name="units"
    )
    name = models.CharField(_("名称"), max_length=120)

    class Meta:
        ordering = ["division_id", "department__code"]
        constraints = [
            models.UniqueConstraint(fields=["department", "division"], name="orgunit_dept_div")
        ]
        verbose_name = _("组织")
        verbose_name_plural = _("组织")

    def __str__(self) -> str:
        return self.name
