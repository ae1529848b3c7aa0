"""Top-level URLs: API, OIDC provider, admin, then every installed room's pages where
its manifest mounts them (``yiwang.core.rooms``)."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from yiwang.api import api
from yiwang.core.rooms import url_mounts

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("o/", include("yiwang.core.identity.oauth_urls", namespace="oauth2_provider")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    *(path(prefix, include(urlconf)) for prefix, urlconf in url_mounts()),
]

handler403 = "yiwang.web.views.errors.forbidden"
handler404 = "yiwang.web.views.errors.not_found"
handler500 = "yiwang.web.views.errors.server_error"
handler400 = "yiwang.web.views.errors.bad_request"

# MEDIA_ROOT is never served as static files, not even with DEBUG: stored uploads are
# answered only by their room's views, after login and the room's access check.
