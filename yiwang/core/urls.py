"""Core pages: identity (login, register, TOTP), inbox, audit search."""

from django.urls import include, path

app_name = "core"

urlpatterns = [
    path("", include("yiwang.core.identity.urls")),
    path("", include("yiwang.core.views.urls")),
]
