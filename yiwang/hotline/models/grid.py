"""网格化: grids (网格) within townships and villages, and the workers who report from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Division


class Grid(models.Model):
    """网格: a small area of a community with its grid workers (网格员)."""

    code = models.CharField(_("网格编码"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    division = models.ForeignKey(
        Division, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="grids"
    )
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("网格员"), blank=True, related_name="grids"
    )
    households = models.PositiveIntegerField(_("户数"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("网格")
        verbose_name_plural = _("网格")

    def __str__(self) -> str:
        return self.name
