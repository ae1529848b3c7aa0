"""Citizens' pages of the 12345 room: submit a request online, follow any ticket by its
number and query code (no account needed), and rate the answer; signed-in citizens also
see their own tickets."""

from __future__ import annotations

from typing import Any

from django import forms
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
from django.utils.translation import gettext_lazy as _l

from yiwang.core.errors import RateLimited, status_of
from yiwang.core.forms import MultipleFileField, add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.paging import KeysetPaginator
from yiwang.core.ratelimit import charge
from yiwang.core.templatetags.kit import status_tag
from yiwang.hotline.actions.handling import do_callback
from yiwang.hotline.actions.tickets import do_take_ticket
from yiwang.hotline.models import Callback, Kind, Satisfaction, Ticket
from yiwang.hotline.queries import category_groups, public_timeline, row, with_case

LOOKUPS_PER_MINUTE = 20
ATTACHMENT_TYPES = ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"


class SubmitForm(forms.Form):
    """网上诉求: what a citizen writes. The form reads and shows the input; the rules
    (content required and not too long, a known category, a real address) are
    ``do_take_ticket``'s, the same for the page, the API and the call centre."""

    kind = forms.CharField(label=_l("诉求类型"), required=False, widget=forms.Select)
    title = forms.CharField(
        label=_l("标题（可不填）"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": 120}),
    )
    content = forms.CharField(
        label=_l("诉求内容"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    category = forms.CharField(
        label=_l("诉求分类（不确定可不选）"), required=False, widget=forms.Select
    )
    address = forms.CharField(
        label=_l("事发地址"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    attachments = MultipleFileField(label=_l("照片或材料（JPG、PNG、PDF）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        limit = settings.YIWANG["HOTLINE_CONTENT_MAX"]
        self.fields["kind"].widget.choices = Kind.choices
        self.fields["category"].widget.choices = [("", _("不确定，由系统判断"))] + [
            (top.name, [(c.code, c.name) for c in leaves]) for top, leaves in category_groups()
        ]
        content = self.fields["content"]
        setattr(content, "required_mark", True)  # noqa: B010 - read by the field partial
        content.widget.attrs["maxlength"] = limit
        content.help_text = _("请写清时间、地点和事情经过，最多 %(max)d 字。") % {"max": limit}
        self.fields["attachments"].widget.attrs["accept"] = ATTACHMENT_TYPES


class RateForm(forms.Form):
    """回访评价 by the citizen on the tracking page: satisfaction and an optional comment
    (``do_callback`` decides what is acceptable)."""

    satisfaction = forms.CharField(
        label=_l("请评价本次办理"), required=False, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_l("意见（可选）"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "rate-%s")
        super().__init__(*args, **kwargs)
        satisfaction = self.fields["satisfaction"]
        satisfaction.widget.choices = [c for c in Satisfaction.choices if c[0]]
        setattr(satisfaction, "required_mark", True)  # noqa: B010 - read by the field partial


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
    number = (request.POST.get("number") or request.GET.get("number") or "").strip()
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    context: dict[str, Any] = {"number": number, "code": code, "errors": []}
    if not number and not code:
        return render(request, "hotline/track.html", context)
    try:
        charge("hotline-track", request, LOOKUPS_PER_MINUTE, _("查询过于频繁，请一分钟后再试。"))
    except RateLimited as exc:
        context["errors"] = exc.messages
        return render(request, "hotline/track.html", context, status=exc.status)
    t = _find(number, code)
    if t is None:
        context["errors"] = [_("工单编号或查询码不正确。")]
        return render(request, "hotline/track.html", context, status=404)
    status = 200
    rating = request.method == "POST" and request.POST.get("op") == "rate"
    rate_form = RateForm(request.POST if rating else None)
    context["rate_form"] = rate_form
    if rating and rate_form.is_valid():
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
    context.update(_public_context(t))
    return render(request, "hotline/track.html", context, status=status)


@login_required
def submit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """网上诉求: a signed-in citizen or enterprise submits a request; the platform files,
    classifies and routes it like a call."""
    if getattr(request.user, "kind", "") not in ("citizen", "enterprise"):
        raise PermissionDenied(_("网上诉求由市民或企业本人提交；工作人员请使用受理台。"))
    form = SubmitForm(request.POST or None, request.FILES or None, initial={"kind": "complaint"})
    status = 200
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "attachments"}
        try:
            t = do_take_ticket(
                actor=request.user,
                channel="web",
                contact_name=request.user.get_full_name() or str(request.user),
                contact_phone=getattr(request.user, "phone", "") or "",
                attachments=form.cleaned_data["attachments"],
                **values,
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
    return render(request, "hotline/submit.html", {"form": form}, status=status)


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
            "number": t.number,
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
