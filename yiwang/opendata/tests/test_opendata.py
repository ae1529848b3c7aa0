"""开放数据: the public home page in both languages, the API's open catalogue, who may
publish (the one permission this room grants), its nav entry and its demo seeder."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiwang.core.models import AuditEntry
from yiwang.core.roles import ROLES
from yiwang.core.rooms import DemoRun
from yiwang.opendata.actions import do_publish_dataset
from yiwang.opendata.models import Dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(city):
    return do_publish_dataset(
        actor=None,
        code="JZ-OD-9001",
        title="公共厕所分布",
        summary="城区公共厕所的位置。",
        department=city.department("410800", "big_data"),
    )


def test_home_lists_open_datasets_to_anyone_in_chinese_and_english(client, dataset):
    zh = client.get("/opendata/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200
    html = zh.content.decode()
    assert "<h1>开放数据</h1>" in html and "JZ-OD-9001" in html and "公共厕所分布" in html
    assert "无条件开放" in html
    en = client.get("/opendata/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        "<h1>Open data</h1>" in en and "Open data catalogue" in en and "Unconditionally open" in en
    )
    assert "开放数据目录" not in en


def test_home_says_when_nothing_is_open_yet(client, db):
    html = client.get("/opendata/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="no-datasets"' in html and "No open datasets yet." in html


def test_api_lists_the_open_catalogue_without_sign_in(client, dataset):
    r = client.get("/api/v1/opendata/datasets")
    assert r.status_code == 200
    [row] = r.json()
    assert row["code"] == "JZ-OD-9001" and row["title"] == "公共厕所分布"
    assert row["department"] == dataset.department.name
    assert row["condition"] == "unconditional"
    assert client.get("/api/v1/opendata/datasets?condition=conditional").json() == []
    assert len(client.get("/api/v1/opendata/datasets?condition=unconditional").json()) == 1
    wrong = client.get("/api/v1/opendata/datasets?condition=secret")
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid"


def test_api_operation_is_in_the_openapi_document(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/opendata/datasets"]


def test_data_steward_is_granted_publishing_and_others_are_not():
    assert "opendata.publish" in ROLES["data_steward"].permissions
    assert all(
        "opendata.publish" not in role.permissions
        for code, role in ROLES.items()
        if code != "data_steward"
    )


def test_publishing_needs_the_permission_over_the_department(city, make_staff):
    big_data = city.department("410800", "big_data")
    steward = make_staff("data_steward", "410800", "big_data")
    clerk = make_staff("window_clerk", "410800", "big_data")
    with pytest.raises(PermissionDenied):
        do_publish_dataset(actor=clerk, code="JZ-OD-9002", title="x", department=big_data)
    market = city.department("410800", "market")
    with pytest.raises(PermissionDenied):
        do_publish_dataset(actor=steward, code="JZ-OD-9002", title="x", department=market)
    assert not Dataset.objects.exists()
    published = do_publish_dataset(
        actor=steward, code="JZ-OD-9002", title="企业名录", department=big_data
    )
    entry = AuditEntry.objects.get(action="opendata.dataset.publish")
    assert entry.actor_id == steward.pk and entry.object_id == str(published.pk)


def test_a_steward_cannot_take_over_another_departments_dataset(city, make_staff):
    """Re-publishing a dataset code needs the permission over the department that
    provides it now, not only over the one named in the request."""
    market = city.department("410800", "market")
    theirs = do_publish_dataset(
        actor=make_staff("data_steward", "410800", "market"),
        code="JZ-OD-9003",
        title="市场主体名录",
        department=market,
    )
    intruder = make_staff("data_steward", "410800", "big_data")
    with pytest.raises(PermissionDenied):
        do_publish_dataset(
            actor=intruder,
            code="JZ-OD-9003",
            title="被改的标题",
            department=city.department("410800", "big_data"),
        )
    theirs.refresh_from_db()
    assert (theirs.title, theirs.department_id) == ("市场主体名录", market.pk)


def test_steward_sees_the_publishing_note_and_the_public_does_not(client, city, make_staff):
    assert 'id="can-publish"' not in client.get("/opendata/").content.decode()
    client.force_login(make_staff("data_steward", "410800", "big_data"))
    assert 'id="can-publish"' in client.get("/opendata/").content.decode()


def test_portal_home_offers_the_room(client, db):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'href="/opendata/"' in html and "公共数据目录与下载接口" in html


def test_demo_seeder_publishes_once(city):
    from yiwang.opendata.demo import DATASETS, seed_for_demo

    run = DemoRun(people=0, enterprises=0, scale="demo", first_run=True)
    report = seed_for_demo(run)
    assert report.summary == f"opendata room: {len(DATASETS)} open datasets"
    assert Dataset.objects.count() == len(DATASETS)
    again = seed_for_demo(run)
    assert again.summary is None and Dataset.objects.count() == len(DATASETS)
