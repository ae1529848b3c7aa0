"""我的消息: a user's in-app notifications, newest first (paged by cursor), with
mark-as-read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from yiwang.core.actions.notify import do_mark_read
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.paging import KeysetPaginator


@login_required
@require_http_methods(["GET", "POST"])
def message_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List my messages; POST ``id`` marks one read, POST ``all`` marks every one read."""
    if request.method == "POST":
        raw = request.POST.get("id", "")
        if raw.isdigit():
            do_mark_read(actor=request.user, ids=[int(raw)])
        elif request.POST.get("all"):
            do_mark_read(actor=request.user)
        return redirect("core:messages")
    page = KeysetPaginator(
        request.user.notifications.all(), sorts={"sent": "created_at"}, default="-sent"
    ).get_page(request.GET)
    return render(request, "core/messages.html", {"page": page})
