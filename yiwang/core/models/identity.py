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


class PhoneChallenge(models.Model):
    """短信验证码: a one-time code sent to an account's mobile number to prove it holds
    that number. Only a keyed SM3 digest of the code is kept (with a random nonce), it
    expires after a few minutes and allows a few attempts; the number is kept as its
    blind index, so the table reveals neither code nor phone."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="phone_challenges",
    )
    purpose = models.CharField(_("用途"), max_length=20, default="assurance")
    phone_index = models.CharField(max_length=64, editable=False)
    nonce = models.CharField(max_length=32, editable=False)
    code_digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [models.Index(fields=["user", "-created_at"], name="phone_challenge_recent")]

    def __str__(self) -> str:
        return f"PhoneChallenge #{self.pk}"
