"""Pages of the open data room under /opendata/."""

from django.urls import path

from yiwang.opendata import views

app_name = "opendata"

urlpatterns = [
    path("", views.home, name="home"),
]
