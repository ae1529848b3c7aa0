"""预警信息发布: drafting with its checks, publishing to exactly the people of the chosen
areas and groups (and nobody else), the record of who was reached, background sending of
large audiences with progress, 解除, rights, pages and API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from yiwang.core.actions.users import do_create_citizen, do_create_enterprise
from yiwang.core.identifiers import make_credit_code, make_id_number
from yiwang.core.models import AuditEntry, Delivery, Notification
from yiwang.hotline.actions.grid import do_define_grid, do_set_grid_workers
from yiwang.hotline.actions.warnings import (
    do_cancel_warning,
    do_draft_warning,
    do_publish_warning,
    progress,
    reach_summary,
    recipient_ids,
)
from yiwang.hotline.models import Warning, WarningRecipient

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
ALL_GROUPS = ["citizens", "staff", "grid_workers", "enterprises"]


def _person(city, id_number: str, division: str):
    from yiwang.data.models import Person

    now = timezone.now()
    return Person.objects.create(
        id_number=id_number,
        name="居民",
        division_id=division,
        source_department=city.department("410800", "public_security"),
        created_at=now,
        updated_at=now,
    )


def _entity(city, credit_code: str, division: str):
    from yiwang.data.models import LegalEntity

    now = timezone.now()
    return LegalEntity.objects.create(
        credit_code=credit_code,
        name=f"企业{credit_code[-4:]}",
        division_id=division,
        source_department=city.department("410800", "market"),
        created_at=now,
        updated_at=now,
    )


@pytest.fixture
def people(city, make_staff, supervisor):
    """Accounts in 武陟县 and in 博爱县 of every group, and a citizen the registry lacks."""

    def citizen(username: str, id_number: str, division: str | None):
        user = do_create_citizen(
            actor=None,
            username=username,
            full_name=username,
            id_number=id_number,
            password=None,
            phone="13800000000",
            validate=False,
        )
        if division:
            _person(city, id_number, division)
        return user

    def enterprise(username: str, org8: str, division: str):
        code = make_credit_code("91", division[:6], org8)
        user = do_create_enterprise(
            actor=None,
            username=username,
            enterprise_name=username,
            credit_code=code,
            full_name="法人",
            password=None,
            validate=False,
        )
        _entity(city, code, division)
        return user

    p = {
        "wuzhi_citizen": citizen(
            "wz_citizen", make_id_number("410823", dt.date(1990, 1, 1), 1), "410823001"
        ),
        "boai_citizen": citizen(
            "ba_citizen", make_id_number("410822", dt.date(1990, 1, 1), 2), "410822"
        ),
        "unregistered": citizen(
            "no_registry", make_id_number("410811", dt.date(1990, 1, 1), 3), None
        ),
        "wuzhi_ent": enterprise("wz_ent", "MA0000A1", "410823"),
        "boai_ent": enterprise("ba_ent", "MA0000B2", "410822"),
        "wuzhi_staff": make_staff("approver", "410823", "market", phone="13900000001"),
        "boai_staff": make_staff("approver", "410822", "market"),
        "city_staff": supervisor,
        "wuzhi_worker": make_staff("grid_worker", "410823", "big_data"),
        "boai_worker": make_staff("grid_worker", "410822", "big_data"),
    }
    wz = do_define_grid(actor=None, code="410823001-01", name="城关一网格", division="410823001")
    ba = do_define_grid(actor=None, code="410822001-01", name="博爱一网格", division="410822001")
    do_set_grid_workers(actor=None, grid=wz, workers=[p["wuzhi_worker"]])
    do_set_grid_workers(actor=None, grid=ba, workers=[p["boai_worker"]])
    return p


def draft(actor, **kw):
    kw.setdefault("title", "武陟县暴雨黄色预警")
    kw.setdefault("body", "预计未来6小时武陟县降雨量将达50毫米以上，请注意防范。")
    kw.setdefault("kind", "暴雨")
    kw.setdefault("level", "yellow")
    kw.setdefault("divisions", ["410823"])
    kw.setdefault("groups", ALL_GROUPS)
    kw.setdefault("channels", ["sms"])
    return do_draft_warning(actor=actor, **kw)


def ids(*users) -> set[int]:
    return {u.pk for u in users}


# --- drafting ---


def test_draft_is_checked(city, supervisor, agent):
    w = draft(supervisor)
    assert w.state == "draft" and w.number.startswith("410800-YJ-")
    assert [d.code for d in w.divisions.all()] == ["410823"]
    assert w.groups == ALL_GROUPS and w.channels == ["sms"]
    assert AuditEntry.objects.filter(action="hotline.warning.draft", object_id=str(w.pk)).exists()
    bad = [
        ({"title": "x" * 121}, "title"),
        ({"title": "  "}, "title"),
        ({"body": ""}, "body"),
        ({"body": "雨" * 2001}, "body"),
        ({"level": "green"}, "level"),
        ({"divisions": []}, "divisions"),
        ({"divisions": ["410100"]}, "divisions"),  # 郑州: outside the city
        ({"groups": []}, "groups"),
        ({"groups": ["tourists"]}, "groups"),
        ({"channels": ["wechat"]}, "channels"),
    ]
    for change, field in bad:
        with pytest.raises(ValidationError) as exc:
            draft(supervisor, **change)
        assert field in exc.value.message_dict, change
    with pytest.raises(PermissionDenied):
        draft(agent)  # 话务员 do not publish warnings
    assert Warning.objects.count() == 1


# --- publishing ---


def test_published_to_exactly_the_areas_groups(people, supervisor):
    w = draft(supervisor)
    expected = ids(
        people["wuzhi_citizen"], people["wuzhi_ent"], people["wuzhi_staff"], people["wuzhi_worker"]
    )
    assert set(recipient_ids(w)) == expected
    do_publish_warning(actor=supervisor, warning=w)
    w.refresh_from_db()
    assert w.state == "published" and w.published_at is not None
    reached = set(WarningRecipient.objects.filter(warning=w).values_list("user_id", flat=True))
    assert reached == expected and w.reached == len(expected)
    for key in (
        "boai_citizen",
        "unregistered",
        "boai_ent",
        "boai_staff",
        "city_staff",
        "boai_worker",
    ):
        assert not Notification.objects.filter(user=people[key]).exists(), key
    note = Notification.objects.get(user=people["wuzhi_citizen"])
    assert note.title == "【黄色预警】武陟县暴雨黄色预警"
    assert note.url == reverse("hotline:warning", args=[w.pk])
    assert (
        WarningRecipient.objects.get(warning=w, user=people["wuzhi_citizen"]).notification == note
    )
    # SMS only where a phone number is known (the citizen and the county's approver).
    sms = Delivery.objects.filter(
        notification__in=WarningRecipient.objects.filter(warning=w).values("notification"),
        channel="sms",
    )
    assert {d.notification.user_id for d in sms} == ids(
        people["wuzhi_citizen"], people["wuzhi_staff"]
    )
    assert progress(w) == {
        "audience": 4,
        "reached": 4,
        "percent": 100,
        "finished": True,
        "background": False,
    }
    summary = reach_summary(w)
    area = summary["areas"][0]
    assert area["code"] == "410823" and area["total"] == 4
    assert {g["group"]: g["reached"] for g in area["groups"]} == {
        "citizens": 1,
        "staff": 2,
        "grid_workers": 1,
        "enterprises": 1,
    }  # a worker is staff too
    channels = {c["channel"]: c for c in summary["channels"]}
    assert channels["in_app"]["sent"] == 4 and channels["sms"]["pending"] == 2
    assert channels["sms"]["unreachable"] == 2
    assert AuditEntry.objects.filter(action="hotline.warning.publish", actor=supervisor).exists()

    with pytest.raises(ValidationError) as twice:
        do_publish_warning(actor=supervisor, warning=w)
    assert "不能重复发布" in str(twice.value)
    assert WarningRecipient.objects.filter(warning=w).count() == 4
    assert Notification.objects.count() == 4


def test_groups_and_township_narrow_the_audience(people, supervisor):
    w = draft(supervisor, divisions=["410823001"], groups=["citizens", "grid_workers"])
    # The county's staff and enterprise are registered at county level, not in the township.
    assert set(recipient_ids(w)) == ids(people["wuzhi_citizen"], people["wuzhi_worker"])
    w = draft(supervisor, divisions=["410822"], groups=["enterprises"])
    assert set(recipient_ids(w)) == ids(people["boai_ent"])


def test_the_city_reaches_every_citizen_even_without_registry_record(people, supervisor):
    w = draft(supervisor, divisions=["410800"], groups=["citizens"], channels=[])
    do_publish_warning(actor=supervisor, warning=w)
    assert set(WarningRecipient.objects.filter(warning=w).values_list("user_id", flat=True)) == (
        ids(people["wuzhi_citizen"], people["boai_citizen"], people["unregistered"])
    )
    assert not Delivery.objects.exists()  # in-app only


def test_no_permission_refused(people, supervisor, agent):
    w = draft(supervisor)
    with pytest.raises(PermissionDenied):
        do_publish_warning(actor=agent, warning=w)
    with pytest.raises(PermissionDenied):
        do_publish_warning(actor=people["wuzhi_worker"], warning=w)
    w.refresh_from_db()
    assert w.state == "draft" and not WarningRecipient.objects.exists()


def test_a_county_publisher_keeps_the_county_warnings_only(client, people, supervisor, make_staff):
    """A 值班长 held in 武陟县 drafts, publishes and lifts 武陟县's warnings; another
    county's or the city's drafts are not theirs to read, publish or name as areas."""
    county = make_staff("hotline_supervisor", "410823", "big_data")
    city_draft = draft(supervisor, divisions=["410800"])
    boai_draft = draft(supervisor, divisions=["410822"])
    with pytest.raises(PermissionDenied):
        draft(county, divisions=["410823", "410822"])
    with pytest.raises(PermissionDenied):
        do_publish_warning(actor=county, warning=boai_draft)
    own = draft(county, divisions=["410823"])
    do_publish_warning(actor=county, warning=own)
    do_cancel_warning(actor=county, warning=own)
    client.force_login(county)
    assert client.get(reverse("hotline:warning", args=[boai_draft.pk])).status_code == 404
    assert client.get(f"/api/v1/hotline/warnings/{city_draft.pk}").status_code == 404
    listed = client.get(reverse("hotline:warnings")).content.decode()
    assert own.title in listed and boai_draft.number not in listed
    assert b'value="410822"' not in client.get(reverse("hotline:warnings")).content


def test_large_audience_is_sent_in_the_background_with_progress(
    people, supervisor, settings, django_capture_on_commit_callbacks
):
    settings.YIWANG = {**settings.YIWANG, "HOTLINE_WARNING_SYNC_MAX": 1}
    w = draft(supervisor)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        do_publish_warning(actor=supervisor, warning=w)
    w.refresh_from_db()
    assert w.state == "published" and w.reached == 0
    assert progress(w)["finished"] is False and progress(w)["audience"] is None  # not yet found
    assert len(queued) == 1  # the delivery task, enqueued after commit

    settings.TASKS = IMMEDIATE
    queued[0]()  # the worker runs it: batches of the audience, each committed
    w.refresh_from_db()
    assert w.reached == 4 and progress(w)["finished"] is True and progress(w)["audience"] == 4
    assert set(WarningRecipient.objects.filter(warning=w).values_list("user_id", flat=True)) == (
        set(recipient_ids(w))
    )
    assert AuditEntry.objects.filter(action="hotline.warning.deliver", object_id=str(w.pk)).exists()

    from yiwang.hotline.tasks import deliver_warning

    assert deliver_warning.call(w.pk) == 4  # a second run sends nobody twice
    assert Notification.objects.count() == 4


def test_cancel_tells_the_same_recipients(people, supervisor):
    w = draft(supervisor)
    with pytest.raises(ValidationError):
        do_cancel_warning(actor=supervisor, warning=w)  # not published yet
    do_publish_warning(actor=supervisor, warning=w)
    do_cancel_warning(actor=supervisor, warning=w, reason="降雨已减弱")
    w.refresh_from_db()
    assert w.state == "cancelled"
    told = Notification.objects.filter(title__startswith="【解除黄色预警】")
    assert {n.user_id for n in told} == set(
        WarningRecipient.objects.filter(warning=w).values_list("user_id", flat=True)
    )
    assert told.first().body == "降雨已减弱"
    with pytest.raises(ValidationError):
        do_cancel_warning(actor=supervisor, warning=w)
    with pytest.raises(ValidationError):
        do_publish_warning(actor=supervisor, warning=w)


# --- pages ---


def test_pages_for_the_publisher(client, people, supervisor):
    client.force_login(supervisor)
    url = reverse("hotline:warnings")
    page = client.get(url)
    assert page.status_code == 200 and 'id="draft-form"' in page.content.decode()
    bad = client.post(url, {"title": "", "body": "x", "kind": "暴雨", "level": "yellow"})
    assert bad.status_code == 400 and "标题不能为空" in bad.content.decode()
    r = client.post(
        url,
        {
            "title": "武陟县暴雨黄色预警",
            "body": "注意防范",
            "kind": "暴雨",
            "level": "yellow",
            "divisions": ["410823"],
            "groups": ALL_GROUPS,
            "channels": ["sms"],
        },
    )
    w = Warning.objects.get()
    assert r.status_code == 302 and r.url == reverse("hotline:warning", args=[w.pk])
    detail = client.get(r.url).content.decode()
    assert 'id="publish-form"' in detail and "黄色预警" in detail
    r = client.post(r.url, {"op": "publish"})
    assert r.status_code == 302
    detail = client.get(r.url).content.decode()
    assert 'id="reach-areas"' in detail and "发送完毕：送达 4 人" in detail
    assert 'id="cancel-form"' in detail
    again = client.post(r.url, {"op": "publish"})
    assert again.status_code == 409 and "不能重复发布" in again.content.decode()
    long = client.post(r.url, {"op": "cancel", "reason": "雨" * 501})
    page = long.content.decode()
    assert long.status_code == 400 and 'id="form-errors"' in page
    assert '<a href="#cancel-reason">解除说明不能超过 500 字。</a>' in page
    assert 'id="cancel-reason-error"' in page and 'value="' + "雨" * 501 + '"' in page
    odd = client.post(r.url, {"op": "withdraw"})
    assert odd.status_code == 400 and "未知的操作。" in odd.content.decode()
    partial = client.get(reverse("hotline:warning-progress", args=[w.pk]))
    assert partial.status_code == 200 and "hx-get" not in partial.content.decode()


def test_draft_refusal_re_renders_with_the_summary_and_keeps_the_input(client, people, supervisor):
    client.force_login(supervisor)
    url = reverse("hotline:warnings")
    bad = client.post(
        url,
        {
            "title": "武陟县暴雨黄色预警",
            "body": "注意防范",
            "kind": "暴雨",
            "level": "yellow",
            "groups": ["staff"],
            "channels": ["sms"],
        },
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="form-errors"' in page
    assert page.index('id="form-errors"') < page.index("<h1>")
    assert '<a href="#w-divisions">请至少选择一个发布区域。</a>' in page
    assert 'id="w-divisions-error"' in page
    assert 'value="武陟县暴雨黄色预警"' in page and "注意防范</textarea>" in page
    assert 'value="yellow" id="w-level_1" checked' in page
    assert 'value="staff" id="w-groups_1" checked' in page
    assert 'value="citizens" id="w-groups_0" checked' not in page
    assert not Warning.objects.exists()


def test_progress_partial_polls_while_sending(client, people, supervisor, settings):
    settings.YIWANG = {**settings.YIWANG, "HOTLINE_WARNING_SYNC_MAX": 1}
    w = draft(supervisor)
    do_publish_warning(actor=supervisor, warning=w)
    client.force_login(supervisor)
    partial = client.get(reverse("hotline:warning-progress", args=[w.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in partial and "正在确定接收范围" in partial
    detail = client.get(reverse("hotline:warning", args=[w.pk])).content.decode()
    assert "htmx.min.js" in detail


def test_public_pages(client, people, supervisor, citizen):
    published = draft(supervisor)
    do_publish_warning(actor=supervisor, warning=published)
    hidden = draft(supervisor, title="博爱县大风蓝色预警草稿", divisions=["410822"], level="blue")
    client.logout()
    page = client.get(reverse("hotline:warnings-public"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "武陟县暴雨黄色预警" in text and "黄色预警" in text and "level-yellow" in text
    assert "武陟县" in text and "草稿" not in text
    listing = client.get(reverse("hotline:warnings")).content.decode()
    assert "武陟县暴雨黄色预警" in listing and 'id="draft-form"' not in listing
    assert hidden.title not in listing
    assert client.get(reverse("hotline:warning", args=[published.pk])).status_code == 200
    detail = client.get(reverse("hotline:warning", args=[published.pk])).content.decode()
    assert "reach-areas" not in detail  # who was reached is for publishers only
    assert client.get(reverse("hotline:warning", args=[hidden.pk])).status_code == 404
    client.force_login(citizen)
    assert client.post(reverse("hotline:warnings"), {"title": "x"}).status_code == 403
    r = client.post(reverse("hotline:warning", args=[published.pk]), {"op": "cancel"})
    assert r.status_code == 403
    assert client.get(reverse("hotline:warning-progress", args=[published.pk])).status_code == 403


# --- API ---


def test_api(client, people, supervisor, agent):
    payload = {
        "title": "武陟县暴雨黄色预警",
        "body": "请注意防范",
        "kind": "暴雨",
        "level": "yellow",
        "divisions": ["410823"],
        "groups": ALL_GROUPS,
        "channels": ["sms"],
    }
    client.force_login(agent)
    r = client.post("/api/v1/hotline/warnings", payload, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    client.force_login(supervisor)
    r = client.post(
        "/api/v1/hotline/warnings", {**payload, "level": "green"}, content_type="application/json"
    )
    assert r.status_code == 422 and "级别" in r.json()["error"]["message"]
    r = client.post("/api/v1/hotline/warnings", payload, content_type="application/json")
    assert r.status_code == 201, r.content
    wid = r.json()["id"]
    assert r.json()["state"] == "draft" and r.json()["level_name"] == "黄色预警"
    client.logout()
    assert client.get(f"/api/v1/hotline/warnings/{wid}").status_code == 404  # a draft
    assert client.get("/api/v1/hotline/warnings").json() == []
    assert client.post(f"/api/v1/hotline/warnings/{wid}/publish").status_code == 401

    client.force_login(supervisor)
    r = client.post(f"/api/v1/hotline/warnings/{wid}/publish")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["state"] == "published" and body["reached"] == 4
    assert body["progress"]["finished"] is True
    assert body["summary"]["areas"][0]["total"] == 4
    r = client.post(f"/api/v1/hotline/warnings/{wid}/publish")
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"

    client.logout()
    listed = client.get("/api/v1/hotline/warnings").json()
    assert [w["id"] for w in listed] == [wid]
    assert listed[0]["divisions"] == [{"code": "410823", "name": "武陟县"}]
    reach = client.get("/api/v1/hotline/warnings", {"division": "410823001"})  # 城关镇
    assert [w["id"] for w in reach.json()] == [wid]
    assert client.get("/api/v1/hotline/warnings", {"division": "410822"}).json() == []
    assert client.get("/api/v1/hotline/warnings", {"division": "999999"}).status_code == 404
    assert client.get("/api/v1/hotline/warnings", {"division": "x"}).status_code == 422
    one = client.get(f"/api/v1/hotline/warnings/{wid}").json()
    assert one["title"] == payload["title"] and one["summary"] is None and one["reached"] is None
    assert client.get("/api/v1/hotline/warnings/999999").status_code == 404


# --- demo ---


def test_demo_warnings(db):
    from yiwang.core.actions.demo import do_seed_demo
    from yiwang.core.models import User
    from yiwang.hotline.demo_warnings import seed_warnings_demo

    do_seed_demo(actor=None, people=3, enterprises=1)
    rain, wind = seed_warnings_demo(actor=None)
    rain.refresh_from_db()
    assert rain.state == "published" and rain.level == "yellow" and wind.state == "draft"
    assert [d.code for d in rain.divisions.all()] == ["410823"]
    wuzhi_staff = set(
        User.objects.filter(org_unit__division_id="410823").values_list("pk", flat=True)
    )
    reached = set(WarningRecipient.objects.filter(warning=rain).values_list("user_id", flat=True))
    assert wuzhi_staff and wuzhi_staff <= reached and rain.reached == len(reached)
    assert not reached & set(
        User.objects.filter(org_unit__division_id="410822").values_list("pk", flat=True)
    )
    seed_warnings_demo(actor=None)
    assert Warning.objects.count() == 2
