"""Pages of the open data room under /opendata/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.core.access import has_perm
from yiwang.opendata.queries import open_datasets


def home(request: HttpRequest) -> HttpResponse:
    """开放数据 home: the open catalogue, public to everyone, signed in or not."""
    context = {
        "datasets": open_datasets(),
        "can_publish": has_perm(request.user, "opendata.publish"),
    }
    return render(request, "opendata/home.html", context)
