"""政务服务事项 and its implementation list (实施清单): the six basic elements, the
主项 → 子项 → 业务办理项 hierarchy, materials, steps, fees, time limits and the form."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Department, Division


class ItemKind(models.TextChoices):
    """事项类型 (GB/T 39554)."""

    LICENSING = "licensing", _("行政许可")
    CONFIRMATION = "confirmation", _("行政确认")
    PAYMENT = "payment", _("行政给付")
    ADJUDICATION = "adjudication", _("行政裁决")
    REWARD = "reward", _("行政奖励")
    OTHER_POWER = "other_power", _("其他行政权力")
    PUBLIC_SERVICE = "public_service", _("公共服务")


class ServiceItem(models.Model):
    """政务服务事项: one item of the catalogue at one of three levels; the 业务办理项
    (leaf) carries the implementation list and is what people apply for."""

    class Level(models.TextChoices):
        MAIN = "main", _("主项")
        SUB = "sub", _("子项")
        HANDLING = "handling", _("业务办理项")

    class Handling(models.TextChoices):
        NEW = "new", _("新办")
        CHANGE = "change", _("变更")
        RENEWAL = "renewal", _("延续")
        CANCEL = "cancel", _("注销")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        WITHDRAWN = "withdrawn", _("已停用")

    class Applicants(models.TextChoices):
        PERSON = "person", _("自然人")
        ENTITY = "entity", _("法人")
        BOTH = "both", _("自然人和法人")

    class Registers(models.TextChoices):
        """The market entity a 设立登记 brings into being, by the 登记管理部门和机构类别
        code its 统一社会信用代码 starts with (GB 32100)."""

        NONE = "", _("不设立主体")
        ENTERPRISE = "91", _("企业")
        INDIVIDUAL = "92", _("个体工商户")
        COOPERATIVE = "93", _("农民专业合作社")

    # Six basic elements (基本要素)
    code = models.CharField(_("事项编码"), max_length=40, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    kind = models.CharField(_("事项类型"), max_length=20, choices=ItemKind.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("主管部门"), on_delete=models.PROTECT, related_name="+"
    )
    implementer = models.CharField(_("实施主体"), max_length=200)
    legal_basis = models.TextField(_("设定依据"))
    # Hierarchy
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级事项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    handling = models.CharField(
        _("办理项类型"), max_length=10, choices=Handling.choices, blank=True
    )
    division = models.ForeignKey(
        Division, verbose_name=_("实施区划"), on_delete=models.PROTECT, related_name="+"
    )
    # Implementation list (实施清单)
    conditions = models.TextField(_("受理条件"), blank=True)
    applicants = models.CharField(
        _("服务对象"), max_length=10, choices=Applicants.choices, default=Applicants.BOTH
    )
    statutory_days = models.PositiveSmallIntegerField(_("法定办结时限（工作日）"), null=True)
    promised_days = models.PositiveSmallIntegerField(_("承诺办结时限（工作日）"), null=True)
    visits = models.PositiveSmallIntegerField(_("到办事现场次数"), default=0)
    fees = models.JSONField(_("收费"), default=list, blank=True)  # [{"name", "amount", "basis"}]
    place = models.CharField(_("办理地点"), max_length=200, blank=True)
    hours = models.CharField(_("办理时间"), max_length=200, blank=True)
    contact_phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    complaint_phone = models.CharField(_("监督投诉电话"), max_length=40, blank=True)
    online = models.BooleanField(_("可网上办理"), default=True)
    form_fields = models.JSONField(_("申请表字段"), default=list, blank=True)
    life_events = models.JSONField(_("个人生命周期事件"), default=list, blank=True)
    enterprise_events = models.JSONField(_("企业生命周期事件"), default=list, blank=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    workflow_code = models.CharField(_("办理流程"), max_length=64, default="service_application")
    licence_type_code = models.CharField(_("办结发放证照类型"), max_length=40, blank=True)
    registers_entity = models.CharField(
        _("设立登记主体类型"),
        max_length=2,
        choices=Registers.choices,
        blank=True,
        default="",
        help_text=_(
            "设立登记办结时为新设立的主体赋统一社会信用代码，记入法人库，电子证照核发给该主体。"
        ),
    )
    instant_rules = models.JSONField(_("秒批规则"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    search_text = models.TextField(editable=False, blank=True)  # jieba tokens for search
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("政务服务事项")
        verbose_name_plural = _("政务服务事项")
        constraints = [
            models.CheckConstraint(
                condition=Q(promised_days__isnull=True)
                | Q(statutory_days__isnull=True)
                | Q(promised_days__lte=F("statutory_days")),
                name="service_item_promised_within_statutory",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MaterialSpec(models.Model):
    """申请材料 an item asks for; an e-licence type or a registry fact may stand in for it
    (免证可办), and a 申请书 the platform generates from the online form is ``generated``."""

    class Form(models.TextChoices):
        ORIGINAL = "original", _("原件")
        COPY = "copy", _("复印件")
        ELECTRONIC = "electronic", _("电子材料")

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("材料名称"), max_length=200)
    required = models.BooleanField(_("必要"), default=True)
    form = models.CharField(
        _("材料形式"), max_length=12, choices=Form.choices, default="electronic"
    )
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    source_note = models.CharField(_("来源渠道"), max_length=200, blank=True)
    licence_type_code = models.CharField(_("可用电子证照替代"), max_length=40, blank=True)
    registry_fact = models.CharField(_("可由基础库核验"), max_length=40, blank=True)
    # 系统生成: the 申请书/申请表 the platform draws up from the online form the applicant
    # fills in — provided with every online application, never uploaded.
    generated = models.BooleanField(_("系统根据申请表自动生成"), default=False)
    note = models.TextField(_("填报说明"), blank=True)

    class Meta:
        ordering = ["item", "position", "id"]
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")

    def __str__(self) -> str:
        return self.name


class ProcessStep(models.Model):
    """办理流程环节 as published in the guide, with its time limit."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("环节名称"), max_length=100)
    days = models.PositiveSmallIntegerField(_("环节时限（工作日）"), default=0)
    description = models.TextField(_("环节说明"), blank=True)

    class Meta:
        ordering = ["item", "position", "id"]
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")

    def __str__(self) -> str:
        return self.name
