"""Open311 接口密钥 page: the 12345 值班长 issues an ``api_key`` to an outside app (shown
once, stored only as its keyed SM3 digest), sees every key with its prefix, state and
last use, and revokes one; the same actions serve ``yiwang open311keys``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.hotline import access
from yiwang.hotline.actions.open311 import do_issue_open311_key, do_revoke_open311_key
from yiwang.hotline.forms import Open311KeyForm


@login_required
def keys(request: HttpRequest) -> HttpResponse:
    """接口密钥 list and the form that issues one; a new key is shown on this answer only
    (never redirected to, never cached)."""
    access.require_open311_manage(request.user)
    form = Open311KeyForm(request.POST if request.method == "POST" else None)
    status, issued = 200, None
    if request.method == "POST":
        if form.is_valid():
            try:
                row, clear = do_issue_open311_key(
                    actor=request.user, name=form.cleaned_data["name"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                issued = {"row": row, "key": clear}
                form = Open311KeyForm()
        else:
            status = 400
    rows = access.open311_keys(request.user).order_by("-created_at", "-id")
    context = {"form": form, "rows": rows, "issued": issued}
    response = render(request, "hotline/open311_keys.html", context, status=status)
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """吊销: the key fails from the next request on; the row stays for the record."""
    access.require_open311_manage(request.user)
    row = get_object_or_404(access.open311_keys(request.user), pk=pk)
    do_revoke_open311_key(actor=request.user, key=row)
    messages.success(request, _("接口密钥“%s”已吊销。") % row.name)
    return redirect("hotline:open311-keys")


urlpatterns = [
    path("open311/keys/", keys, name="open311-keys"),
    path("open311/keys/<int:pk>/revoke/", revoke, name="open311-key-revoke"),
]
