"""好差评: one rating per online case and per window visit, five levels; a 差评 opens a
rectification (差评整改) on the workflow engine for the handling department."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Case, Department, Division
from yiwang.services.models.applications import Application, Channel
from yiwang.services.models.items import ServiceItem


class Level(models.IntegerChoices):
    """评价等级 (GB/T 39734): 4 and 5 are 差评."""

    VERY_SATISFIED = 1, _("非常满意")
    SATISFIED = 2, _("满意")
    BASIC = 3, _("基本满意")
    DISSATISFIED = 4, _("不满意")
    VERY_DISSATISFIED = 5, _("非常不满意")


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

    def __str__(self) -> str:
        return f"{self.item.name} {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        """差评: 不满意 or 非常不满意."""
        return self.level >= Level.DISSATISFIED
