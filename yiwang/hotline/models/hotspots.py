"""热点: clusters of tickets of one matter in one area and time window, raised to leaders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Division
from yiwang.hotline.models.categories import Category


class HotspotAlert(models.Model):
    """热点预警: one per (category, division, window start); re-detection updates it."""

    class State(models.TextChoices):
        OPEN = "open", _("待处置")
        ACKNOWLEDGED = "acknowledged", _("已知悉")
        CLOSED = "closed", _("已处置")

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    count = models.PositiveIntegerField(_("工单数"))
    baseline = models.FloatField(_("常态基数"))
    sample = models.JSONField(_("工单样本"), default=list)
    state = models.CharField(max_length=14, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "division", "window_start"], name="hotspot_once"
            )
        ]
        verbose_name = _("热点预警")
        verbose_name_plural = _("热点预警")

    def __str__(self) -> str:
        return f"{self.category} {self.division_id} {self.count}"
