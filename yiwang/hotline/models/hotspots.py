"""热点: clusters of tickets raised to leaders — of one matter in one area and time window
(by category), or of one problem told in different words (by content, across
categories) — and the content signatures (内容签名) that find the latter."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Division
from yiwang.hotline.models.categories import Category


class HotspotAlert(models.Model):
    """热点预警: one per (category, division, window start) for a matter's burst, or one
    per cluster of tickets about one problem (``kind`` content: its theme words, places
    and tickets); re-detection updates it."""

    class Kind(models.TextChoices):
        MATTER = "matter", _("同类诉求")
        CONTENT = "content", _("同一问题")

    class State(models.TextChoices):
        OPEN = "open", _("待处置")
        ACKNOWLEDGED = "acknowledged", _("已知悉")
        CLOSED = "closed", _("已处置")

    kind = models.CharField(_("热点类型"), max_length=8, choices=Kind.choices, default=Kind.MATTER)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    count = models.PositiveIntegerField(_("工单数"))
    baseline = models.FloatField(_("常态基数"))
    sample = models.JSONField(_("工单样本"), default=list)
    theme = models.JSONField(_("主题词"), default=list, blank=True)
    places = models.JSONField(_("涉及地点"), default=list, blank=True)
    tickets = models.ManyToManyField(
        "hotline.Ticket", verbose_name=_("工单"), blank=True, related_name="hotspot_alerts"
    )
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
        what = self.category or " ".join(self.theme[:3])
        return f"{what} {self.division_id} {self.count}"


class TicketTerm(models.Model):
    """One term of a ticket's content signature (内容签名): a content word with its
    weight, or a place it names (``@小区``, ``#道路``, weight 0). Indexed by (term, time),
    so tickets sharing a term in a window are found without reading the others."""

    ticket = models.ForeignKey("hotline.Ticket", on_delete=models.CASCADE, related_name="terms")
    term = models.CharField(max_length=26)
    weight = models.FloatField(default=0.0)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["term", "created_at"], name="hotline_term_time"),
            models.Index(fields=["created_at"], name="hotline_term_created"),
        ]
        constraints = [models.UniqueConstraint(fields=["ticket", "term"], name="hotline_term_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.term} {self.weight}"
