"""Web shell pages."""

from django.contrib.auth import views as auth_views
from django.urls import path

from yiwang.web.views import pages

app_name = "web"

urlpatterns = [
    path("", pages.home, name="home"),
    path("workbench/", pages.workbench, name="workbench"),
    path("me/", pages.citizen_home, name="citizen"),
    path("enterprise/", pages.enterprise_home, name="enterprise"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("elder/", pages.toggle_elder, name="elder"),
    path("healthz", pages.healthz, name="healthz"),
]
