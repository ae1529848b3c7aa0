"""工作日历: the official working-day calendar as data (holidays and adjusted workdays)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarYear(models.Model):
    """A year whose official schedule is loaded; years without a row fall back to Mon–Fri."""

    year = models.PositiveIntegerField(primary_key=True)
    source = models.CharField(_("来源"), max_length=64)
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the Mon–Fri rule: a holiday on a weekday or an adjusted
    weekend workday (调休上班)."""

    date = models.DateField(primary_key=True)
    is_workday = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("说明"), max_length=64, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("特殊日期")
        verbose_name_plural = _("特殊日期")

    def __str__(self) -> str:
        return f"{self.date} {'班' if self.is_workday else '休'} {self.name}"
