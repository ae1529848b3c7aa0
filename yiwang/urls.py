"""Top-level URLs: pages, API, OIDC provider, admin."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from yiwang.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("o/", include("yiwang.core.identity.oauth_urls", namespace="oauth2_provider")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("data/", include("yiwang.data.urls")),
    path("services/", include("yiwang.services.urls")),
    path("licences/", include("yiwang.licences.urls")),
    path("hotline/", include("yiwang.hotline.urls")),
    path("open311/v2/", include("yiwang.hotline.open311.urls")),
    path("", include("yiwang.core.urls")),
    path("", include("yiwang.web.urls")),
]

handler403 = "yiwang.web.views.errors.forbidden"
handler404 = "yiwang.web.views.errors.not_found"
handler500 = "yiwang.web.views.errors.server_error"
handler400 = "yiwang.web.views.errors.bad_request"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
