"""The OAuth2 / OIDC provider endpoints under /o/ (统一身份认证对外): authorize (our consent
page), token, revoke, introspect, discovery, JWKS, userinfo, RP-initiated logout.

Application self-registration and device-flow pages of django-oauth-toolkit are left out on
purpose: relying parties and API clients are registered by administrators."""

from django.urls import path
from oauth2_provider import urls as dot_urls
from oauth2_provider import views as dot_views

from yiwang.core.identity.views import ConsentView

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", ConsentView.as_view(), name="authorize"),
    path("token/", dot_views.TokenView.as_view(), name="token"),
    path("revoke_token/", dot_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("introspect/", dot_views.IntrospectTokenView.as_view(), name="introspect"),
    *dot_urls.metadata_urlpatterns,
    *dot_urls.oidc_urlpatterns,
]
