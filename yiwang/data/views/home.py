"""Data room home (数据资源): entry to catalogue, ingestion, quality, sharing, objections."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from yiwang.core.access import require


@login_required
def home(request):
    """The data room's landing page for staff with ``data.view``."""
    require(request.user, "data.view")
    return render(request, "data/home.html", {})


urlpatterns: list = [path("", home, name="home")]
