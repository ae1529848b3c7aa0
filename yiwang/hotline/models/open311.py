"""Open311 GeoReport v2 API keys (接口密钥) of the outside apps that submit requests."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Open311Key(models.Model):
    """An Open311 ``api_key``: only its keyed SM3 digest is stored; revoked keys fail."""

    name = models.CharField(_("调用方"), max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("密钥前缀"), max_length=8)
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 密钥")
        verbose_name_plural = _("Open311 密钥")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
