"""工单: one request from the public (咨询/求助/投诉/举报/建议) from any channel, running on
the ``hotline_ticket`` workflow; its attachments, returns (退单), extensions (延期),
callbacks (回访) and links to similar tickets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.fields import BlindIndexField, EncryptedTextField
from yiwang.core.models import Case, CaseListed, Department, Division, StoredFile
from yiwang.hotline.models.categories import Category


class Channel(models.TextChoices):
    """受理渠道."""

    PHONE = "phone", _("电话")
    WEB = "web", _("网站")
    APP = "app", _("移动端")
    MINIPROGRAM = "miniprogram", _("小程序")
    PETITION = "petition", _("信访")
    GRID = "grid", _("网格上报")
    OPEN311 = "open311", _("Open311 接口")
    API = "api", _("系统接口")


class Kind(models.TextChoices):
    """诉求类型 (国办发〔2020〕53号)."""

    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGEST = "suggest", _("建议")


class Urgency(models.TextChoices):
    """紧急程度: 紧急 tickets must be answered within hours, not days."""

    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class Emergency(models.TextChoices):
    """应急联动: emergencies are handed to 110/119/120/122 at once."""

    NONE = "", _("否")
    POLICE = "110", _("110 报警")
    FIRE = "119", _("119 火警")
    AMBULANCE = "120", _("120 急救")
    TRAFFIC = "122", _("122 交通事故")


class Result(models.TextChoices):
    """办理结果代码."""

    NONE = "", _("未答复")
    RESOLVED = "resolved", _("解决")
    UNRESOLVED = "unresolved", _("未解决")
    PARTIAL = "partial", _("部分解决")
    RETURNED = "returned", _("退单")


class Satisfaction(models.TextChoices):
    """评价 (回访或市民自评)."""

    NONE = "", _("未评价")
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


# 承办中: the steps a handling department works a ticket in (its list's 待办 tab).
HANDLING_STATES = ("dispatched", "handling", "extension")


class Ticket(CaseListed):
    """工单. The case carries state, department and deadlines; the ticket carries what was
    asked, where, by whom (encrypted), how it was classified and how it ended, and a copy
    of its case's step and deadlines (``CaseListed``) that its lists filter and sort by."""

    number = models.CharField(_("工单编号"), max_length=40, unique=True)
    case = models.OneToOneField(
        Case, verbose_name=_("流转"), null=True, on_delete=models.PROTECT, related_name="ticket"
    )
    channel = models.CharField(_("受理渠道"), max_length=12, choices=Channel.choices)
    kind = models.CharField(_("诉求类型"), max_length=10, choices=Kind.choices)
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    emergency = models.CharField(
        _("应急联动"), max_length=3, choices=Emergency.choices, default="", blank=True
    )
    title = models.CharField(_("标题"), max_length=120)
    content = models.TextField(_("诉求内容"))
    category = models.ForeignKey(
        Category,
        verbose_name=_("诉求分类"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    predicted_category = models.ForeignKey(
        Category,
        verbose_name=_("自动分类"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confidence = models.FloatField(_("分类置信度"), null=True, blank=True)
    classifier_version = models.PositiveIntegerField(
        _("分类模型版本"), null=True, blank=True, help_text=_("给出自动分类的模型版本。")
    )
    needs_review = models.BooleanField(
        _("待人工确认分类"),
        default=False,
        help_text=_("自动分类置信度低或分类未定，派单前由话务员确认。"),
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    division = models.ForeignKey(
        Division, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+"
    )
    longitude = models.FloatField(_("经度（WGS84）"), null=True, blank=True)
    latitude = models.FloatField(_("纬度（WGS84）"), null=True, blank=True)
    grid = models.ForeignKey(
        "hotline.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("市民账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hotline_tickets",
    )
    contact_name = EncryptedTextField(_("联系人"), blank=True)
    contact_phone = EncryptedTextField(_("联系电话"), blank=True)
    contact_phone_index = BlindIndexField(source="contact_phone")
    anonymous = models.BooleanField(_("匿名"), default=False)
    query_code = models.CharField(_("查询码"), max_length=8)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("受理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hotline_tickets",
    )
    respond_by = models.DateTimeField(_("紧急响应时限"), null=True, blank=True)
    result = models.CharField(
        _("办理结果"), max_length=10, choices=Result.choices, default="", blank=True
    )
    reply = models.TextField(_("答复内容"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    satisfaction = models.CharField(
        _("评价"), max_length=12, choices=Satisfaction.choices, default="", blank=True
    )
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入工单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("受理时间"), db_index=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    on_time = models.BooleanField(_("按时办结"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["category", "division", "created_at"]),
            models.Index(fields=["department", "created_at"]),
            models.Index(fields=["division", "created_at"]),
            # 承办工单: a department's tickets by deadline, those in hand apart.
            models.Index(
                fields=["department", "case_due_key", "id"],
                condition=models.Q(case_state__in=HANDLING_STATES),
                name="hotline_ticket_handling_due",
            ),
            models.Index(
                fields=["department", "case_due_key", "id"], name="hotline_ticket_dept_due"
            ),
            # The agent's queues: the newest tickets in one step.
            models.Index(
                fields=["case_state", "created_at", "id"], name="hotline_ticket_state_new"
            ),
        ]
        verbose_name = _("工单")
        verbose_name_plural = _("工单")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def flow(self) -> Case:
        """The ticket's 流转 (its case). Every ticket has one once intake has started it;
        asking for it before then is a programming error."""
        if self.case is None:
            raise LookupError(f"ticket {self.number} has no case yet")
        return self.case


class TicketAttachment(StoredFile):
    """工单附件 (photo or document): a stored file, SM4 encrypted at rest, SM3 digest."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to="hotline/%Y/%m/", max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ticket", "id"]
        verbose_name = _("工单附件")
        verbose_name_plural = _("工单附件")

    def __str__(self) -> str:
        return self.name


class TicketReturn(models.Model):
    """退单: a department sends a wrongly routed ticket back with its reason."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="returns")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("退单理由"))
    suggested_department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField()
    accepted = models.BooleanField(_("退单成立"), null=True, blank=True)

    class Meta:
        ordering = ["ticket", "returned_at"]
        verbose_name = _("退单")
        verbose_name_plural = _("退单")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.reason[:30]}"


class Extension(models.Model):
    """延期申请: approved by the 12345 centre, never assumed."""

    class State(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已同意")
        REFUSED = "refused", _("不同意")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="extensions")
    days = models.PositiveSmallIntegerField(_("延期工作日"))
    reason = models.TextField(_("延期理由"))
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["ticket", "requested_at"]
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")

    def __str__(self) -> str:
        return f"{self.ticket_id}: +{self.days}"


class Callback(models.Model):
    """回访/评价: the caller's evaluation of the answer, by an agent's call or by the
    citizen on the public page; an unsatisfied one may re-open the ticket."""

    class Via(models.TextChoices):
        AGENT = "agent", _("话务员回访")
        CITIZEN = "citizen", _("市民自评")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="callbacks")
    via = models.CharField(max_length=8, choices=Via.choices)
    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices)
    comment = models.TextField(blank=True)
    reopened = models.BooleanField(default=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["ticket", "at"]
        verbose_name = _("回访评价")
        verbose_name_plural = _("回访评价")

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.satisfaction}"


class TicketLink(models.Model):
    """相似工单: two tickets alike in text and place (score 0–1); ``merged`` once one was
    folded into the other."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links")
    other = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    merged = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "other"], name="ticketlink_pair")]
        verbose_name = _("相似工单")
        verbose_name_plural = _("相似工单")

    def __str__(self) -> str:
        return f"{self.ticket_id}~{self.other_id} {self.score:.2f}"
