"""Staff directory page (工作人员名录): masked by default, purpose-bound reveal."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from yiwang.core import access, masking
from yiwang.core.staff_directory import REVEALABLE, staff_row, visible_staff


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    """List staff in the user's jurisdiction; POST reveals one field for a stated purpose."""
    access.require(request.user, "user.view")
    revealed = None
    error = ""
    if request.method == "POST":
        field = request.POST.get("field", "")
        purpose = request.POST.get("purpose", "")
        if field not in REVEALABLE:
            error = _("不支持查看该字段。")
        else:
            member = access.pick(visible_staff(request.user), request.POST.get("user_id") or 0)
            try:
                revealed = {
                    "id": member.pk,
                    "field": field,
                    "value": masking.reveal(request.user, member, field, purpose),
                }
            except PermissionDenied as exc:
                error = str(exc)
    page = Paginator(visible_staff(request.user), 50).get_page(request.GET.get("page"))
    rows = [staff_row(u) for u in page.object_list]
    return render(
        request,
        "core/staff_list.html",
        {
            "page": page,
            "rows": rows,
            "revealed": revealed,
            "error": error,
            "can_unmask": access.has_perm(request.user, "personal.unmask"),
        },
        status=400 if error else 200,
    )
