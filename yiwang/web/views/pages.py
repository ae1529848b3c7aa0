"""Portal pages: home, staff workbench, citizen and enterprise homes, elder-mode toggle."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from yiwang.web.middleware import COOKIE


def home(request: HttpRequest) -> HttpResponse:
    """Citizen-facing portal home; signed-in users get a link to their own space."""
    return render(request, "web/home.html")


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """Staff workbench (工作台): inbox summary and shortcuts by role."""
    if request.user.kind != "staff":
        raise PermissionDenied
    return render(request, "web/workbench.html")


@login_required
def citizen_home(request: HttpRequest) -> HttpResponse:
    """个人中心 for citizens."""
    if request.user.kind != "citizen":
        raise PermissionDenied
    return render(request, "web/citizen.html")


@login_required
def enterprise_home(request: HttpRequest) -> HttpResponse:
    """企业中心 for enterprise users."""
    if request.user.kind != "enterprise":
        raise PermissionDenied
    return render(request, "web/enterprise.html")


@require_POST
def toggle_elder(request: HttpRequest) -> HttpResponse:
    """Switch elder mode (长辈模式) on or off for this browser."""
    on = request.POST.get("on") == "1"
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    response = redirect(target)
    response.set_cookie(COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="Lax")
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for load balancers."""
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
