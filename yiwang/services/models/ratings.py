"""好差评: one rating per online case and per window visit, five levels; a 差评 opens a
rectification (差评整改) on the workflow engine for the handling department."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.fields import BlindIndexField, EncryptedTextField
from yiwang.core.models import Case, Department, Division
from yiwang.services.models.applications import Application, Channel, HolderIdType
from yiwang.services.models.items import ServiceItem


class Level(models.IntegerChoices):
    """评价等级 (GB/T 39734): 4 and 5 are 差评."""

    VERY_SATISFIED = 1, _("非常满意")
    SATISFIED = 2, _("满意")
    BASIC = 3, _("基本满意")
    DISSATISFIED = 4, _("不满意")
    VERY_DISSATISFIED = 5, _("非常不满意")


class WindowVisit(models.Model):
    """窗口服务记录: one in-person visit served at a window, with the number (and the
    secret of its QR code) under which the visitor may rate it once."""

    number = models.CharField(_("窗口服务编号"), max_length=40, unique=True)
    token = models.CharField(_("评价码"), max_length=32)
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("办理部门"), on_delete=models.PROTECT, related_name="+"
    )
    division = models.ForeignKey(
        Division, verbose_name=_("办理区划"), on_delete=models.PROTECT, related_name="+"
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("窗口人员"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicant_id_type = models.CharField(
        _("证件类型"), max_length=3, choices=HolderIdType.choices, blank=True
    )
    applicant_id_number = EncryptedTextField(_("证件号码"), blank=True)
    applicant_id_index = BlindIndexField(source="applicant_id_number")
    served_at = models.DateTimeField(_("服务时间"))

    class Meta:
        ordering = ["-served_at", "-id"]
        verbose_name = _("窗口服务记录")
        verbose_name_plural = _("窗口服务记录")

    def __str__(self) -> str:
        return self.number


class Rating(models.Model):
    """评价: who rated which service, handled by whom, through which channel."""

    application = models.OneToOneField(
        Application,
        verbose_name=_("办件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rating",
    )
    visit_number = models.CharField(_("窗口服务编号"), max_length=40, blank=True)
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="ratings"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    division = models.ForeignKey(Division, verbose_name=_("区划"), on_delete=models.PROTECT)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被评价人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicant_id_type = models.CharField(
        _("申请人证件类型"), max_length=3, choices=HolderIdType.choices, blank=True
    )
    applicant_id_number = EncryptedTextField(_("申请人证件号码"), blank=True)
    applicant_id_index = BlindIndexField(source="applicant_id_number")
    applied_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    contact_phone = EncryptedTextField(_("回访电话"), blank=True)
    channel = models.CharField(_("评价渠道"), max_length=12, choices=Channel.choices)
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=Level.choices)
    comment = models.TextField(_("评价内容"), blank=True)
    created_at = models.DateTimeField(_("评价时间"), auto_now_add=True)
    excluded = models.BooleanField(_("已剔除"), default=False)
    exclusion_reason = models.TextField(_("剔除理由"), blank=True)
    rectification = models.OneToOneField(
        Case,
        verbose_name=_("差评整改"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rating",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        constraints = [
            models.UniqueConstraint(
                fields=["visit_number"],
                condition=~models.Q(visit_number=""),
                name="one_rating_per_window_visit",
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="rating_created_at")]

    def __str__(self) -> str:
        return f"{self.item.name} {self.get_level_display()}"

    @property
    def case_number(self) -> str:
        """办件编号 of the rated service: the application's number or the visit number."""
        return self.application.number if self.application is not None else self.visit_number

    @property
    def is_bad(self) -> bool:
        """差评: 不满意 or 非常不满意."""
        return self.level >= Level.DISSATISFIED
