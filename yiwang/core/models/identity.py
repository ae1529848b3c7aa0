"""API clients (接口调用方): other government systems calling the platform with scopes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import APPLICATION_MODEL


class ApiClient(models.Model):
    """接口客户端: a system user plus its OAuth2 client-credentials application, and the
    scopes it may ask for (a token never carries more)."""

    name = models.CharField(_("名称"), max_length=120)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("系统用户"),
        on_delete=models.CASCADE,
        related_name="api_client",
    )
    application = models.OneToOneField(
        APPLICATION_MODEL,
        verbose_name=_("OAuth2 应用"),
        on_delete=models.CASCADE,
        related_name="api_client",
    )
    scopes = models.CharField(_("允许的权限范围"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("接口客户端")
        verbose_name_plural = _("接口客户端")

    def __str__(self) -> str:
        return self.name

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
