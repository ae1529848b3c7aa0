"""Web shell pages."""

from django.urls import path

from yiwang.core.identity import views as identity
from yiwang.web.views import pages

app_name = "web"

urlpatterns = [
    path("", pages.home, name="home"),
    path("workbench/", pages.workbench, name="workbench"),
    path("me/", pages.citizen_home, name="citizen"),
    path("enterprise/", pages.enterprise_home, name="enterprise"),
    path("login/", identity.login_view, name="login"),
    path("logout/", identity.logout_view, name="logout"),
    path("elder/", pages.toggle_elder, name="elder"),
    path("healthz", pages.healthz, name="healthz"),
]
