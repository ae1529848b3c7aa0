"""热点与趋势 pages: the hotspot alerts (值班长 and leaders acknowledge them) with the
trend charts by matter and by county, and the htmx partial listing similar tickets
beside the agent's intake form (相似工单)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.access import reach_divisions, require
from yiwang.core.models import Division
from yiwang.hotline import access
from yiwang.hotline.actions.hotspots import do_acknowledge_hotspot
from yiwang.hotline.models import Category, HotspotAlert
from yiwang.hotline.similarity import similar_tickets
from yiwang.hotline.trends import trend_by_category, trend_by_division

PERIODS = (7, 30, 90)
ALERT_DAYS = 30


def _period(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", 30))
    except (TypeError, ValueError):
        return 30
    return days if days in PERIODS else 30


@login_required
def hotspots(request: HttpRequest) -> HttpResponse:
    """热点预警 (open first, last 30 days) and 诉求趋势 charts: tickets per day of the
    busiest matters (line) and per county (bar, totals over the period)."""
    require(request.user, "hotline.view")
    since = timezone.now() - dt.timedelta(days=ALERT_DAYS)
    alerts = list(
        access.hotspots(request.user)
        .filter(window_end__gte=since)
        .select_related("category", "division", "acknowledged_by")
        .order_by("state", "-window_end")[:100]
    )
    order: dict[str, int] = {HotspotAlert.State.OPEN: 0, HotspotAlert.State.ACKNOWLEDGED: 1}
    alerts.sort(key=lambda a: (order.get(a.state, 2), -a.window_end.timestamp()))
    _list_tickets(alerts)
    # Sample tickets are linked only where the viewer may open them (a county handler
    # sees a hotspot of the county, not every department's tickets in it).
    sampled = {s["id"] for a in alerts for s in a.listed if isinstance(s, dict) and "id" in s}
    openable = set(access.tickets(request.user).filter(pk__in=sampled).values_list("pk", flat=True))
    days = _period(request)
    within = reach_divisions(request.user, "hotline.view")
    by_category = trend_by_category(days, within=within)
    by_division = trend_by_division(days, within=within)
    chart = {
        "dates": by_category["dates"],
        "categories": by_category["series"],
        "divisions": {
            "names": [s["name"] for s in by_division["series"]],
            "totals": [s["total"] for s in by_division["series"]],
        },
        "labels": {"total": _("工单数")},
    }
    return render(
        request,
        "hotline/hotspots.html",
        {
            "alerts": alerts,
            "open_count": sum(a.state == HotspotAlert.State.OPEN for a in alerts),
            "can_acknowledge": access.may_acknowledge(request.user),
            "acknowledgeable": {a.pk for a in alerts if access.may_acknowledge(request.user, a)},
            "openable": openable,
            "days": days,
            "periods": PERIODS,
            "by_category": by_category,
            "by_division": by_division,
            "chart": chart,
        },
    )


def _list_tickets(alerts: list[HotspotAlert]) -> None:
    """Give each alert ``listed``: every ticket of a hotspot by content (one read for
    all of them), the sample of a matter's burst."""
    through = HotspotAlert.tickets.through
    rows = (
        through.objects.filter(hotspotalert_id__in=[a.pk for a in alerts if a.kind == "content"])
        .order_by("-ticket__created_at", "-ticket_id")
        .values_list("hotspotalert_id", "ticket_id", "ticket__number", "ticket__title")
    )
    listed: dict[int, list[dict]] = {}
    for alert_id, pk, number, title in rows:
        listed.setdefault(alert_id, []).append({"id": pk, "number": number, "title": title})
    for a in alerts:
        setattr(a, "listed", listed.get(a.pk) or a.sample or [])  # noqa: B010 - read by the page


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """已知悉 a hotspot alert (值班长, leaders)."""
    require(request.user, "hotline.view")
    alert = access.hotspots(request.user).filter(pk=pk).first()
    if alert is None:
        raise Http404(_("未找到该热点预警。"))
    try:
        do_acknowledge_hotspot(actor=request.user, alert=alert)
        messages.success(request, _("已确认热点预警。"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("hotline:hotspots")


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _typed_division(params) -> str | None:
    """The 区划 of the request being typed: the division given, if it exists, else the
    one its address names (None when neither says)."""
    division = (params.get("division") or "").replace("\x00", "").strip()[:12] or None
    if division and not Division.objects.filter(pk=division).exists():
        division = None
    address = (params.get("address") or "").replace("\x00", "")[:200]
    if division is None and address:
        from yiwang.hotline.location import division_from_address

        division = division_from_address(address)
    return division


def _typed_category(params) -> str | None:
    """The 诉求分类 given: a known code, or a number (a category id); else None."""
    category = (params.get("category") or "").replace("\x00", "").strip()[:16] or None
    if category and not Category.objects.filter(code=category).exists():
        category = None if not category.isdigit() else category
    return category


@login_required
def similar(request: HttpRequest) -> HttpResponse:
    """htmx partial: tickets like the one being typed (``text``, with ``division`` or
    ``address``, ``longitude``/``latitude`` when known; of any category), only those
    the user may open."""
    require(request.user, "hotline.view")
    text = (request.GET.get("text") or request.GET.get("q") or "").replace("\x00", "")
    text = text[: settings.YIWANG["HOTLINE_CONTENT_MAX"]]
    division = _typed_division(request.GET)
    category = _typed_category(request.GET)
    found = []
    if text.strip():
        pairs = similar_tickets(
            text,
            division=division,
            category=category,
            longitude=_float(request.GET.get("longitude")),
            latitude=_float(request.GET.get("latitude")),
            address=(request.GET.get("address") or "").replace("\x00", "")[:200],
        )
        visible = set(
            access.tickets(request.user)
            .filter(pk__in=[t.pk for t, _s in pairs])
            .values_list("pk", flat=True)
        )
        found = [
            {"ticket": t, "score": s, "percent": round(s * 100)}
            for t, s in pairs
            if t.pk in visible
        ]
    return render(request, "hotline/_similar.html", {"similar": found, "asked": bool(text.strip())})


urlpatterns = [
    path("hotspots/", hotspots, name="hotspots"),
    path("hotspots/<int:pk>/acknowledge/", acknowledge, name="hotspot-acknowledge"),
    path("similar/", similar, name="similar"),
]
