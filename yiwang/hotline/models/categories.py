"""诉求分类: the matter tree tickets are classified into, and the routing rules (派单规则)
that name the responsible department for a matter in an area."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Department, Division

LEVELS = {2: 1, 4: 2, 6: 3}  # code length → level: 大类, 中类, 小类


class Category(models.Model):
    """诉求分类 (大类 2 digits → 中类 4 digits → 小类 6 digits, after GB/T 39666-2020).
    ``line`` is the department line that handles the matter by default (e.g. housing →
    住建局 of the ticket's county, else of the city). A leaf's example requests are not
    kept here: they are training text, read by the classifier build from the fixture."""

    code = models.CharField(_("分类编码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    line = models.CharField(_("承办条线"), max_length=32, blank=True)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    description_en = models.CharField(_("英文说明"), max_length=1000, blank=True)
    keywords = models.JSONField(
        _("关键词与同义词"),
        default=list,
        blank=True,
        help_text=_("市民常用的说法，分类模型把它们当作该分类的证据。"),
    )
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("诉求分类")
        verbose_name_plural = _("诉求分类")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The category's name in the reader's language: the matter tree keeps the English
        name beside the Chinese one (tickets, the ledger and statistics keep the Chinese)."""
        return (_english() and self.name_en) or self.name

    @property
    def display_description(self) -> str:
        """说明 of the category in the reader's language."""
        return (_english() and self.description_en) or self.description

    @property
    def is_leaf(self) -> bool:
        return not self.children.exists()

    @property
    def level(self) -> int:
        """1 大类, 2 中类, 3 小类 — read from the code's length (2, 4 or 6 digits)."""
        return LEVELS.get(len(self.code), 0)

    @property
    def level_name(self) -> str:
        return str(LEVEL_NAMES.get(self.level, ""))


LEVEL_NAMES = {1: _("大类"), 2: _("中类"), 3: _("小类")}


class TaxonomyVersion(models.Model):
    """诉求分类版本: the whole tree as published (``snapshot``: one dict per node), with the
    note saying why, and — for the version that replaced an older tree — the mapping of
    old codes to the new ones (``mapping``). Edits apply at once; 发布新版本 records them."""

    number = models.PositiveIntegerField(_("版本号"), unique=True)
    note = models.CharField(_("版本说明"), max_length=500)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    snapshot = models.JSONField(_("分类树快照"), default=list)
    mapping = models.JSONField(_("新旧编码对照"), default=dict, blank=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("诉求分类版本")
        verbose_name_plural = _("诉求分类版本")

    def __str__(self) -> str:
        return f"v{self.number}"


class RoutingRule(models.Model):
    """派单规则: tickets of ``category`` (or its subcategories) located in ``division`` (or
    below it) go to ``department``. The most specific rule wins; without one the category's
    line decides."""

    category = models.ForeignKey(
        Category, verbose_name=_("诉求分类"), on_delete=models.CASCADE, related_name="rules"
    )
    division = models.ForeignKey(
        Division, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("承办部门"), on_delete=models.CASCADE, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["category__code", "division_id"]
        constraints = [
            models.UniqueConstraint(fields=["category", "division"], name="routing_cat_div")
        ]
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")

    def __str__(self) -> str:
        return f"{self.category} @ {self.division_id} → {self.department}"


def _english() -> bool:
    return (get_language() or "").startswith("en")
