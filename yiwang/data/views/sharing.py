"""共享交换 pages: share requests (list, new, detail with workflow actions), grants (list,
detail with 收回授权), the provider's 用数记录 and the citizen's "who read my data"."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.access import has_perm, pick, require
from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.identity import assurance
from yiwang.core.inbox import case_events
from yiwang.core.workflow import available_actions
from yiwang.data import access
from yiwang.data.actions.sharing import (
    do_decide_share,
    do_request_share,
    do_revoke_grant,
)
from yiwang.data.forms import (
    GrantRevokeForm,
    ShareDecideForm,
    ShareRequestForm,
    ShareResourceForm,
)
from yiwang.data.gateway import client_identifier
from yiwang.data.models import ShareRequest
from yiwang.data.queries import uses


def _staff(request: HttpRequest) -> None:
    require(request.user, "data.view", message=_("共享交换仅对数据工作人员开放。"))


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """共享申请: those our department asked for and those we must answer."""
    _staff(request)
    qs = access.share_requests(request.user).select_related("resource", "consumer")
    status = request.GET.get("status", "")
    if status in ShareRequest.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "data/sharing/request_list.html",
        {
            "page": page,
            "status": status,
            "statuses": ShareRequest.Status.choices,
            "query": f"status={status}" if status else "",
            "can_ask": has_perm(request.user, "data.manage"),
        },
    )


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """提出共享申请: choose a published resource, then its items, purpose and period."""
    _staff(request)
    require(request.user, "data.manage", message=_("只有数据专员可以提出共享申请。"))
    resources = access.resources(request.user).filter(status="published").order_by("code")
    if request.method == "POST":
        choice = ShareResourceForm(request.POST, resources=resources)
    elif "resource" in request.GET:  # the first step's form, sent by GET
        choice = ShareResourceForm(request.GET, resources=resources)
    else:
        choice = ShareResourceForm(resources=resources)
    resource = choice.cleaned_data["resource"] if choice.is_valid() else None
    items = list(resource.items.all()) if resource else []
    today = timezone.localdate()
    initial = {"starts_on": today, "ends_on": today + dt.timedelta(days=365)}
    if request.method == "POST":
        form = ShareRequestForm(request.POST, items=items)
    else:
        form = ShareRequestForm(initial=initial, items=items)
    status = 400 if choice.is_bound and resource is None else 200
    if request.method == "POST" and resource is not None:
        status = 400
        if form.is_valid():
            try:
                out = do_request_share(actor=request.user, resource=resource, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                if out.credentials:  # shown once: render instead of redirecting
                    return _request_page(request, out.request, credentials=out.credentials)
                messages.success(request, _("申请已提交：%s") % out.request.number)
                return redirect("data:share-request", pk=out.request.pk)
    return render(
        request,
        "data/sharing/request_new.html",
        {"resource": resource, "choice": choice, "form": form},
        status=status,
    )


def _request_page(request, req, *, credentials=None, form=None, status=200) -> HttpResponse:
    actions = available_actions(request.user, req.case) if req.case_id else []
    grant = getattr(req, "grant", None) if req.status == "granted" else None
    return render(
        request,
        "data/sharing/request_detail.html",
        {
            "req": req,
            "actions": actions,
            "grant": grant,
            "credentials": credentials,
            "form": form or ShareDecideForm(),
            "events": case_events(req.case) if req.case_id else [],
        },
        status=status,
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """共享申请详情 with the workflow actions open to me (提供方/大数据局审核)."""
    _staff(request)
    qs = access.share_requests(request.user).select_related(
        "resource__provider", "consumer", "case__workflow", "case__division", "case__department"
    )
    req = pick(qs, pk)
    if request.method == "POST":
        form = ShareDecideForm(request.POST)
        if not form.is_valid():
            return _request_page(request, req, form=form, status=400)
        try:
            out = do_decide_share(actor=request.user, request=req, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
            return _request_page(request, req, form=form, status=status_of(exc))
        if out.credentials:
            return _request_page(request, out.request, credentials=out.credentials)
        messages.success(request, _("已办理：%s") % out.request.get_status_display())
        return redirect("data:share-request", pk=req.pk)
    return _request_page(request, req)


@login_required
def grant_list(request: HttpRequest) -> HttpResponse:
    """共享授权 of our department (as consumer or provider)."""
    _staff(request)
    qs = access.grants(request.user).select_related("resource", "consumer", "client")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "data/sharing/grant_list.html", {"page": page, "now": timezone.now()})


@login_required
def grant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """共享授权详情: fields, rate, period, client identifier, recent reads; 收回授权."""
    _staff(request)
    grant = pick(
        access.grants(request.user).select_related("resource", "consumer", "client", "request"),
        pk,
    )
    form = GrantRevokeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            try:
                do_revoke_grant(actor=request.user, grant=grant, reason=reason)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(request, _("授权已收回。"))
                return redirect("data:grant", pk=grant.pk)
    return render(
        request,
        "data/sharing/grant_detail.html",
        {
            "grant": grant,
            "identifier": client_identifier(grant),
            "can_revoke": grant.revoked_at is None and access.may_revoke(request.user, grant),
            "accesses": grant.accesses.select_related("consumer")[:20],
            "form": form,
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
def usage(request: HttpRequest) -> HttpResponse:
    """用数记录: who used the data our department provides (部门、系统、时间、信息项、用途)."""
    _staff(request)
    qs = access.accesses_as_provider(request.user).select_related(
        "consumer", "provider", "resource"
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "data/sharing/usage.html",
        {"page": page, "rows": _labelled(page.object_list), "chart": _usage_chart(qs)},
    )


def _labelled(accesses) -> list[tuple]:
    """(access, item names of its fields) — people read 姓名, not ``name``."""
    names: dict[int, dict[str, str]] = {}
    out = []
    for a in accesses:
        if a.resource_id not in names:
            names[a.resource_id] = dict(a.resource.items.values_list("field", "name"))
        out.append((a, [names[a.resource_id].get(f, f) for f in a.fields]))
    return out


def _usage_chart(qs) -> dict:
    """Reads per day over the last 30 days, one series per consuming department."""
    from django.db.models import Count
    from django.db.models.functions import TruncDate

    today = timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in range(29, -1, -1)]
    since = timezone.now() - dt.timedelta(days=30)
    rows = (
        qs.filter(at__gte=since)
        .annotate(day=TruncDate("at"))
        .values("day", "consumer__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    series: dict[str, dict] = {}
    for r in rows:
        series.setdefault(r["consumer__name"], {})[r["day"]] = r["n"]
    return {
        "x": [d.strftime("%m-%d") for d in days],
        "series": [
            {"name": name, "data": [per.get(d, 0) for d in days]}
            for name, per in sorted(series.items(), key=lambda kv: -sum(kv[1].values()))[:8]
        ],
    }


@login_required
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """谁用了我的数据: every use of the signed-in citizen's data — exchange-gateway reads
    and the platform's own uses (registry checks, licence verifications, reveals) — one
    list, newest first, paged by cursor (``queries.uses``)."""
    if request.user.kind != "citizen":
        raise PermissionDenied(_("此页面供群众查看本人数据的使用记录。"))
    if not assurance.is_verified(request.user):
        return assurance.refusal_page(request, _("谁用了我的数据"))
    page = uses.uses_page(request.user, request.GET.get("cursor", ""))
    return render(request, "data/sharing/my_data.html", {"page": page, "rows": page.rows})


urlpatterns = [
    path("sharing/requests/", request_list, name="share-requests"),
    path("sharing/requests/new/", request_new, name="share-request-new"),
    path("sharing/requests/<int:pk>/", request_detail, name="share-request"),
    path("sharing/grants/", grant_list, name="grants"),
    path("sharing/grants/<int:pk>/", grant_detail, name="grant"),
    path("sharing/usage/", usage, name="usage"),
    path("my-data/", my_data, name="my-data"),
]
