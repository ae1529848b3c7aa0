"""API for 基础库, 数据异议 and 数据冲突: masked reads, deny by default, the objection
flow, the error envelope with the right statuses."""

from __future__ import annotations

import pytest

from yiwang.core.models import Notification
from yiwang.data.geo import wgs84_to_gcj02
from yiwang.data.models import Conflict, Person, Place
from yiwang.data.tests.test_objections import IDN, load, people  # noqa: F401 — fixture

pytestmark = pytest.mark.django_db

API = "/api/v1/data"


def test_registry_api_masks_and_denies_other_departments(client, people):  # noqa: F811
    person = Person.objects.get()
    client.force_login(people.authority)
    listing = client.get(f"{API}/registries").json()
    assert [r["code"] for r in listing] == ["person"]
    found = client.get(f"{API}/registries/person/records", {"q": IDN}).json()
    assert found["count"] == 1 and found["items"][0]["key"] == "1101**********002X"
    one = client.get(f"{API}/registries/person/records/{person.pk}").json()
    values = {v["field"]: v for v in one["values"]}
    assert values["id_number"]["masked"] and values["name"]["value"] == "张*"
    assert one["provenance"]["department"] and one["provenance"]["version"] == 1
    refused = client.post(
        f"{API}/registries/person/records/{person.pk}/reveal",
        {"purpose": "核对"},
        content_type="application/json",
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"

    client.force_login(people.outsider)
    hidden = client.get(f"{API}/registries/person/records/{person.pk}")
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    assert client.get(f"{API}/registries").json() == []


def test_place_points_in_gcj02(client, steward, data_city):
    load(
        data_city,
        "natural_resources",
        [{"code": "P1", "name": "龙源湖公园", "longitude": 113.25, "latitude": 35.2}],
        registry="place",
    )
    client.force_login(steward("natural_resources"))
    wgs = client.get(f"{API}/registries/places/points").json()
    gcj = client.get(f"{API}/registries/places/points", {"crs": "gcj02"}).json()
    assert wgs == [{"longitude": 113.25, "latitude": 35.2, "name": "龙源湖公园"}]
    lon, lat = wgs84_to_gcj02(113.25, 35.2)
    assert abs(gcj[0]["longitude"] - lon) < 1e-6 and abs(gcj[0]["latitude"] - lat) < 1e-6
    place = Place.objects.get()
    rec = client.get(f"{API}/registries/place/records/{place.pk}", {"crs": "gcj02"}).json()
    assert rec["crs"] == "gcj02"
    assert client.get(f"{API}/registries/places/points", {"crs": "bd09"}).status_code == 422


def test_objection_flow_through_the_api(client, people):  # noqa: F811
    client.force_login(people.other)
    conflicts = client.get(f"{API}/objections/conflicts", {"status": "open"}).json()
    assert conflicts["count"] == 1
    cid = conflicts["items"][0]["id"]
    made = client.post(
        f"{API}/objections/conflicts/{cid}/object",
        {"reason": "婚姻登记档案记载为张山。"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    objection = made.json()
    assert objection["proposed_value"] == "张山" and objection["actions"] == []
    assert Conflict.objects.get().status == "objected"
    again = client.post(f"{API}/objections/conflicts/{cid}/accept", content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"

    client.force_login(people.authority)
    seen = client.get(f"{API}/objections/{objection['id']}").json()
    assert set(seen["actions"]) == {"correct", "explain"} and not seen["overdue"]
    empty = client.post(
        f"{API}/objections/{objection['id']}/explain",
        {"comment": ""},
        content_type="application/json",
    )
    assert empty.status_code == 422
    done = client.post(
        f"{API}/objections/{objection['id']}/correct",
        {"comment": "已核实"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["outcome"] == "corrected"
    assert Person.objects.get().name == "张山"
    closed = client.post(
        f"{API}/objections/{objection['id']}/correct", {}, content_type="application/json"
    )
    assert closed.status_code == 409
    assert Notification.objects.filter(user=people.consumer).exists()

    client.force_login(people.outsider)
    assert client.get(f"{API}/objections/{objection['id']}").status_code == 404


def test_raise_objection_errors_use_the_envelope(client, people):  # noqa: F811
    client.force_login(people.other)
    body = {"registry": "person", "key": IDN, "field": "ethnicity", "reason": "理由充分"}
    missing = client.post(
        f"{API}/objections",
        {**body, "key": "110105194912310038", "proposed_value": "03"},
        content_type="application/json",
    )
    assert missing.status_code == 404
    bad = client.post(
        f"{API}/objections", {**body, "proposed_value": "x"}, content_type="application/json"
    )
    assert bad.status_code == 422 and "数据元标准" in bad.json()["error"]["message"]
    ok = client.post(
        f"{API}/objections", {**body, "proposed_value": "03"}, content_type="application/json"
    )
    assert ok.status_code == 201 and ok.json()["state_due"]
    dup = client.post(
        f"{API}/objections", {**body, "proposed_value": "05"}, content_type="application/json"
    )
    assert dup.status_code == 409
    listing = client.get(f"{API}/objections", {"status": "open"}).json()
    assert listing["count"] == 1 and listing["items"][0]["proposed_value"] == "**"
