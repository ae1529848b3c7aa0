"""热点预警: turn detected clusters into alerts — one per burst, not one per run — and tell
the leaders and the 12345 值班长; they acknowledge what they have seen. Two kinds: a
matter's burst in one place (by category), and one problem told in different words
across categories (by content, ``hotspots_content``), whose tickets' content signatures
(内容签名) are written here too — at intake, or in batch for tickets that came without."""

from __future__ import annotations

import datetime as dt
from collections import Counter

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
from yiwang.hotline.hotspots import Cluster, detect_hotspots, key_counts, place_filter, place_of
from yiwang.hotline.hotspots_content import ContentCluster, detect_content_hotspots
from yiwang.hotline.models import HotspotAlert, Ticket, TicketTerm
from yiwang.hotline.signature import signature

SAMPLE = 5
MATTER_SHARE = 0.8
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


def recipients(alert: HotspotAlert):
    """Leaders and 12345 值班长 who hear of a hotspot: active staff holding either role
    whose reach covers the alert's division (a county's leader never hears of another
    county's compound)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, role_assignments__role__in=NOTIFY_ROLES)
        .distinct()
        .order_by("pk")
    )
    return [u for u in users if access.hotspots(u).filter(pk=alert.pk).exists()]


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
                "category": alert.category.display_name if alert.category else "",
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
    for user in recipients(alert):
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


def index_tickets(rows) -> int:
    """Write the content signatures (内容签名) of tickets — ``(pk, title, content,
    address, created_at)`` rows — as TicketTerm rows, in one bulk insert; a ticket
    already indexed is left as it is. Returns the rows written."""
    terms = []
    for pk, title, content, address, created_at in rows:
        vec, places = signature(f"{title} {content}", address)
        terms += [
            TicketTerm(ticket_id=pk, term=t, weight=w, created_at=created_at)
            for t, w in vec.items()
        ]
        terms += [TicketTerm(ticket_id=pk, term=p, created_at=created_at) for p in places]
    TicketTerm.objects.bulk_create(terms, batch_size=2000, ignore_conflicts=True)
    return len(terms)


def index_missing(start: dt.datetime, end: dt.datetime, batch: int = 2000) -> int:
    """Sign the tickets of [start, end) that have no signature yet (bulk imports, tickets
    from before signatures), batch by batch in id order (a ticket whose text gives no
    term is passed over, not read again). Returns how many tickets were read."""
    done, last = 0, 0
    while True:
        rows = list(
            Ticket.objects.filter(
                created_at__gte=start, created_at__lt=end, terms__isnull=True, pk__gt=last
            )
            .order_by("pk")
            .values_list("pk", "title", "content", "address", "created_at")[:batch]
        )
        if not rows:
            return done
        index_tickets(rows)
        done += len(rows)
        last = rows[-1][0]


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
        out.append(_matter_alert(c, actor))
    out += _content_alerts(actor, now)
    return out


def _matter_alert(c: Cluster, actor) -> HotspotAlert:
    """The alert of one matter's burst: the one already raised, brought up to date, or a
    new one (its leaders told)."""
    alert = _same_burst(c)
    if alert is not None:
        return _update(alert, c, actor)
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
        return _update(existing, c, actor)
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
    return alert


def _content_alerts(actor, now: dt.datetime) -> list[HotspotAlert]:
    """热点 by content: sign the longest window's unsigned tickets, detect clusters of one
    problem, and raise or extend one alert per cluster."""
    from yiwang.hotline.hotspots_content import windows

    longest = max(days for days, _least in windows())
    index_missing(now - dt.timedelta(days=longest), now)
    found = detect_content_hotspots(now)
    return [_content_alert(c, actor) for c in found if not _told_as_matter(c)]


def _told_as_matter(c: ContentCluster) -> bool:
    """Whether a burst of one matter in one place already tells of this cluster: most
    of its tickets (MATTER_SHARE) are of one category and place with an open or
    acknowledged alert reaching into the cluster's time — one problem, one alert."""
    rows = Ticket.objects.filter(pk__in=list(c.tickets)).values_list("category_id", "division_id")
    keys = Counter((cat, place_of(div)) for cat, div in rows if cat is not None)
    if not keys:
        return False
    (category_id, place), n = keys.most_common(1)[0]
    if n < MATTER_SHARE * len(c.tickets):
        return False
    return HotspotAlert.objects.filter(
        kind=HotspotAlert.Kind.MATTER,
        category_id=category_id,
        division_id=place,
        state__in=[State.OPEN, State.ACKNOWLEDGED],
        window_end__gte=c.window_start,
    ).exists()


