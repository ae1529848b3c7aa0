"""热点预警: turn detected clusters into alerts — one per burst, not one per run — and tell
the leaders and the 12345 值班长; they acknowledge what they have seen."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yiwang.core import audit
from yiwang.core.notify.text import bilingual
from yiwang.hotline import access
from yiwang.hotline.hotspots import Cluster, detect_hotspots, key_counts, place_filter
from yiwang.hotline.models import HotspotAlert, Ticket

SAMPLE = 5
NOTIFY_ROLES = ("leader", "hotline_supervisor")
State = HotspotAlert.State


def _sample(c: Cluster, start: dt.datetime) -> list[dict]:
    rows = (
        Ticket.objects.filter(
            place_filter(c.division_id),
            category_id=c.category_id,
            created_at__gte=start,
            created_at__lt=c.window_end,
        )
        .order_by("-created_at", "-id")
        .values_list("pk", "number", "title")[:SAMPLE]
    )
    return [{"id": pk, "number": number, "title": title} for pk, number, title in rows]


def recipients():
    """Leaders and 12345 值班长 who hear of hotspots (active staff holding either role)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, role_assignments__role__in=NOTIFY_ROLES)
        .distinct()
        .order_by("pk")
    )


def _notify(alert: HotspotAlert) -> int:
    from yiwang.core.actions.notify import do_notify

    hours = int(settings.YIWANG.get("HOTLINE_HOTSPOT_WINDOW_HOURS", 24))
    title = bilingual(
        lambda: (
            ngettext(
                "热点预警：%(place)s“%(category)s”%(hours)s 小时内 %(n)s 件",
                "热点预警：%(place)s“%(category)s”%(hours)s 小时内 %(n)s 件",
                alert.count,
            )
            % {
                "place": alert.division.name,
                "category": alert.category.display_name,
                "hours": hours,
                "n": alert.count,
            }
        )
    )
    body = bilingual(
        lambda: (
            _("常态约每 %(hours)s 小时 %(base).1f 件。请关注并协调处置。")
            % {"hours": hours, "base": alert.baseline}
        )
    )
    url = reverse("hotline:hotspots") + f"#hotspot-{alert.pk}"
    sent = 0
    for user in recipients():
        do_notify(actor=None, user=user, title=title, body=body, url=url)
        sent += 1
    return sent


def _same_burst(c: Cluster) -> HotspotAlert | None:
    """An alert of the same matter and place this cluster continues: one still open (or
    acknowledged) whose window reaches into this one, or one of the very same window."""
    qs = HotspotAlert.objects.select_for_update().filter(
        category_id=c.category_id, division_id=c.division_id
    )
    alert = (
        qs.filter(state__in=[State.OPEN, State.ACKNOWLEDGED], window_end__gte=c.window_start)
        .order_by("-window_start")
        .first()
    )
    return alert or qs.filter(window_start=c.window_start).first()


def _update(alert: HotspotAlert, c: Cluster, actor) -> HotspotAlert:
    key = (c.category_id, c.division_id)
    count = key_counts([key], alert.window_start, c.window_end).get(key, 0)
    before = alert.count
    alert.count = max(count, c.count)
    alert.window_end = max(alert.window_end, c.window_end)
    alert.sample = _sample(c, alert.window_start)
    alert.save(update_fields=["count", "window_end", "sample"])
    if alert.count != before:
        audit.record(
            actor=actor,
            action="hotline.hotspot.update",
            obj=alert,
            change={"count": alert.count, "from": before},
        )
    return alert


@transaction.atomic
def do_raise_hotspot_alerts(*, actor=None, now: dt.datetime | None = None) -> list[HotspotAlert]:
    """热点预警: detect clusters in the window ending ``now``; a new burst gets one alert
    and its leaders are told; a burst already alerted only has its count brought up to
    date (re-running, hourly or twice, never raises a second alert)."""
    now = now or timezone.now()
    cfg = settings.YIWANG
    clusters = detect_hotspots(
        now,
        cfg.get("HOTLINE_HOTSPOT_WINDOW_HOURS", 24),
        cfg.get("HOTLINE_HOTSPOT_MIN_TICKETS", 10),
        cfg.get("HOTLINE_HOTSPOT_RATIO", 3.0),
    )
    out: list[HotspotAlert] = []
    for c in clusters:
        alert = _same_burst(c)
        if alert is not None:
            out.append(_update(alert, c, actor))
            continue
        try:
            with transaction.atomic():
                alert = HotspotAlert.objects.create(
                    category_id=c.category_id,
                    division_id=c.division_id,
                    window_start=c.window_start,
                    window_end=c.window_end,
                    count=c.count,
                    baseline=c.baseline,
                    sample=_sample(c, c.window_start),
                )
        except IntegrityError:  # raised at the same moment by another worker
            existing = _same_burst(c)
            assert existing is not None, "the other worker's alert is there"
            out.append(_update(existing, c, actor))
            continue
        audit.record(
            actor=actor,
            action="hotline.hotspot.raise",
            obj=alert,
            change={
                "category": c.category_id,
                "division": c.division_id,
                "count": c.count,
                "baseline": c.baseline,
                "window_start": c.window_start,
            },
        )
        _notify(alert)
        out.append(alert)
    return out


@transaction.atomic
def do_acknowledge_hotspot(*, actor, alert: HotspotAlert) -> HotspotAlert:
    """已知悉: a supervisor or leader has seen the hotspot (it stays listed)."""
    alert = HotspotAlert.objects.select_for_update().select_related("division").get(pk=alert.pk)
    access.require_acknowledge(actor, alert)
    if alert.state != State.OPEN:
        raise ValidationError(
            _("该热点预警已是“%s”状态。") % alert.get_state_display(), code="not_open"
        )
    alert.state = State.ACKNOWLEDGED
    alert.acknowledged_by = actor
    alert.save(update_fields=["state", "acknowledged_by"])
    audit.record(
        actor=actor, action="hotline.hotspot.acknowledge", obj=alert, change={"from": "open"}
    )
    return alert
