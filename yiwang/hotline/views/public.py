"""Citizens' pages of the 12345 room: submit a request online, follow any ticket by its
number and query code (no account needed), and rate the answer; signed-in citizens also
see their own tickets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from yiwang.core import divisionpicker
from yiwang.core.errors import RateLimited, status_of
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.paging import KeysetPaginator
from yiwang.core.ratelimit import charge
from yiwang.core.templatetags.kit import status_tag
from yiwang.hotline.actions.handling import do_callback
from yiwang.hotline.actions.tickets import do_take_ticket
from yiwang.hotline.forms import RateForm, SubmitForm, TrackForm
from yiwang.hotline.models import Callback, Ticket
from yiwang.hotline.queries import public_timeline, row, with_case

LOOKUPS_PER_MINUTE = 20
PLACE = "place"  # the division picker of 事发地点 on 网上诉求


def _public_context(t: Ticket) -> dict[str, Any]:
    return {
        "t": t,
        "r": row(t),
        "timeline": public_timeline(t),
        "can_rate": t.flow.state == "concluded",
        "reopen_left": settings.YIWANG["HOTLINE_MAX_REOPENS"] - t.reopen_count,
    }


def _find(number: str, code: str) -> Ticket | None:
    t = with_case(Ticket.objects.filter(number=number.strip())).first()
    if t is None or not constant_time_compare(t.query_code, code.strip()):
        return None
    return t


def track(request: HttpRequest) -> HttpResponse:
    """工单查询: anyone with the number and query code follows the ticket and, once it is
    concluded, rates the answer (an unsatisfied rating re-opens it)."""
    rating = request.method == "POST"
    lookup = TrackForm(request.POST if rating else request.GET)
    context: dict[str, Any] = {"lookup": lookup}
    if lookup.is_blank():
        return render(request, "hotline/track.html", {"lookup": TrackForm()})
    try:
        charge("hotline-track", request, LOOKUPS_PER_MINUTE, _("查询过于频繁，请一分钟后再试。"))
    except RateLimited as exc:
        add_errors(lookup, exc)
        return render(request, "hotline/track.html", context, status=exc.status)
    if not lookup.is_valid():
        return render(request, "hotline/track.html", context, status=400)
    number, code = lookup.cleaned_data["number"], lookup.cleaned_data["code"]
    t = _find(number, code)
    if t is None:
        lookup.add_error(None, _("工单编号或查询码不正确。"))
        return render(request, "hotline/track.html", context, status=404)
    status = 200
    rate_form = RateForm(request.POST if rating else None)
    context["rate_form"] = rate_form
    if rating:
        status = 400
        if rate_form.is_valid():
            try:
                cb = do_callback(
                    actor=None,
                    ticket=t,
                    satisfaction=rate_form.cleaned_data["satisfaction"],
                    comment=rate_form.cleaned_data["comment"],
                    via=Callback.Via.CITIZEN,
                )
            except ValidationError as exc:
                add_errors(rate_form, exc)
                status = status_of(exc)
            else:
                messages.success(
                    request,
                    _("感谢评价。您的诉求已重新交办，我们会尽快处理。")
                    if cb.reopened
                    else _("感谢您的评价。"),
                )
                return redirect(f"{request.path}?number={t.number}&code={code}")
        t = _find(number, code)
        assert t is not None, "the ticket found above is still there"
    context.update(_public_context(t), code=code)
    return render(request, "hotline/track.html", context, status=status)


@login_required
def submit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """网上诉求: a signed-in citizen or enterprise submits a request; the platform files,
    classifies and routes it like a call."""
    if getattr(request.user, "kind", "") not in ("citizen", "enterprise"):
        raise PermissionDenied(_("网上诉求由市民或企业本人提交；工作人员请使用受理台。"))
    posted = request.method == "POST"
    place = divisionpicker.picked(request.POST, PLACE) if posted else ""
    refresh = posted and divisionpicker.REFRESH in request.POST
    data: Any = request.POST
    if posted and not refresh:
        data = request.POST.copy()
        data["address"] = divisionpicker.with_place(request.POST.get("address", ""), place)
    form = SubmitForm(
        data if posted and not refresh else None,
        request.FILES if posted and not refresh else None,
        initial=request.POST.dict() if refresh else {"kind": "complaint"},
    )
    status = 200
    if posted and not refresh:
        status = 400
        if form.is_valid():
            try:
                t = do_take_ticket(
                    actor=request.user,
                    channel="web",
                    contact_name=request.user.get_full_name() or str(request.user),
                    contact_phone=getattr(request.user, "phone", "") or "",
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(
                    request,
                    _("已提交，工单编号 %(number)s，查询码 %(code)s。")
                    % {"number": t.number, "code": t.query_code},
                )
                return redirect("hotline:my_ticket", pk=t.pk)
    context = {
        "form": form,
        "place_levels": divisionpicker.levels(PLACE, place),
        "refresh": divisionpicker.REFRESH,
    }
    return render(request, "hotline/submit.html", context, status=status)


MY_TICKET_SORTS = {"submitted": "created_at", "number": "number"}


@login_required
def my_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的诉求: the signed-in person's own tickets, newest first, sortable by number or
    date and paged by cursor."""
    qs = with_case(Ticket.objects.filter(citizen=request.user))
    page = KeysetPaginator(qs, sorts=MY_TICKET_SORTS, default="-submitted", per_page=30).get_page(
        request.GET
    )
    today = timezone.localdate()
    table = []
    for r in (row(t, today) for t in page):
        t = r["ticket"]
        tone = "warn" if r["overdue"] else ("ok" if r["state"] == "concluded" else "info")
        table.append(
            [
                format_html(
                    '<a href="{}">{}</a>', reverse("hotline:my_ticket", args=[t.pk]), t.number
                ),
                t.title,
                t.get_kind_display(),
                status_tag(r["state_name"], tone),
                date_format(timezone.localtime(t.created_at), "Y-m-d H:i"),
            ]
        )
    columns = [
        ("number", _("工单编号"), True),
        ("title", _("标题"), False),
        ("kind", _("类型"), False),
        ("state", _("环节"), False),
        ("submitted", _("提交时间"), True),
    ]
    return render(
        request, "hotline/my_list.html", {"page": page, "columns": columns, "table": table}
    )


@login_required
def my_ticket(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One of the person's own tickets, with its timeline and the rating form."""
    t = with_case(Ticket.objects.filter(citizen=request.user, pk=pk)).first()
    if t is None:
        raise Http404(_("未找到该工单。"))
    return render(
        request,
        "hotline/track.html",
        {
            **_public_context(t),
            "code": t.query_code,
            "own": True,
            "rate_form": RateForm(),
        },
    )


urlpatterns = [
    path("track/", track, name="track"),
    path("submit/", submit, name="submit"),
    path("my/", my_list, name="my"),
    path("my/<int:pk>/", my_ticket, name="my_ticket"),
]