def _content_sample(tickets: list[int]) -> list[dict]:
    rows = Ticket.objects.filter(pk__in=tickets[:SAMPLE]).values_list("pk", "number", "title")
    found = {pk: (number, title) for pk, number, title in rows}
    return [
        {"id": pk, "number": found[pk][0], "title": found[pk][1]} for pk in tickets if pk in found
    ][:SAMPLE]


def _same_problem(c: ContentCluster) -> HotspotAlert | None:
    """The content alert this cluster continues: a still open (or acknowledged) one
    sharing any of its tickets — the oldest, when the cluster joins two."""
    return (
        HotspotAlert.objects.select_for_update()
        .filter(
            kind=HotspotAlert.Kind.CONTENT,
            state__in=[State.OPEN, State.ACKNOWLEDGED],
            tickets__in=list(c.tickets),
        )
        .order_by("created_at", "pk")
        .first()
    )


def _content_alert(c: ContentCluster, actor) -> HotspotAlert:
    """One alert per problem: a cluster sharing tickets with an alert extends it (its
    tickets, theme and places brought up to date, audited when they grew); a new one is
    raised, audited and told to leaders and 值班长."""
    alert = _same_problem(c)
    if alert is not None:
        known = set(alert.tickets.values_list("pk", flat=True))
        grown = [pk for pk in c.tickets if pk not in known]
        alert.tickets.add(*grown)
        alert.count = len(known) + len(grown)
        alert.window_start = min(alert.window_start, c.window_start)
        alert.window_end = max(alert.window_end, c.window_end)
        alert.theme, alert.places = list(c.theme), list(c.places)
        alert.sample = _content_sample(list(c.tickets))
        alert.save()
        if grown:
            audit.record(
                actor=actor,
                action="hotline.hotspot.update",
                obj=alert,
                change={"count": alert.count, "added": grown},
            )
        return alert
    alert = HotspotAlert.objects.create(
        kind=HotspotAlert.Kind.CONTENT,
        division_id=c.division_id,
        window_start=c.window_start,
        window_end=c.window_end,
        count=len(c.tickets),
        baseline=0.0,
        sample=_content_sample(list(c.tickets)),
        theme=list(c.theme),
        places=list(c.places),
    )
    alert.tickets.add(*c.tickets)
    audit.record(
        actor=actor,
        action="hotline.hotspot.raise",
        obj=alert,
        change={
            "kind": "content",
            "division": c.division_id,
            "count": len(c.tickets),
            "theme": list(c.theme),
            "places": list(c.places),
            "window_days": c.window_days,
        },
    )
    _notify_content(alert, c.window_days)
    return alert


def _notify_content(alert: HotspotAlert, days: int) -> int:
    from yiwang.core.actions.notify import do_notify

    where = "、".join(alert.places) or alert.division.name
    title = bilingual(
        lambda: (
            ngettext(
                "热点预警：%(place)s“%(theme)s”%(days)s 天内 %(n)s 件",
                "热点预警：%(place)s“%(theme)s”%(days)s 天内 %(n)s 件",
                alert.count,
            )
            % {"place": where, "theme": " ".join(alert.theme[:3]), "days": days, "n": alert.count}
        )
    )
    body = bilingual(lambda: _("多件工单反映同一问题（分属不同诉求分类）。请关注并协调处置。"))
    url = reverse("hotline:hotspots") + f"#hotspot-{alert.pk}"
    sent = 0
    for user in recipients(alert):
        do_notify(actor=None, user=user, title=title, body=body, url=url)
        sent += 1
    return sent


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
