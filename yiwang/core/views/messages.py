"""我的消息: a user's in-app notifications, newest first (paged by cursor), with
mark-as-read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from yiwang.core.actions.notify import do_mark_read
from yiwang.core.forms_pages import MarkReadForm
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.paging import KeysetPaginator


@login_required
@require_http_methods(["GET", "POST"])
def message_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List my messages; POST ``id`` marks one read, POST ``all`` marks every one read.

    Both are buttons with nothing to type: a post that names no message of one's own
    marks nothing and, like any other, returns to the list."""
    if request.method == "POST":
        form = MarkReadForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["id"]:
                do_mark_read(actor=request.user, ids=[form.cleaned_data["id"]])
            elif form.cleaned_data["all"]:
                do_mark_read(actor=request.user)
        return redirect("core:messages")
    page = KeysetPaginator(
        request.user.notifications.all(), sorts={"sent": "created_at"}, default="-sent"
    ).get_page(request.GET)
    return render(request, "core/messages.html", {"page": page})
