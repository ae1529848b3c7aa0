"""政务数据目录: classification nodes (类/项/目/细目), data resources with the national
metadata, kept in versions, and their data items (信息项) bound to data elements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Case, Department
from yiwang.data.models.elements import DataElement


class Catalogue(models.Model):
    """目录分类节点: one level of the 类/项/目/细目 classification tree."""

    class Level(models.IntegerChoices):
        CLASS = 1, _("类")
        ITEM = 2, _("项")
        GROUP = 3, _("目")
        DETAIL = 4, _("细目")

    class Kind(models.TextChoices):
        BASE = "base", _("基础")
        THEME = "theme", _("主题")
        DEPARTMENT = "department", _("部门")

    code = models.CharField(_("分类编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    kind = models.CharField(_("目录类别"), max_length=12, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("目录分类")
        verbose_name_plural = _("目录分类")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ShareType(models.TextChoices):
    """共享属性."""

    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NONE = "none", _("不予共享")


class OpenType(models.TextChoices):
    """开放属性."""

    UNCONDITIONAL = "unconditional", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    NONE = "none", _("不予开放")


class Grade(models.TextChoices):
    """分类分级 (GB/T 43697-2024): core, important, general."""

    CORE = "core", _("核心数据")
    IMPORTANT = "important", _("重要数据")
    GENERAL = "general", _("一般数据")


class DataResource(models.Model):
    """政务数据资源 (one version of a catalogue entry). ``code`` is shared by all versions
    of the same resource; a published version is never edited — a new version is drafted,
    reviewed and, when published, supersedes it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待审核")
        PUBLISHED = "published", _("已发布")
        RETURNED = "returned", _("已退回")
        SUPERSEDED = "superseded", _("已被新版本替代")
        WITHDRAWN = "withdrawn", _("已撤销")

    class UpdateCycle(models.TextChoices):
        REALTIME = "realtime", _("实时")
        DAILY = "daily", _("每日")
        WEEKLY = "weekly", _("每周")
        MONTHLY = "monthly", _("每月")
        QUARTERLY = "quarterly", _("每季度")
        YEARLY = "yearly", _("每年")
        IRREGULAR = "irregular", _("不定期")

    class Registry(models.TextChoices):
        """Which base registry (基础库) the resource's rows land in, if any."""

        NONE = "", _("无")
        PERSON = "person", _("人口库")
        LEGAL_ENTITY = "legal_entity", _("法人库")
        CREDIT = "credit", _("信用库")
        PLACE = "place", _("空间地理库")

    code = models.CharField(_("资源代码"), max_length=40, db_index=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    catalogue = models.ForeignKey(
        Catalogue, verbose_name=_("目录分类"), on_delete=models.PROTECT, related_name="resources"
    )
    kind = models.CharField(_("目录类别"), max_length=12, choices=Catalogue.Kind.choices)
    name = models.CharField(_("资源名称"), max_length=200)
    provider = models.ForeignKey(
        Department, verbose_name=_("提供方"), on_delete=models.PROTECT, related_name="resources"
    )
    abstract = models.TextField(_("资源摘要"), blank=True)
    format = models.CharField(_("资源格式"), max_length=40, default="数据库")
    registry = models.CharField(
        _("对应基础库"), max_length=16, choices=Registry.choices, blank=True, default=""
    )
    share_type = models.CharField(_("共享属性"), max_length=16, choices=ShareType.choices)
    share_condition = models.TextField(_("共享条件"), blank=True)
    share_method = models.CharField(_("共享方式"), max_length=40, default="接口")
    no_share_basis = models.TextField(_("不予共享依据"), blank=True)
    open_type = models.CharField(_("开放属性"), max_length=16, choices=OpenType.choices)
    open_condition = models.TextField(_("开放条件"), blank=True)
    update_cycle = models.CharField(_("更新周期"), max_length=12, choices=UpdateCycle.choices)
    grade = models.CharField(_("数据级别"), max_length=12, choices=Grade.choices)
    level = models.PositiveSmallIntegerField(_("一般数据分级"), null=True, blank=True)
    graded_at = models.DateField(_("定级日期"), null=True, blank=True)
    publish_date = models.DateField(_("发布日期"), null=True, blank=True)
    related = models.ManyToManyField("self", verbose_name=_("关联资源"), blank=True)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="resource_code_version"),
            # At most one published version of a resource at a time.
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(status="published"), name="resource_one_live"
            ),
        ]
        verbose_name = _("数据资源")
        verbose_name_plural = _("数据资源")

    def __str__(self) -> str:
        return f"{self.code} {self.name} v{self.version}"

    @property
    def division(self):
        return self.provider.division


class DataItem(models.Model):
    """信息项: one column of a resource, bound to a data element (一数一源一标准)."""

    resource = models.ForeignKey(DataResource, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("信息项名称"), max_length=100)
    data_type = models.CharField(_("数据类型"), max_length=16)
    element = models.ForeignKey(
        DataElement, verbose_name=_("数据元"), on_delete=models.PROTECT, related_name="items"
    )
    # The registry field this item fills ("" when the resource has no registry).
    field = models.CharField(_("基础库字段"), max_length=40, blank=True)
    required = models.BooleanField(_("必填"), default=False)
    is_key = models.BooleanField(_("主键"), default=False)

    class Meta:
        ordering = ["resource", "position"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "name"], name="item_name_per_resource")
        ]
        verbose_name = _("信息项")
        verbose_name_plural = _("信息项")

    def __str__(self) -> str:
        return self.name
