"""热点发现: a burst of one matter in one township raises exactly one alert however often
detection runs and as the burst grows; background noise raises none; a place with a
usually high count needs ratio × its baseline; leaders and 值班长 are told once;
acknowledging; the hourly task; trends; the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from yiwang.core.models import AuditEntry, Notification
from yiwang.hotline.actions.hotspots import do_acknowledge_hotspot, do_raise_hotspot_alerts
from yiwang.hotline.hotspots import detect_hotspots, place_of, window_bounds
from yiwang.hotline.models import Category, HotspotAlert
from yiwang.hotline.tests.synthetic import many, ticket_row
from yiwang.hotline.trends import trend_by_category, trend_by_division

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
PIPE = "城关镇建设路自来水管爆裂，整条街停水"


@pytest.fixture(autouse=True)
def _hotspot_settings(settings):
    settings.YIWANG = {
        **settings.YIWANG,
        "HOTLINE_HOTSPOT_WINDOW_HOURS": 24,
        "HOTLINE_HOTSPOT_MIN_TICKETS": 10,
        "HOTLINE_HOTSPOT_RATIO": 3.0,
    }


@pytest.fixture
def now():
    """Half past an hour, so a run 40 minutes later falls in the next hour."""
    return timezone.now().replace(minute=30, second=0, microsecond=0)


@pytest.fixture
def leader(make_staff):
    return make_staff("leader", "410800", "general_office", full_name="钱领导")


def noise(now, city):
    """Everyday tickets: a few of each matter in every county's townships, spread over
    the window and the 28 days before it."""
    codes = ["010201", "010303", "010501", "010502", "060101", "030301", "050101", "090101"]
    places = [f"{c}00{i}" for c in ("410802", "410822", "410823", "410882") for i in (1, 2)]
    cats = {c.code: c for c in Category.objects.filter(code__in=codes)}
    rows = []
    for k in range(400):
        rows.append(
            ticket_row(
                f"日常诉求{k}",
                category=codes[k % len(codes)],
                division=places[(k * 7) % len(places)],
                created_at=now - dt.timedelta(minutes=29 * 24 * 60 * k / 400 + 1),
                categories=cats,
            )
        )
    from yiwang.core.fields import assign_row_ids
    from yiwang.hotline.models import Ticket

    assign_row_ids(rows)  # one query for all (tickets carry encrypted contact fields)
    Ticket.objects.bulk_create(rows)


def burst(now, count, *, start_hours=5, division="410823001", category="010301"):
    """``count`` tickets of one matter in one township over the last ``start_hours``."""
    step = dt.timedelta(hours=start_hours) / count
    return many(
        count,
        PIPE,
        start=now - dt.timedelta(hours=start_hours),
        step=step,
        division=division,
        category=category,
    )


def test_places_and_windows():
    assert place_of("410823001002") == "410823001" and place_of("410823") == "410823"
    start, end = window_bounds(dt.datetime(2026, 5, 1, 10, 42, tzinfo=dt.UTC), 24)
    assert start == dt.datetime(2026, 4, 30, 10, 0, tzinfo=dt.UTC)
    assert end.minute == 42


def test_background_noise_raises_nothing(city, now):
    noise(now, city)
    assert detect_hotspots(now) == []
    assert do_raise_hotspot_alerts(now=now) == []
    assert HotspotAlert.objects.count() == 0


def test_a_burst_raises_exactly_one_alert(city, now, supervisor, leader, agent, make_staff):
    # A leader of another county (博爱县) never hears of a 武陟县 compound.
    make_staff("leader", "410822", "big_data", full_name="孙领导")
    noise(now, city)
    burst(now, 12)
    clusters = detect_hotspots(now)
    assert [(c.division_id, c.count) for c in clusters] == [("410823001", 12)]
    assert clusters[0].category_id == Category.objects.get(code="010301").pk
    first = do_raise_hotspot_alerts(now=now)
    assert len(first) == 1
    alert = first[0]
    assert alert.window_start.minute == 0 and alert.count == 12 and alert.state == "open"
    assert len(alert.sample) == 5 and alert.sample[0]["number"].startswith("T-")
    # Run again at once, and again later in the next hour as more calls of the same
    # burst arrive: still one alert, its count brought up to date.
    again = do_raise_hotspot_alerts(now=now + dt.timedelta(minutes=5))
    assert [a.pk for a in again] == [alert.pk]
    many(
        5,
        PIPE,
        start=now + dt.timedelta(minutes=10),
        step=dt.timedelta(minutes=5),
        division="410823001",
        category="010301",
    )
    later = do_raise_hotspot_alerts(now=now + dt.timedelta(minutes=40))
    assert [a.pk for a in later] == [alert.pk]
    assert HotspotAlert.objects.count() == 1
    alert.refresh_from_db()
    assert alert.count == 17 and alert.window_end == now + dt.timedelta(minutes=40)
    assert AuditEntry.objects.filter(action="hotline.hotspot.raise").count() == 1
    assert AuditEntry.objects.filter(action="hotline.hotspot.update").count() == 1
    # Leaders and 值班长 were told once; the agent not.
    told = Notification.objects.filter(title__startswith="热点预警")
    assert sorted(told.values_list("user_id", flat=True)) == sorted([supervisor.pk, leader.pk])
    assert "12 件" in told.first().title and "/hotline/hotspots/" in told.first().url


def test_acknowledged_burst_is_updated_not_raised_again(city, now, supervisor):
    burst(now, 11)
    alert = do_raise_hotspot_alerts(now=now)[0]
    do_acknowledge_hotspot(actor=supervisor, alert=alert)
    many(
        3,
        PIPE,
        start=now + dt.timedelta(minutes=1),
        step=dt.timedelta(minutes=1),
        division="410823001",
        category="010301",
    )
    again = do_raise_hotspot_alerts(now=now + 2 * HOUR)
    assert [a.pk for a in again] == [alert.pk] and HotspotAlert.objects.count() == 1
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.count == 14
    assert Notification.objects.filter(title__startswith="热点预警").count() == 1


def test_a_new_burst_after_a_quiet_day_raises_a_new_alert(city, now):
    burst(now - 3 * DAY, 12)
    assert len(do_raise_hotspot_alerts(now=now - 3 * DAY)) == 1
    assert do_raise_hotspot_alerts(now=now) == []  # the burst is over
    burst(now, 40)
    raised = do_raise_hotspot_alerts(now=now)
    assert len(raised) == 1 and HotspotAlert.objects.count() == 2
    assert raised[0].count == 40


def test_a_usually_busy_place_needs_ratio_times_its_baseline(city, now):
    # 15 a day for four weeks in 410822001: the usual count per 24 h window is 15.
    many(
        15 * 28,
        "博爱县城区街道供暖不热",
        start=now - 29 * DAY,
        step=DAY / 15,
        division="410822001",
        category="010303",
    )
    busy = burst(now, 30, division="410822001", category="010303")
    assert busy and detect_hotspots(now) == []  # 30 < 3 × 15
    many(
        16,
        "博爱县城区街道供暖不热",
        start=now - 3 * HOUR,
        step=dt.timedelta(minutes=5),
        division="410822001",
        category="010303",
    )
    (c,) = detect_hotspots(now)
    assert c.count == 46 and c.division_id == "410822001"
    assert 14 <= c.baseline <= 16 and c.ratio >= 3
    # A quiet place reaches an alert with the minimum count alone.
    burst(now, 10, division="410823002", category="010502")
    assert {c.division_id for c in detect_hotspots(now)} == {"410822001", "410823002"}
    assert [c.division_id for c in detect_hotspots(now, min_tickets=11)] == ["410822001"]


def test_tickets_known_only_by_county_count_for_the_county(city, now):
    burst(now, 6, division="410823001")
    burst(now, 6, division="410823")
    assert detect_hotspots(now) == []  # neither place has ten
    burst(now, 4, division="410823")
    assert [(c.division_id, c.count) for c in detect_hotspots(now)] == [("410823", 10)]


def test_acknowledge_rights_and_state(city, now, supervisor, agent, leader):
    burst(now, 12)
    alert = do_raise_hotspot_alerts(now=now)[0]
    with pytest.raises(PermissionDenied):
        do_acknowledge_hotspot(actor=agent, alert=alert)
    done = do_acknowledge_hotspot(actor=leader, alert=alert)
    assert done.state == "acknowledged" and done.acknowledged_by == leader
    with pytest.raises(ValidationError):
        do_acknowledge_hotspot(actor=supervisor, alert=alert)


def test_hourly_task_raises_alerts(city, supervisor):
    from yiwang.core.schedule import PERIODIC
    from yiwang.hotline.tasks import raise_hotspot_alerts

    assert (3600, "yiwang.hotline.tasks.raise_hotspot_alerts") in PERIODIC
    burst(timezone.now(), 12)
    assert raise_hotspot_alerts.call() == 1
    assert raise_hotspot_alerts.call() == 1
    assert HotspotAlert.objects.count() == 1


def test_trends_count_per_day(city, now):
    today = timezone.localdate(now)
    many(3, "井盖丢失", start=now - 2 * DAY, step=dt.timedelta(minutes=1), category="010403")
    many(2, "井盖丢失", start=now - 2 * HOUR, step=dt.timedelta(minutes=1), category="010403")
    many(
        4,
        "拖欠工资",
        start=now - 2 * HOUR,
        step=dt.timedelta(minutes=1),
        category="050101",
        division="410822001",
    )
    t = trend_by_category(7, today=today)
    assert len(t["dates"]) == 7 and t["dates"][-1] == today.isoformat()
    series = {s["code"]: s for s in t["series"]}
    assert series["010403"]["total"] == 5 and series["050101"]["total"] == 4
    assert sum(series["010403"]["data"][-3:]) == 5
    only = trend_by_category(7, "410822", today=today)
    assert [s["code"] for s in only["series"]] == ["050101"]
    d = trend_by_division(7, today=today)
    assert [(s["code"], s["total"]) for s in d["series"]] == [("410823", 5), ("410822", 4)]
    assert d["series"][0]["name"] == "武陟县"
    wages = "050101"
    assert [s["total"] for s in trend_by_division(7, wages[:2], today=today)["series"]] == [4]


def test_hotspots_page(client, city, now, leader, agent, citizen):
    burst(now, 12)
    alert = do_raise_hotspot_alerts(now=now)[0]
    client.force_login(agent)
    html = client.get("/hotline/hotspots/").content.decode()
    assert f'id="hotspot-{alert.pk}"' in html and "武陟县城关镇" in html
    assert "echarts" in html and 'id="trend-category-chart"' in html
    assert "hotspot-acknowledge" not in html and f"/hotspots/{alert.pk}/acknowledge/" not in html
    client.force_login(leader)
    html = client.get("/hotline/hotspots/", {"days": 7}).content.decode()
    assert f"/hotline/hotspots/{alert.pk}/acknowledge/" in html
    r = client.post(f"/hotline/hotspots/{alert.pk}/acknowledge/")
    assert r.status_code == 302 and HotspotAlert.objects.get(pk=alert.pk).state == "acknowledged"
    client.force_login(agent)
    assert client.post(f"/hotline/hotspots/{alert.pk}/acknowledge/").status_code == 403
    client.force_login(citizen)
    assert client.get("/hotline/hotspots/").status_code == 403


def test_county_staff_see_and_acknowledge_only_their_county(client, city, now, make_staff):
    """热点预警 and trends stop at the holder's reach: another county's leader and staff
    see neither the alert, its place and ticket numbers, nor its tickets in the trend."""
    burst(now, 12)
    many(
        4, "拖欠工资", start=now - 2 * HOUR, step=HOUR / 10, category="050101", division="410822001"
    )
    alert = do_raise_hotspot_alerts(now=now)[0]
    numbers = [s["number"] for s in alert.sample if isinstance(s, dict) and "number" in s]
    boai_leader = make_staff("leader", "410822", "market")
    boai_handler = make_staff("hotline_handler", "410822", "housing")
    wuzhi_leader = make_staff("leader", "410823", "market")
    for user in (boai_leader, boai_handler):
        client.force_login(user)
        html = client.get("/hotline/hotspots/").content.decode()
        assert f'id="hotspot-{alert.pk}"' not in html and "武陟县城关镇" not in html
        assert not any(n in html for n in numbers)
        assert "武陟县" not in html  # the county trend holds Boai's tickets only
        assert client.post(f"/hotline/hotspots/{alert.pk}/acknowledge/").status_code == 404
    with pytest.raises(PermissionDenied):
        do_acknowledge_hotspot(actor=boai_leader, alert=alert)
    assert HotspotAlert.objects.get(pk=alert.pk).state == "open"
    client.force_login(wuzhi_leader)
    assert (
        f"/hotline/hotspots/{alert.pk}/acknowledge/"
        in client.get("/hotline/hotspots/").content.decode()
    )
    assert client.post(f"/hotline/hotspots/{alert.pk}/acknowledge/").status_code == 302
    assert HotspotAlert.objects.get(pk=alert.pk).state == "acknowledged"


@pytest.mark.parametrize("role", ["dept_admin", "hotline_handler"])
def test_city_department_staff_see_hotspots_of_every_county(city, make_staff, now, role):
    """A city department's grant reaches every division: it lists hotspots of the city
    and of each county (a grant reaching everywhere must not vanish from the OR of a
    user's grants)."""
    from yiwang.core.models import Division
    from yiwang.hotline import access as hotline_access

    category = Category.objects.get(code="010301")
    for code in ("410802001", "410823001"):
        HotspotAlert.objects.create(
            category=category,
            division=Division.objects.get(code=code),
            window_start=now - DAY,
            window_end=now,
            count=9,
            baseline=1.0,
            sample=[],
        )
    user = make_staff(role, "410800", "market")
    seen = {a.division_id for a in hotline_access.hotspots(user)}
    assert seen == {"410802001", "410823001"}
    county = make_staff(role, "410823", "market")
    assert {a.division_id for a in hotline_access.hotspots(county)} == {"410823001"}
