"""网格化管理: grids and their workers, events reported with photos running through the
12345 loop (派单 → 签收 → 答复 → 办结 → 网格员核查), refusals, pages and API."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.core.models import AuditEntry, Notification
from yiwang.hotline.actions import handling as h
from yiwang.hotline.actions.grid import (
    do_define_grid,
    do_report_grid_event,
    do_set_grid_workers,
    do_verify_grid_event,
)
from yiwang.hotline.models import Callback, Grid, Ticket, TicketAttachment

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PASSWORD = "Jz-test-pass-2026"


def png(name: str = "现场.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def state(ticket: Ticket) -> str:
    ticket.flow.refresh_from_db()
    return ticket.flow.state


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def worker(make_staff):
    """A 网格员 of 武陟县."""
    return make_staff("grid_worker", "410823", "big_data", full_name="周网格")


@pytest.fixture
def other_worker(make_staff):
    """A 网格员 of 武陟县 working another grid."""
    return make_staff("grid_worker", "410823", "big_data", full_name="吴网格")


@pytest.fixture
def city_handler(make_staff):
    """A 热线承办人员 of 焦作市城市管理局 (市政设施 010403 goes there)."""
    return make_staff("hotline_handler", "410800", "urban_management", full_name="郑城管")


@pytest.fixture
def grids(city, supervisor, worker, other_worker):
    """Two grids of 武陟县城关镇, each with its own worker."""
    a = do_define_grid(
        actor=supervisor,
        code="410823001-01",
        name="城关镇第一网格",
        division="410823001",
        households=320,
    )
    b = do_define_grid(
        actor=supervisor, code="410823001-02", name="城关镇第二网格", division="410823001"
    )
    do_set_grid_workers(actor=supervisor, grid=a, workers=[worker])
    do_set_grid_workers(actor=supervisor, grid=b, workers=[other_worker])
    return a, b


def report(worker, grid, **kw):
    kw.setdefault("kind", "report")
    kw.setdefault("content", "城关镇建设路与人民路口井盖缺失，夜间行人容易掉落")
    kw.setdefault("category", "010403")
    return do_report_grid_event(actor=worker, grid=grid, **kw)


# --- grids and workers ---


def test_define_grid_and_workers_are_checked(city, supervisor, worker, make_staff, agent):
    grid = do_define_grid(
        actor=supervisor, code="410823002-01", name="城区街道第一网格", division="410823002"
    )
    assert grid.division_id == "410823002"
    assert AuditEntry.objects.filter(action="hotline.grid.define", object_id=str(grid.pk)).exists()
    with pytest.raises(PermissionDenied):
        do_define_grid(actor=agent, code="X-1", name="x", division="410823002")  # no right
    with pytest.raises(ValidationError) as county:
        do_define_grid(actor=supervisor, code="X-1", name="x", division="410823")
    assert "乡镇街道或村社区" in str(county.value)
    with pytest.raises(ValidationError):
        do_define_grid(actor=supervisor, code="bad code!", name="x", division="410823002")
    handler = make_staff("hotline_handler", "410823", "market")
    with pytest.raises(ValidationError) as not_worker:
        do_set_grid_workers(actor=supervisor, grid=grid, workers=[handler])
    assert "不是在岗的网格员" in str(not_worker.value)
    boai_worker = make_staff("grid_worker", "410822", "big_data")
    with pytest.raises(ValidationError) as outside:
        do_set_grid_workers(actor=supervisor, grid=grid, workers=[boai_worker])
    assert "辖区" in str(outside.value)
    do_set_grid_workers(actor=supervisor, grid=grid, workers=[worker])
    assert list(grid.workers.all()) == [worker]
    # Renaming keeps the code and the workers.
    do_define_grid(
        actor=supervisor,
        code="410823002-01",
        name="城区街道一网格",
        division="410823002",
        households=100,
    )
    grid.refresh_from_db()
    assert grid.name == "城区街道一网格" and grid.households == 100 and grid.workers.count() == 1


# --- the loop ---


def test_event_with_photo_runs_the_loop_and_worker_verifies(
    grids, worker, other_worker, agent, city_handler, city
):
    grid, _other = grids
    t = report(worker, grid, photos=[png()])
    assert t.channel == "grid" and t.grid == grid and t.division_id == "410823001"
    assert t.case.applicant == worker and t.received_by == worker
    att = TicketAttachment.objects.get(ticket=t)
    assert att.content_type == "image/png" and att.size == len(PNG) and len(att.sm3) == 64
    # A chosen category is certain: dispatched at once to 焦作市城市管理局.
    assert state(t) == "dispatched"
    assert t.department == city.department("410800", "urban_management")
    assert Notification.objects.filter(user=city_handler, title__contains=t.number).exists()

    with pytest.raises(PermissionDenied):
        do_verify_grid_event(actor=other_worker, ticket=t, satisfied=True)  # another grid
    h.do_sign(actor=city_handler, ticket=t)
    h.do_reply(actor=city_handler, ticket=t, result="resolved", reply="已补装井盖并设置警示")
    with pytest.raises(ValidationError):
        do_verify_grid_event(actor=worker, ticket=t, satisfied=True)  # not concluded yet
    h.do_conclude(actor=agent, ticket=t)
    assert state(t) == "concluded"

    # Unsatisfied: a reason is required, then it goes back to the same department.
    with pytest.raises(ValidationError):
        do_verify_grid_event(actor=worker, ticket=t, satisfied=False, comment=" ")
    cb = do_verify_grid_event(actor=worker, ticket=t, satisfied=False, comment="井盖尺寸不符")
    assert cb.reopened and cb.via == Callback.Via.CITIZEN and cb.by == worker
    assert state(t) == "handling"
    t.refresh_from_db()
    assert t.reopen_count == 1 and t.department == city.department("410800", "urban_management")

    h.do_reply(actor=city_handler, ticket=t, result="resolved", reply="已更换为标准井盖")
    h.do_conclude(actor=agent, ticket=t)
    cb = do_verify_grid_event(actor=worker, ticket=t, satisfied=True, comment="现场已修复")
    assert not cb.reopened and state(t) == "archived"
    t.refresh_from_db()
    assert t.satisfaction == "satisfied"
    assert (
        AuditEntry.objects.filter(
            action="hotline.grid_event.verify", object_id=str(t.pk), actor=worker
        ).count()
        == 2
    )


def test_worker_of_another_grid_is_refused(grids, other_worker, worker):
    grid, _other = grids
    with pytest.raises(PermissionDenied):
        report(other_worker, grid)
    assert not Ticket.objects.exists()


def test_photo_must_be_jpg_or_png(grids, worker):
    grid, _other = grids
    pdf = SimpleUploadedFile("a.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    with pytest.raises(ValidationError) as bad:
        report(worker, grid, photos=[pdf])
    assert "JPG 或 PNG" in str(bad.value)
    fake = SimpleUploadedFile("fake.png", b"MZ\x90\x00 not an image", content_type="image/png")
    with pytest.raises(ValidationError):
        report(worker, grid, photos=[fake])  # declared PNG, content is not
    assert not Ticket.objects.exists()
    jpg = SimpleUploadedFile("ok.jpg", JPG, content_type="image/jpeg")
    t = report(worker, grid, photos=[jpg])
    assert t.attachments.get().content_type == "image/jpeg"
    t2 = report(worker, grid, content="城关镇第一网格路灯不亮")  # photos are optional
    assert t2.attachments.count() == 0


def test_location_from_the_browser_is_kept(grids, worker):
    grid, _other = grids
    t = report(worker, grid, longitude="113.4031", latitude="35.0991")
    assert (t.longitude, t.latitude) == (113.4031, 35.0991)
    assert t.division.code.startswith("410823")


# --- pages ---


def test_worker_page_reports_with_photo_and_lists_events(client, grids, worker):
    grid, _other = grids
    client.force_login(worker)
    page = client.get(reverse("hotline:grid"))
    html = page.content.decode()
    assert page.status_code == 200
    assert grid.name in html and "城关镇第二网格" not in html
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert 'id="locate-me"' in html and "geolocation" in html
    r = client.post(
        reverse("hotline:grid"),
        {
            "grid": grid.code,
            "kind": "report",
            "content": "城关镇第一网格小区门口路面塌陷",
            "category": "010403",
            "photos": [png()],
        },
    )
    t = Ticket.objects.get()
    assert r.status_code == 302 and r.url == reverse("hotline:grid-event", args=[t.pk])
    assert t.attachments.count() == 1
    detail = client.get(r.url)
    assert detail.status_code == 200
    text = detail.content.decode()
    assert t.number in text and "已派单待签收" in text and "焦作市城市管理局" in text
    photo = client.get(reverse("hotline:grid-photo", args=[t.pk, t.attachments.get().pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content) == PNG
    listing = client.get(reverse("hotline:grid")).content.decode()
    assert t.number in listing and "已派单待签收" in listing


def test_worker_page_shows_errors(client, grids, worker):
    grid, _other = grids
    client.force_login(worker)
    bad = SimpleUploadedFile("x.gif", b"GIF89a", content_type="image/gif")
    r = client.post(
        reverse("hotline:grid"),
        {"grid": grid.code, "kind": "report", "content": "   ", "photos": [bad]},
    )
    assert r.status_code == 400
    assert "JPG 或 PNG" in r.content.decode()  # the photo type is checked first
    r = client.post(
        reverse("hotline:grid"),
        {"grid": grid.code, "kind": "report", "content": "有内容", "photos": [bad]},
    )
    assert r.status_code == 400 and "JPG 或 PNG" in r.content.decode()
    assert not Ticket.objects.exists()


def test_report_refusal_re_renders_with_the_summary_and_keeps_the_input(client, grids, worker):
    grid, _other = grids
    client.force_login(worker)
    url = reverse("hotline:grid")
    empty = client.post(
        url,
        {"grid": grid.code, "kind": "help", "content": " ", "address": "城关镇建设路 8 号"},
    )
    page = empty.content.decode()
    assert empty.status_code == 400 and 'id="form-errors"' in page
    assert page.index('id="form-errors"') < page.index("<h1>")
    assert '<a href="#f-content">诉求内容不能为空。</a>' in page and 'id="f-content-error"' in page
    assert 'value="城关镇建设路 8 号"' in page and '<option value="help" selected>' in page
    # Half a position is refused on the longitude, the input the geolocation script fills.
    half = client.post(
        url, {"grid": grid.code, "kind": "report", "content": "井盖缺失", "longitude": "113.4"}
    )
    page = half.content.decode()
    assert half.status_code == 400 and '<a href="#f-lon">经度和纬度须同时填写。</a>' in page
    assert 'id="f-lon"' in page and 'value="113.4"' in page and "井盖缺失</textarea>" in page
    unknown = client.post(url, {"grid": "NOPE", "kind": "report", "content": "井盖缺失"})
    page = unknown.content.decode()
    assert unknown.status_code == 400 and '<a href="#f-grid">请选择您所在的网格。</a>' in page
    assert not Ticket.objects.exists()


def test_photo_is_stored_encrypted_and_shown_only_to_those_who_see_the_event(
    client, grids, other_worker, worker
):
    from pathlib import Path

    from yiwang.core.crypto import sm3_hex

    grid, _other = grids
    # Declared a JPEG by the client, really a PNG: the bytes decide the type.
    t = report(worker, grid, photos=[SimpleUploadedFile("现场.png", PNG, "image/jpeg")])
    photo = t.attachments.get()
    assert (photo.content_type, photo.sm3) == ("image/png", sm3_hex(PNG))
    assert Path(photo.file.path).read_bytes()[: len(PNG)] != PNG
    url = reverse("hotline:grid-photo", args=[t.pk, photo.pk])
    client.force_login(worker)
    assert b"".join(client.get(url).streaming_content) == PNG
    assert AuditEntry.objects.filter(action="hotline.ticket.attachment_open").count() == 1
    client.force_login(other_worker)
    assert client.get(url).status_code == 404


def test_another_grids_worker_gets_403_page(client, grids, other_worker, worker):
    grid, _other = grids
    client.force_login(other_worker)
    r = client.post(
        reverse("hotline:grid"), {"grid": grid.code, "kind": "report", "content": "路灯不亮"}
    )
    assert r.status_code == 403
    t = report(worker, grid)
    assert client.get(reverse("hotline:grid-event", args=[t.pk])).status_code == 404


def test_verify_on_the_page(client, grids, worker, other_worker, agent, city_handler):
    grid, _other = grids
    t = report(worker, grid)
    h.do_sign(actor=city_handler, ticket=t)
    h.do_reply(actor=city_handler, ticket=t, result="resolved", reply="已补装")
    h.do_conclude(actor=agent, ticket=t)
    client.force_login(worker)
    url = reverse("hotline:grid-event", args=[t.pk])
    page = client.get(url).content.decode()
    assert 'id="verify-form"' in page and "已补装" in page
    none = client.post(url, {"comment": "现场查看中"})  # no choice made
    page = none.content.decode()
    assert none.status_code == 400 and 'id="form-errors"' in page
    assert '<a href="#verify-ok">请选择核查结果。</a>' in page and "现场查看中</textarea>" in page
    bare = client.post(url, {"satisfied": "0", "comment": " "})  # unsatisfied needs a note
    page = bare.content.decode()
    assert bare.status_code == 400 and state(t) != "archived"
    assert '<a href="#verify-comment">核查未通过时须写明现场情况。</a>' in page
    assert 'id="verify-comment-error"' in page
    assert 'value="0" required id="verify-bad" checked' in page
    r = client.post(url, {"satisfied": "1", "comment": "已修复"})
    assert r.status_code == 302 and state(t) == "archived"
    assert 'id="verify-form"' not in client.get(url).content.decode()


def test_page_rights(client, grids, agent, supervisor, citizen):
    client.force_login(citizen)
    assert client.get(reverse("hotline:grid")).status_code == 403
    assert client.get(reverse("hotline:grid-manage")).status_code == 403
    client.force_login(agent)
    assert client.get(reverse("hotline:grid-manage")).status_code == 403
    client.logout()
    assert client.get(reverse("hotline:grid")).status_code == 302  # to the login page


def test_manage_page_defines_grids_and_assigns_workers(client, city, supervisor, worker):
    client.force_login(supervisor)
    url = reverse("hotline:grid-manage")
    assert client.get(url).status_code == 200
    r = client.post(
        url,
        {
            "op": "define",
            "code": "410802001-01",
            "name": "解放区一网格",
            "division": "410802001",
            "households": "200",
        },
    )
    assert r.status_code == 302
    grid = Grid.objects.get(code="410802001-01")
    assert grid.households == 200
    bad = client.post(url, {"op": "define", "code": "", "name": "", "division": ""})
    assert bad.status_code == 400 and "网格编码" in bad.content.decode()
    page = client.get(url + "?grid=410802001-01").content.decode()
    assert f'value="{worker.pk}"' in page
    # 周网格 works in 武陟县: a 解放区 grid is outside that jurisdiction.
    r = client.post(url, {"op": "workers", "grid": grid.code, "workers": [str(worker.pk)]})
    assert r.status_code == 400 and "辖区" in r.content.decode()
    wuzhi = do_define_grid(
        actor=supervisor, code="410823003-01", name="东部乡一网格", division="410823003"
    )
    r = client.post(url, {"op": "workers", "grid": wuzhi.code, "workers": [str(worker.pk)]})
    assert r.status_code == 302 and list(wuzhi.workers.all()) == [worker]
    assert "周网格" in client.get(url).content.decode()


def test_manage_forms_refusals_re_render_with_the_summary_and_keep_the_input(
    client, city, supervisor, worker
):
    client.force_login(supervisor)
    url = reverse("hotline:grid-manage")
    bad = client.post(
        url,
        {"op": "define", "code": "410802001 01", "name": "解放区一网格", "division": "410802001"},
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="form-errors"' in page
    assert page.index('id="form-errors"') < page.index("<h1>")
    assert '<a href="#d-code">网格编码须为 1–24 位字母、数字或连字符。</a>' in page
    assert 'id="d-code-error"' in page and 'value="410802001 01"' in page
    assert 'value="解放区一网格"' in page and '<option value="410802001" selected>' in page
    grid = do_define_grid(
        actor=supervisor, code="410802001-01", name="解放区一网格", division="410802001"
    )
    # 周网格 works in 武陟县: the grid stays shown with the tick kept and the reason on it.
    far = client.post(url, {"op": "workers", "grid": grid.code, "workers": [str(worker.pk)]})
    page = far.content.decode()
    assert far.status_code == 400 and f'<a href="#a-workers_0">网格员 {worker} 的辖区' in page
    assert 'id="a-workers-error"' in page and 'id="assign-form"' in page
    assert f'value="{worker.pk}"' in page and 'id="a-workers_0" checked' in page
    nobody = client.post(url, {"op": "workers", "grid": grid.code, "workers": ["999999"]})
    assert nobody.status_code == 400 and "所选网格员不存在。" in nobody.content.decode()
    odd = client.post(url, {"op": "rename"})
    assert odd.status_code == 400 and "未知的操作。" in odd.content.decode()
    assert list(grid.workers.all()) == []


# --- API ---


def test_api_grids_and_events(client, grids, worker, other_worker, supervisor):
    grid, other = grids
    client.force_login(worker)
    r = client.get("/api/v1/hotline/grids")
    assert r.status_code == 200
    assert [g["code"] for g in r.json()] == [grid.code]
    assert r.json()[0]["workers"] == [worker.username]
    r = client.post(
        f"/api/v1/hotline/grids/{grid.code}/events",
        {"content": "城关镇第一网格垃圾桶破损", "category": "010403", "photos": [png()]},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    t = Ticket.objects.get(number=body["number"])
    assert body["status"] == "dispatched" and body["status_name"] == "已派单待签收"
    assert t.attachments.count() == 1 and t.grid == grid
    r = client.get(f"/api/v1/hotline/grids/{grid.code}/events")
    assert [e["number"] for e in r.json()] == [t.number]

    bad = client.post(
        f"/api/v1/hotline/grids/{grid.code}/events",
        {"content": "x", "photos": [SimpleUploadedFile("a.pdf", b"%PDF", "application/pdf")]},
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid"
    refused = client.post(f"/api/v1/hotline/grids/{other.code}/events", {"content": "路灯不亮"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client.get(f"/api/v1/hotline/grids/{other.code}/events").status_code == 404
    assert client.get("/api/v1/hotline/grids/NOPE/events").status_code == 404

    client.force_login(supervisor)
    assert len(client.get("/api/v1/hotline/grids").json()) == 2
    schema = client.get("/api/v1/openapi.json").json()
    assert "multipart/form-data" in str(
        schema["paths"]["/api/v1/hotline/grids/{code}/events"]["post"]["requestBody"]
    )
    client.logout()
    assert client.get("/api/v1/hotline/grids").status_code == 401


# --- demo ---


def test_demo_grids_and_events(db):
    from yiwang.core.actions.demo import do_seed_demo
    from yiwang.core.actions.users import do_create_staff
    from yiwang.core.models import OrgUnit, User
    from yiwang.hotline.demo_grid import seed_grid_demo

    do_seed_demo(actor=None, people=3, enterprises=1)
    for username, division, line in (
        ("wuzhi_housing_handler", "410823", "housing"),
        ("jiaozuo_urban_handler", "410800", "urban_management"),
    ):
        do_create_staff(
            actor=None,
            username=username,
            full_name="承办人",
            org_unit=OrgUnit.objects.get(department__code=f"{division}-{line}", division=division),
            roles=["hotline_handler"],
            validate=False,
        )
    grids = seed_grid_demo(actor=None)
    assert len(grids) == 5
    wuzhi = User.objects.get(username="wuzhi_grid_worker")
    jiaozuo = User.objects.get(username="jiaozuo_grid_worker")
    assert {g.code for g in Grid.objects.filter(workers=wuzhi)} == {
        "410823001-01",
        "410823001-02",
        "410823002-01",
        "410823003-01",
    }
    assert [g.code for g in Grid.objects.filter(workers=jiaozuo)] == ["410802002-01"]
    states = {
        t.grid.code: t.case.state
        for t in Ticket.objects.filter(channel="grid").select_related("grid", "case")
    }
    assert states == {
        "410823001-01": "dispatched",
        "410823002-01": "handling",
        "410823001-02": "concluded",
        "410823003-01": "handling",  # re-opened after a failed check
        "410802002-01": "archived",
    }
    assert TicketAttachment.objects.count() == 3
    seed_grid_demo(actor=None)
    assert Ticket.objects.filter(channel="grid").count() == 5
