"""API clients (接口调用方): other government systems calling the platform with scopes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import APPLICATION_MODEL, GRANT_MODEL


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


class RelyingParty(models.Model):
    """接入系统 (an OpenID Connect relying party): a government system whose users sign in
    with the platform. It keeps what the toolkit's application row does not: where to
    send back-channel logout notices (后端通道退出), the scopes and claims it may obtain
    (a token or ID token never carries more), and whether it is 停用 (disabled: no sign-in,
    no token, its tokens revoked). Registered and managed by the big-data bureau."""

    application = models.OneToOneField(
        APPLICATION_MODEL,
        verbose_name=_("OAuth2 应用"),
        on_delete=models.CASCADE,
        related_name="relying_party",
    )
    backchannel_logout_uri = models.URLField(_("后端通道退出地址"), max_length=500, blank=True)
    allowed_scopes = models.CharField(_("允许的权限范围"), max_length=200, default="openid")
    # Space-separated claim names; empty = every claim of the allowed scopes.
    allowed_claims = models.CharField(_("允许的声明"), max_length=300, blank=True)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("接入系统")
        verbose_name_plural = _("接入系统")

    def __str__(self) -> str:
        return self.application.name

    @property
    def scope_list(self) -> list[str]:
        return self.allowed_scopes.split()

    @property
    def claim_list(self) -> list[str]:
        return self.allowed_claims.split()


class OidcSession(models.Model):
    """单点登录会话: one relying party's part in one browser session at the platform —
    the session id (``sid``, random, never the session key) and the time the user
    authenticated (``auth_time``) that its ID tokens carry, and whom to tell with a
    back-channel logout notice when that session ends. Kept (with ``ended_at``) after
    a sign-out: an earlier consent lets ``prompt=none`` through; 全部下线 deletes them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_sessions"
    )
    application = models.ForeignKey(
        APPLICATION_MODEL, on_delete=models.CASCADE, related_name="oidc_sessions"
    )
    sid = models.CharField(max_length=64)
    auth_time = models.DateTimeField()
    scope = models.CharField(max_length=300, blank=True)
    issuer = models.CharField(max_length=300, blank=True)
    # The latest authorization code issued in this session (gone once exchanged).
    grant = models.OneToOneField(
        GRANT_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="oidc_session",
    )
    # The refresh tokens issued in this session (one family across rotations): revoked
    # when the session ends (Back-Channel Logout 1.0, 2.7).
    token_family = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("单点登录会话")
        verbose_name_plural = _("单点登录会话")
        constraints = [
            models.UniqueConstraint(fields=["sid", "application"], name="oidc_session_sid_app")
        ]
        indexes = [
            models.Index(fields=["user", "application"], name="oidc_session_user_app"),
            models.Index(fields=["token_family"], name="oidc_session_family"),
        ]

    def __str__(self) -> str:
        return f"OidcSession #{self.pk}"
