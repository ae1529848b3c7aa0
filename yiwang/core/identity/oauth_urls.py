"""The OAuth2 / OIDC provider endpoints under /o/ (统一身份认证对外): authorize (our consent
page), token, revoke, introspect, discovery, JWKS, userinfo, RP-initiated logout.

Application self-registration and device-flow pages of django-oauth-toolkit are left out on
purpose: relying parties and API clients are registered by administrators (接入系统管理)."""

from django.urls import path, re_path
from oauth2_provider import urls as dot_urls
from oauth2_provider import views as dot_views

from yiwang.core.identity.oidc_views import ConsentView, DiscoveryView, LogoutView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("token/", dot_views.TokenView.as_view(), name="token"),
    path("revoke_token/", dot_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", dot_views.IntrospectTokenView.as_view(), name="introspect"),
    *dot_urls.metadata_urlpatterns,
    re_path(
        r"^\.well-known/openid-configuration/?$",
        DiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", dot_views.JwksInfoView.as_view(), name="jwks-info"),
    path("userinfo/", dot_views.UserInfoView.as_view(), name="user-info"),
    path("logout/", LogoutView.as_view(), name="rp-initiated-logout"),
]
