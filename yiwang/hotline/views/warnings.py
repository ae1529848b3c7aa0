"""预警信息发布 pages: the warnings list (with the draft form for those who publish), one
warning (publish, lift, progress while sending, who was reached per area, group and
channel), and the public page of warnings in force by area, level written out in words
beside its colour."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext

from yiwang.core import notify
from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.core.models import Division
from yiwang.hotline import access
from yiwang.hotline.actions.warnings import (
    CITY_PATH,
    GROUPS,
    KINDS,
    current,
    do_cancel_warning,
    do_draft_warning,
    do_publish_warning,
    progress,
    reach_summary,
)
from yiwang.hotline.forms import WarningDraftForm, WarningStepForm
from yiwang.hotline.models import Warning

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PER_PAGE = 30
CHANNEL_LABELS = {"sms": _l("短信"), "email": _l("邮件")}


def division_options(user) -> list[dict]:
    """The city, then each county with its townships (for a grouped multiple choice):
    the areas within the publisher's reach."""
    rows = [
        r
        for r in Division.objects.filter(path__startswith=CITY_PATH)
        .exclude(level=Division.Level.VILLAGE)
        .order_by("path")
        .values("code", "name", "level", "parent_id", "path")
        if access.may_publish_in(user, r["path"])
    ]
    city = [r for r in rows if r["level"] == Division.Level.CITY]
    counties = [r for r in rows if r["level"] == Division.Level.COUNTY]
    groups = [{"label": _("全市"), "options": city}]
    for c in counties:
        groups.append(
            {
                "label": c["name"],
                "options": [c] + [r for r in rows if r["parent_id"] == c["code"] and r is not c],
            }
        )
    return groups


def _channel_choices() -> list[tuple[str, StrOrPromise]]:
    return [(c, CHANNEL_LABELS.get(c, c)) for c in notify.channel_names()]


def warnings_home(request: HttpRequest) -> HttpResponse:
    """预警信息: for publishers every warning and the draft form; for everyone else the
    published ones."""
    user = request.user
    publisher = access.may_publish(user)
    form = WarningDraftForm(
        request.POST if request.method == "POST" else None,
        division_groups=division_options(user) if publisher else [],
        channels=_channel_choices(),
    )
    status = 200
    if request.method == "POST":
        if not publisher:
            raise PermissionDenied(_("您没有发布预警信息的权限。"))
        status = 400
        if form.is_valid():
            try:
                warning = do_draft_warning(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(request, _("预警草稿已保存，核对后即可发布。"))
                return redirect("hotline:warning", pk=warning.pk)
    qs = access.warnings(user).prefetch_related("divisions").order_by("-created_at", "-id")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "hotline/warnings/list.html",
        {
            "page": page,
            "publisher": publisher,
            "form": form,
            "kinds": KINDS,
        },
        status=status,
    )


def _warning(request: HttpRequest, pk: int) -> Warning:
    qs = access.warnings(request.user)
    warning = qs.select_related("created_by").prefetch_related("divisions").filter(pk=pk).first()
    if warning is None:
        raise Http404(_("未找到该预警信息。"))
    return warning


def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """一条预警: its text and areas; for publishers also publish / lift, the sending
    progress and who was reached."""
    warning = _warning(request, pk)
    publisher = access.may_keep_warning(request.user, warning)
    form = WarningStepForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not publisher:
            raise PermissionDenied(_("您没有发布预警信息的权限。"))
        status = 400
        if form.is_valid():
            try:
                if form.cleaned_data["op"] == "publish":
                    warning = do_publish_warning(actor=request.user, warning=warning)
                    info = progress(warning)
                    if info["finished"]:
                        note = ngettext(
                            "已发布，送达 %d 人。", "已发布，送达 %d 人。", warning.reached
                        ) % (warning.reached)
                    else:
                        note = _("已发布，接收人较多，正在后台发送，可在本页查看进度。")
                    messages.success(request, note)
                else:
                    do_cancel_warning(
                        actor=request.user, warning=warning, reason=form.cleaned_data["reason"]
                    )
                    messages.success(request, _("预警已解除，已通知原接收人。"))
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
                warning = _warning(request, pk)
            else:
                return redirect("hotline:warning", pk=warning.pk)
    context = {"warning": warning, "publisher": publisher, "form": form}
    if publisher and warning.state != Warning.State.DRAFT:
        context["progress"] = progress(warning)
        context["summary"] = reach_summary(warning)
    if publisher:
        context["channel_labels"] = [CHANNEL_LABELS.get(c, c) for c in warning.channels]
        context["group_labels"] = [str(GROUPS.get(g, g)) for g in warning.groups]
    return render(request, "hotline/warnings/detail.html", context, status=status)


def warning_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx partial polled while a large warning is being sent (reached / audience)."""
    warning = _warning(request, pk)
    if not access.may_keep_warning(request.user, warning):
        raise PermissionDenied(_("您没有发布预警信息的权限。"))
    return render(
        request,
        "hotline/warnings/_progress.html",
        {"warning": warning, "progress": progress(warning)},
    )


def warnings_public(request: HttpRequest) -> HttpResponse:
    """当前预警 by area (everyone, no sign-in): warnings in force under each area they
    were issued for, most severe first; recently lifted ones below."""
    order = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}
    live = sorted(
        current().prefetch_related("divisions")[:500],
        key=lambda w: (
            order.get(w.level, 9),
            -(w.published_at.timestamp() if w.published_at else 0),
        ),
    )
    areas: dict[str, dict] = {}
    for w in live:
        for d in w.divisions.all():
            areas.setdefault(d.path, {"division": d, "warnings": []})["warnings"].append(w)
    lifted = (
        Warning.objects.filter(state=Warning.State.CANCELLED)
        .prefetch_related("divisions")
        .order_by("-published_at", "-id")[:10]
    )
    return render(
        request,
        "hotline/warnings/public.html",
        {"areas": [areas[k] for k in sorted(areas)], "count": len(live), "lifted": lifted},
    )


urlpatterns = [
    path("warnings/", warnings_home, name="warnings"),
    path("warnings/public/", warnings_public, name="warnings-public"),
    path("warnings/<int:pk>/", warning_detail, name="warning"),
    path("warnings/<int:pk>/progress/", warning_progress, name="warning-progress"),
]
