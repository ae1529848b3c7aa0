"""办件: an application for one service item, online or at a window, running on the
workflow engine; its materials (uploaded, or satisfied by an e-licence or a registry
fact: 免证可办); and 一件事一次办 bundles that fan one submission out to several items."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.fields import BlindIndexField, EncryptedTextField
from yiwang.core.models import Case, CaseListed, Department, Division, StoredFile
from yiwang.services.models.items import ServiceItem


class Channel(models.TextChoices):
    """受理渠道."""

    ONLINE = "online", _("网上办")
    WINDOW = "window", _("窗口办")
    APP = "app", _("移动端")
    SELF_SERVICE = "self_service", _("自助终端")


class HolderIdType(models.TextChoices):
    """申请人证件类型 (GB/T 36904 holder id type codes)."""

    ID_CARD = "111", _("居民身份证")
    CREDIT_CODE = "001", _("统一社会信用代码")


class Application(CaseListed):
    """办件: one application for one 业务办理项; the case carries state and deadlines, of
    which the application keeps a copy (``CaseListed``) for its lists to sort by."""

    class Outcome(models.TextChoices):
        PENDING = "", _("办理中")
        APPROVED = "approved", _("准予")
        REFUSED = "refused", _("不予许可")
        NOT_ACCEPTED = "not_accepted", _("不予受理")
        WITHDRAWN = "withdrawn", _("撤回")

    number = models.CharField(_("办件编号"), max_length=40, unique=True)
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="applications"
    )
    # Null only while the application is being created: the case is started with the
    # application as its subject, then linked (same transaction).
    case = models.OneToOneField(
        Case,
        verbose_name=_("流转"),
        null=True,
        on_delete=models.PROTECT,
        related_name="application",
    )
    bundle_application = models.ForeignKey(
        "services.BundleApplication",
        verbose_name=_("一件事"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_applications",
    )
    applicant_name = EncryptedTextField(_("申请人"))
    applicant_id_type = models.CharField(
        _("证件类型"), max_length=3, choices=HolderIdType.choices, default=HolderIdType.ID_CARD
    )
    applicant_id_number = EncryptedTextField(_("证件号码"))
    applicant_id_index = BlindIndexField(source="applicant_id_number")
    contact_phone = EncryptedTextField(_("联系电话"), blank=True)
    channel = models.CharField(_("受理渠道"), max_length=12, choices=Channel.choices)
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("窗口人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    division = models.ForeignKey(Division, verbose_name=_("办理区划"), on_delete=models.PROTECT)
    department = models.ForeignKey(
        Department, verbose_name=_("办理部门"), on_delete=models.PROTECT, related_name="+"
    )
    form_data = models.JSONField(_("申请表"), default=dict, blank=True)
    outcome = models.CharField(
        _("办理结果"), max_length=14, choices=Outcome.choices, default="", blank=True
    )
    decided_by_rule = models.CharField(_("秒批规则"), max_length=100, blank=True)
    licence_identifier = models.CharField(_("发放证照"), max_length=120, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # 办件管理: a department's open applications by deadline, its finished ones
            # by completion, all of them by submission; a window clerk's own intake.
            models.Index(
                fields=["department", "case_due_key", "id"],
                condition=models.Q(outcome=""),
                name="services_app_open_due",
            ),
            models.Index(
                fields=["department", "completed_at", "id"],
                condition=~models.Q(outcome=""),
                name="services_app_done",
            ),
            models.Index(fields=["department", "submitted_at", "id"], name="services_app_dept_new"),
            models.Index(fields=["clerk", "submitted_at", "id"], name="services_app_clerk_new"),
        ]
        verbose_name = _("办件")
        verbose_name_plural = _("办件")

    def __str__(self) -> str:
        return f"{self.number} {self.item.name}"

    @property
    def flow(self) -> Case:
        """The application's 流转 (its case), linked in the transaction that creates the
        application; asking for it before then is a programming error."""
        if self.case is None:
            raise LookupError(f"application {self.number} has no case yet")
        return self.case


class Material(StoredFile):
    """A material on a case: an uploaded file (a stored file, SM4 encrypted at rest, SM3
    digest), or a fact taken from an e-licence or a base registry (免证可办, no file),
    with where it came from."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("申请人上传")
        WINDOW = "window", _("窗口收取")
        LICENCE = "licence", _("电子证照")
        REGISTRY = "registry", _("基础库核验")
        GENERATED = "generated", _("系统根据申请表自动生成")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    spec = models.ForeignKey(
        "services.MaterialSpec", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("材料名称"), max_length=200)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    file = models.FileField(
        _("文件"), upload_to="services/materials/%Y/%m/", max_length=200, blank=True
    )
    reference = models.CharField(_("来源凭据"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["application", "id"]
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")

    def __str__(self) -> str:
        return self.name


class Bundle(models.Model):
    """一件事一次办: a life or enterprise event combining items across departments."""

    class Kind(models.TextChoices):
        LIFE = "life", _("个人一件事")
        ENTERPRISE = "enterprise", _("企业一件事")

    code = models.CharField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    description = models.TextField(_("说明"), blank=True)
    items = models.ManyToManyField(ServiceItem, through="BundleItem", related_name="bundles")
    published = models.BooleanField(_("已发布"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")

    def __str__(self) -> str:
        return self.name


class BundleItem(models.Model):
    """One item of a bundle, in the order the combined form asks for it."""

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="parts")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["bundle", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "item"], name="bundle_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.bundle_id}:{self.item_id}"


class BundleApplication(models.Model):
    """One submission of a bundle; its parts are ordinary applications, and it is done
    when every part is done (combined status derived from the parts)."""

    number = models.CharField(_("编号"), max_length=40, unique=True)
    bundle = models.ForeignKey(Bundle, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    form_data = models.JSONField(_("申请表"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("一件事办件")
        verbose_name_plural = _("一件事办件")

    def __str__(self) -> str:
        return self.number
