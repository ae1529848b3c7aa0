"""Open311 GeoReport v2 at /open311/v2/: discovery, services, definitions, POST and GET
service requests, tokens, keys, replays, filters and the error list, in JSON (checked
against the schemas in yiwang/hotline/open311/schemas) and XML; and the ``georeport``
client from PyPI against a live server."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.utils import timezone
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from yiwang.core.models import AuditEntry, Case
from yiwang.hotline.actions.open311 import (
    do_issue_open311_key,
    do_revoke_open311_key,
    key_digest,
)
from yiwang.hotline.models import Category, Open311Key, Ticket

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
SCHEMAS = Path(__file__).resolve().parents[1] / "open311" / "schemas"
# A point in 武陟县 (WGS84) and the words of a 食品安全 complaint there (FOOD_CODE).
FOOD_CODE = "060101"
WUZHI = {"lat": "35.099", "long": "113.403"}
FOOD = "武陟县城关镇一家饭店后厨卫生太差，吃完拉肚子"


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def valid(name: str, data) -> None:
    """Raise unless ``data`` validates against schemas/{name}.json."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema, registry=REGISTRY).validate(data)


def get_json(client: Client, path: str, schema: str, expect: int = 200, **params):
    response = client.get(f"{BASE}/{path}", params)
    assert response.status_code == expect, response.content.decode()
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = response.json()
    valid(schema if expect < 400 else "errors", data)
    return data


def get_xml(client: Client, path: str, expect: int = 200, **params) -> ET.Element:
    response = client.get(f"{BASE}/{path}", params)
    assert response.status_code == expect, response.content.decode()
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


@pytest.fixture
def api_key(city) -> str:
    """A clear api_key issued to an outside app (the city exists for routing)."""
    _row, clear = do_issue_open311_key(actor=None, name="焦作随手拍")
    return clear


@pytest.fixture
def post(client, api_key):
    """post(**fields) → the response of a form-encoded POST requests.json."""

    def send(fmt: str = "json", key: str | None = None, **fields):
        body = {"api_key": api_key if key is None else key, "service_code": "060101"}
        body.update(WUZHI)
        body["description"] = FOOD
        body.update(fields)
        body = {k: v for k, v in body.items() if v is not None}
        return client.post(f"{BASE}/requests.{fmt}", body)

    return send


def created_id(response) -> str:
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    valid("post_response", data)
    return data[0]["service_request_id"]


# --- discovery, services, definitions ---


def test_discovery_in_json_and_xml(client, city):
    data = get_json(client, "discovery.json", "discovery")
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert data["changeset"] == endpoint["changeset"] and data["key_service"]

    root = get_xml(client, "discovery.xml")
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/specification") == endpoint["specification"]
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == endpoint[
        "formats"
    ]
    assert get_xml(client, "").tag == "discovery"  # the endpoint's root serves it too


def test_services_are_the_leaf_categories(client, city):
    data = get_json(client, "services.json", "services")
    leaves = Category.objects.filter(active=True, children__isnull=True)
    assert {s["service_code"] for s in data} == set(leaves.values_list("code", flat=True))
    assert "01" not in {s["service_code"] for s in data}  # a 大类 is a group, not a service
    food = next(s for s in data if s["service_code"] == "060101")
    category = Category.objects.get(code="060101")
    assert food["service_name"] == category.name
    assert food["group"] == category.parent.name
    assert food["type"] == "realtime" and food["metadata"] is True
    assert category.name in food["keywords"]

    root = get_xml(client, "services.xml")
    assert root.tag == "services" and len(root.findall("service")) == len(data)
    first = root.find("service")
    assert [c.tag for c in first] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert first.findtext("metadata") == "true"


def test_service_definition_offers_the_kind_attribute(client, city):
    data = get_json(client, f"services/{FOOD_CODE}.json", "service_definition")
    assert data["service_code"] == "060101"
    (kind,) = data["attributes"]
    assert kind["code"] == "kind" and kind["datatype"] == "singlevaluelist"
    assert kind["required"] is False and "投诉" in kind["datatype_description"]
    assert {v["key"]: v["name"] for v in kind["values"]} == {
        "consult": "咨询",
        "help": "求助",
        "complaint": "投诉",
        "report": "举报",
        "suggest": "建议",
    }
    root = get_xml(client, f"services/{FOOD_CODE}.xml")
    assert root.tag == "service_definition"
    keys = [v.findtext("key") for v in root.findall("attributes/attribute/values/value")]
    assert keys == ["consult", "help", "complaint", "report", "suggest"]


def test_unknown_service_definition_is_404_in_the_error_list(client, city):
    errors = get_json(client, "services/9999.json", "errors", expect=404)
    assert errors[0]["code"] == 404 and "9999" in errors[0]["description"]
    get_json(client, "services/01.json", "errors", expect=404)  # a group is not a service
    root = get_xml(client, "services/9999.xml", expect=404)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"
    assert "9999" in root.findtext("error/description")
    other = get_xml(client, "nothing/here.xml", expect=404)
    assert other.tag == "errors"
    get_json(client, "services.html.json", "errors", expect=404)


# --- POST then GET ---


def test_post_creates_a_routed_ticket_and_get_returns_it(client, post, city):
    response = post(first_name="三", last_name="张", phone="13912345678", account_id="u-1")
    number = created_id(response)
    body = response.json()[0]
    assert body["account_id"] == "u-1" and "15 个工作日" in body["service_notice"]

    ticket = Ticket.objects.get(number=number)
    assert ticket.channel == "open311" and ticket.kind == "complaint"  # the default kind
    assert ticket.category.code == "060101" and ticket.content == FOOD
    assert ticket.division_id.startswith("410823")
    assert ticket.department == city.department("410823", "market")
    assert ticket.contact_name == "张三" and ticket.contact_phone == "13912345678"
    with connection.cursor() as cur:
        cur.execute("SELECT contact_phone FROM hotline_ticket WHERE id = %s", [ticket.pk])
        assert "13912345678" not in cur.fetchone()[0]
    assert AuditEntry.objects.filter(action="hotline.open311.take", object_id=str(ticket.pk))

    (item,) = get_json(client, f"requests/{number}.json", "requests")
    assert item["service_request_id"] == number
    assert item["status"] == "open" and item["status_notes"] == "已派单待签收"
    assert item["service_code"] == "060101" and item["service_name"] == ticket.category.name
    assert item["description"] == FOOD
    assert item["agency_responsible"] == ticket.department.name
    assert item["lat"] == 35.099 and item["long"] == 113.403
    assert item["address_id"] == ticket.division_id and item["zipcode"] is None
    assert item["requested_datetime"].endswith("+08:00")
    assert item["expected_datetime"] == f"{ticket.case.case_due:%Y-%m-%d}T23:59:59+08:00"
    text = json.dumps(item, ensure_ascii=False)
    assert "13912345678" not in text and "张三" not in text  # never the caller's contact

    root = get_xml(client, f"requests/{number}.xml")
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request.findtext("service_request_id") == number
    assert request.findtext("status") == "open"
    assert request.findtext("long") == "113.403"
    assert request.find("zipcode") is not None and request.findtext("zipcode") == ""
    assert b"13912345678" not in client.get(f"{BASE}/requests/{number}.xml").content


def test_post_in_xml_and_with_a_json_body(client, post, api_key, city):
    response = post(fmt="xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    number = root.findtext("request/service_request_id")
    assert Ticket.objects.filter(number=number).exists() and root.findtext("request/token")

    response = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": api_key,
            "service_code": "010201",
            "address_id": "410823",  # the 区划代码 of 武陟县
            "description": "小区电梯坏了一周没人修",
            "attribute": {"kind": "help"},
            "media_url": "https://img.example.org/lift.jpg",
        },
        content_type="application/json",
    )
    ticket = Ticket.objects.get(number=created_id(response))
    assert ticket.kind == "help" and ticket.division_id == "410823"
    assert ticket.address.startswith("焦作市武陟县")
    assert "https://img.example.org/lift.jpg" in ticket.content  # the handler sees the link
    (item,) = get_json(client, f"requests/{ticket.number}.json", "requests")
    assert item["media_url"] == "https://img.example.org/lift.jpg"
    assert item["description"] == "小区电梯坏了一周没人修"
    assert "10 个工作日" in item["service_notice"]


def test_form_attribute_syntax_sets_the_kind(post):
    response = post(**{"attribute[kind]": "suggest"})
    assert Ticket.objects.get(number=created_id(response)).kind == "suggest"
    bad = post(**{"attribute[kind]": "praise"})
    assert bad.status_code == 400 and "attribute[kind]" in bad.json()[0]["description"]


def test_token_gives_the_request_id_and_forged_tokens_are_404(client, post):
    response = post()
    number = created_id(response)
    token = response.json()[0]["token"]
    data = get_json(client, f"tokens/{token}.json", "token")
    assert data == [{"service_request_id": number, "token": token}]
    assert get_xml(client, f"tokens/{token}.xml").findtext("request/service_request_id") == number
    ticket_id, tag = token.split("-")
    forged = f"{ticket_id}-{'0' * len(tag)}"
    get_json(client, f"tokens/{forged}.json", "errors", expect=404)
    get_json(client, "tokens/12345.json", "errors", expect=404)


def test_post_is_csrf_exempt_and_ignores_sessions(api_key, city, make_staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_staff("hotline_agent", "410800", "hotline"))
    body = {"api_key": api_key, "service_code": "060101", "description": FOOD, **WUZHI}
    response = client.post(f"{BASE}/requests.json", body)
    ticket = Ticket.objects.get(number=created_id(response))
    assert ticket.received_by is None  # taken in by the platform, not the logged-in agent
    no_key = Client(enforce_csrf_checks=True)
    no_key.force_login(make_staff("hotline_supervisor", "410800", "hotline"))
    assert no_key.post(f"{BASE}/requests.json", {**body, "api_key": ""}).status_code == 403


# --- keys ---


def test_keys_are_stored_as_digests_and_issued_by_supervisors(api_key, make_staff):
    row = Open311Key.objects.get()
    assert row.digest == key_digest(api_key) and row.digest != api_key
    assert api_key not in {row.name, row.prefix, row.digest} and api_key.startswith(row.prefix)
    assert AuditEntry.objects.filter(action="hotline.open311_key.issue").exists()
    with pytest.raises(PermissionDenied):
        do_issue_open311_key(actor=make_staff("hotline_agent", "410800", "hotline"), name="x")
    _row, other = do_issue_open311_key(
        actor=make_staff("hotline_supervisor", "410800", "hotline"), name="焦作政务 App"
    )
    assert other != api_key and Open311Key.objects.count() == 2


def test_missing_forged_and_revoked_keys_are_403(client, post, api_key):
    for key in ("", "not-a-key", api_key[:-1] + ("A" if api_key[-1] != "A" else "B")):
        response = post(key=key)
        assert response.status_code == 403
        errors = response.json()
        valid("errors", errors)
        assert errors[0]["code"] == 403 and "api_key" in errors[0]["description"]
    xml = ET.fromstring(post(fmt="xml", key="forged").content)
    assert xml.tag == "errors" and xml.findtext("error/code") == "403"
    assert Ticket.objects.count() == 0

    created_id(post())
    do_revoke_open311_key(actor=None, key=Open311Key.objects.get())
    assert AuditEntry.objects.filter(action="hotline.open311_key.revoke").exists()
    response = post(description="另一件事：路灯不亮")
    assert response.status_code == 403 and Ticket.objects.count() == 1


def test_a_replayed_post_creates_one_ticket(post):
    first = created_id(post(phone="13912345678", device_id="dev-1"))
    again = created_id(post(phone="13912345678", device_id="dev-1"))
    assert again == first and Ticket.objects.count() == 1
    assert Open311Key.objects.get().last_used_at is not None

    other = created_id(post(phone="13912345678", device_id="dev-1", description=FOOD + "！"))
    assert other != first and Ticket.objects.count() == 2

    # Past the replay window the same body is a new request.
    Ticket.objects.filter(number=first).update(created_at=timezone.now() - dt.timedelta(minutes=11))
    later = created_id(post(phone="13912345678", device_id="dev-1"))
    assert later != first and Ticket.objects.count() == 3


def test_the_same_body_from_another_key_is_another_request(client, post):
    first = created_id(post())
    _row, second_key = do_issue_open311_key(actor=None, name="另一个应用")
    assert created_id(post(key=second_key)) != first


# --- refusals ---


def test_a_place_outside_the_city_is_400(post):
    response = post(lat="39.9042", long="116.4074")  # 北京
    assert response.status_code == 400
    errors = response.json()
    valid("errors", errors)
    assert "不在焦作市范围内" in errors[0]["description"]
    response = post(lat=None, long=None, address_string="北京市朝阳区建国路 1 号")
    assert response.status_code == 400 and "焦作市" in response.json()[0]["description"]
    response = post(lat=None, long=None, address_id="110105")
    assert response.status_code == 400 and "address_id" in response.json()[0]["description"]
    assert Ticket.objects.count() == 0


def test_location_is_required_and_whole(post):
    response = post(lat=None, long=None)
    assert response.status_code == 400 and "位置" in response.json()[0]["description"]
    response = post(long=None)
    assert response.status_code == 400 and "lat 和 long" in response.json()[0]["description"]
    response = post(lat="north")
    assert response.status_code == 400 and "lat" in response.json()[0]["description"]
    assert Ticket.objects.count() == 0


def test_service_code_missing_is_400_and_unknown_is_404(post):
    response = post(service_code=None)
    assert response.status_code == 400 and "service_code" in response.json()[0]["description"]
    response = post(service_code="9999")  # the spec: 404 - service_code was not found
    assert response.status_code == 404 and "9999" in response.json()[0]["description"]
    valid("errors", response.json())
    assert post(service_code="03").status_code == 404  # a group cannot be requested
    assert Ticket.objects.count() == 0


def test_description_is_required_and_bounded(post, settings):
    response = post(description=None)
    assert response.status_code == 400 and "description" in response.json()[0]["description"]
    assert post(description="   ").status_code == 400
    limit = settings.YIWANG["HOTLINE_CONTENT_MAX"]
    response = post(description="饭" * (limit + 1))
    assert response.status_code == 400 and str(limit) in response.json()[0]["description"]
    assert Ticket.objects.count() == 0


def test_several_problems_are_listed_together(post):
    response = post(description=None, email="not-an-email", media_url="ftp://x.example/a")
    assert response.status_code == 400
    errors = response.json()
    valid("errors", errors)
    text = " ".join(e["description"] for e in errors)
    assert len(errors) == 3 and "description" in text and "email" in text
    assert "media_url" in text


def test_bad_json_body_wrong_method_and_unknown_jurisdiction(client, api_key):
    response = client.post(f"{BASE}/requests.json", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    response = client.post(f"{BASE}/requests.json", "{nope", content_type="application/json")
    assert response.status_code == 400 and "JSON" in response.json()[0]["description"]
    response = client.put(f"{BASE}/requests.json")
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD, POST"
    valid("errors", response.json())
    assert client.post(f"{BASE}/services.json").status_code == 405
    get_json(client, "services.json", "services", jurisdiction_id="jiaozuo.gov.cn")
    errors = get_json(client, "services.json", "errors", expect=404, jurisdiction_id="sfgov.org")
    assert "jurisdiction_id" in errors[0]["description"]


# --- GET requests: filters, windows, pages ---


def _set_state(number: str, state: str, **ticket_fields) -> None:
    """Move a ticket's case to ``state`` directly: the handling loop is tested elsewhere."""
    ticket = Ticket.objects.get(number=number)
    Case.objects.filter(ticket=ticket).update(state=state, closed_at=timezone.now())
    if ticket_fields:
        Ticket.objects.filter(pk=ticket.pk).update(**ticket_fields)


def test_filters_by_status_code_ids_and_dates(client, post):
    food = created_id(post())
    lift = created_id(post(service_code="010201", description="电梯坏了"))
    done = created_id(post(service_code="010201", description="楼道堵了"))
    _set_state(done, "concluded", result="resolved", concluded_at=timezone.now())

    def ids(**params):
        return [
            r["service_request_id"] for r in get_json(client, "requests.json", "requests", **params)
        ]

    assert ids() == [done, lift, food]  # newest first
    assert ids(status="open") == [lift, food]
    assert ids(status="closed") == [done]
    assert ids(status="open,closed") == [done, lift, food]
    assert ids(service_code="060101") == [food]
    assert ids(service_code="010201", status="open") == [lift]
    assert ids(service_request_id=f"{food},{done}", status="open") == [done, food]  # overrides

    (closed,) = get_json(client, f"requests/{done}.json", "requests")
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "已办结待回访；办理结果：解决（resolved）"

    # A ticket from 100 days ago is outside the default 90-day window.
    old_time = timezone.now() - dt.timedelta(days=100)
    Ticket.objects.filter(number=food).update(created_at=old_time)
    assert ids() == [done, lift]
    start = (old_time - dt.timedelta(days=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (old_time + dt.timedelta(days=1)).isoformat(timespec="seconds")
    assert ids(start_date=start, end_date=end) == [food]
    assert ids(start_date=start) == [food]  # start alone: 90 days from it
    assert ids(end_date=end) == [food]
    # An offset whose "+" arrived as a space (unencoded in the URL) is mended.
    assert ids(start_date=start, end_date=end.replace("+", " ")) == [food]
    assert ids(start_date=old_time.strftime("%Y-%m-%d"), end_date=old_time.strftime("%Y-%m-%d"))


def test_bad_filters_are_400(client, city):
    for params in (
        {"start_date": "yesterday"},
        {"end_date": "2026-13-45T00:00:00Z"},
        {"start_date": "0001-01-01T00:00:00+08:00"},
        {"end_date": "9999-12-31"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},  # > 90 days
        {"start_date": "2026-03-01T00:00:00Z", "end_date": "2026-02-01T00:00:00Z"},
        {"status": "pending"},
        {"service_code": "9999"},
        {"page": "0"},
        {"page_size": "100000"},
    ):
        errors = get_json(client, "requests.json", "errors", expect=400, **params)
        assert errors[0]["code"] == 400, params
    root = get_xml(client, "requests.xml", expect=400, status="pending")
    assert root.tag == "errors" and "status" in root.findtext("error/description")


def test_pages_and_the_result_limit(client, post, settings):
    numbers = [created_id(post(description=f"{FOOD}（第 {i} 次）")) for i in range(5)]
    newest_first = numbers[::-1]
    response = client.get(f"{BASE}/requests.json", {"page_size": 2, "page": 2})
    assert [r["service_request_id"] for r in response.json()] == newest_first[2:4]
    assert 'rel="next"' in response["Link"] and "page=3" in response["Link"]
    response = client.get(f"{BASE}/requests.json", {"page_size": 2, "page": 3})
    assert [r["service_request_id"] for r in response.json()] == newest_first[4:]
    assert "Link" not in response

    settings.YIWANG = {**settings.YIWANG, "OPEN311_MAX_RESULTS": 3}
    assert len(client.get(f"{BASE}/requests.json").json()) == 3  # the spec's 1000, configured
    get_json(client, "requests.json", "errors", expect=400, page_size="4")


def test_merged_tickets_are_closed_and_name_the_ticket(client, post):
    into = created_id(post())
    merged = created_id(post(description="同一家饭店，又有人吃坏肚子了"))
    _set_state(merged, "merged", merged_into=Ticket.objects.get(number=into))
    (item,) = get_json(client, f"requests/{merged}.json", "requests")
    assert item["status"] == "closed" and into in item["status_notes"]
    assert [
        r["service_request_id"]
        for r in get_json(client, "requests.json", "requests", status="closed")
    ] == [merged]


def test_requests_publish_only_open311_tickets_and_mask_numbers(client, post, take):
    phone_ticket = take()  # taken by a 话务员 on the phone: not published
    get_json(client, f"requests/{phone_ticket.number}.json", "errors", expect=404)
    assert phone_ticket.number not in client.get(f"{BASE}/requests.json").content.decode()

    number = created_id(post(description="饭店老板电话13812345678，身份证410823199001011234"))
    (item,) = get_json(client, f"requests/{number}.json", "requests")
    assert "13812345678" not in item["description"] and "138****5678" in item["description"]
    assert "410823199001011234" not in item["description"]

    secret = created_id(post(description="举报某饭店使用地沟油", **{"attribute[kind]": "report"}))
    (item,) = get_json(client, f"requests/{secret}.json", "requests")
    assert item["description"] is None  # 举报内容保密


# --- the georeport client from PyPI against a live server ---


@pytest.mark.django_db(transaction=True)
def test_the_georeport_client_lists_posts_and_reads_back(live_server, city):
    import requests
    from georeport import GeoReport

    _row, key = do_issue_open311_key(actor=None, name="georeport")
    root = f"{live_server.url}{BASE}"
    for output in ("json", "xml"):
        client = GeoReport(root, api_key=key, output_format=output)
        listed = client.get_service_list()
        assert "060101" in {s["service_code"] for s in listed}
        definition = client.get_service_definition("060101")
        assert definition["service_code"] == "060101"
    client = GeoReport(root, jurisdiction="jiaozuo.gov.cn", api_key=key)
    valid("services", client.get_service_list())
    valid("service_definition", client.get_service_definition("060101"))

    # The client has no POST: send the spec's form-encoded request with the same library.
    response = requests.post(
        f"{root}/requests.json",
        data={"api_key": client.api_key, "service_code": "060101", "description": FOOD, **WUZHI},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    number = response.json()[0]["service_request_id"]

    found = client.get_service_request(number)
    valid("requests", [found])
    assert found["service_request_id"] == number and found["status"] == "open"
    listed = client.get_service_requests(service_code="060101", status="open")
    assert [r["service_request_id"] for r in listed] == [number]
    assert client.get_service_requests(service_request_id=number)[0]["description"] == FOOD
    xml_client = GeoReport(root, output_format="xml")
    assert xml_client.get_service_request(number)["service_request_id"] == number
    assert xml_client.get_service_requests(status="open")["service_request_id"] == number


# --- fuzz: no input makes a server error, every answer is in the spec's shape ---

FIELDS = [
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "email",
    "phone",
    "first_name",
    "last_name",
    "media_url",
    "device_id",
    "account_id",
    "jurisdiction_id",
    "attribute[kind]",
    "attribute[kind][]",
]
QUERY = ["service_request_id", "service_code", "start_date", "end_date", "status", "page"]


def _text():
    from hypothesis import strategies as st

    plain = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
    likely = st.sampled_from(
        [
            "060101",
            "01",
            "35.1",
            "113.4",
            "nan",
            "1e400",
            "-0",
            "410823",
            "complaint",
            "open",
            "closed",
            "2026-05-01",
            "2026-05-01T00:00:00+08:00",
            "0",
            "99999999999",
            "",
        ]
    )
    return st.one_of(plain, likely)


@pytest.mark.slow
def test_fuzzed_posts_and_queries_never_fail_the_server(client, api_key):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @given(body=st.dictionaries(st.sampled_from(FIELDS), _text(), max_size=8))
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz_post(body):
        response = client.post(f"{BASE}/requests.json", {"api_key": api_key, **body})
        assert response.status_code in (200, 400, 404), response.content.decode()
        valid("post_response" if response.status_code == 200 else "errors", response.json())

    @given(params=st.dictionaries(st.sampled_from(QUERY), _text(), max_size=4))
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz_get(params):
        response = client.get(f"{BASE}/requests.json", params)
        assert response.status_code in (200, 400), response.content.decode()
        valid("requests" if response.status_code == 200 else "errors", response.json())

    fuzz_post()
    fuzz_get()


# --- datetimes: ISO 8601 with T, seconds and zone, as GeoReport v2 requires ---

ISO_SECONDS_ZONE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


def _iso(value: str) -> dt.datetime:
    """``value`` parsed as the spec's datetime: T, seconds and a zone, nothing less."""
    import re

    assert re.match(ISO_SECONDS_ZONE, value), value
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert moment.tzinfo is not None
    return moment


@pytest.mark.django_db(transaction=True)
def test_every_datetime_is_iso_8601_with_seconds_and_zone(live_server, city):
    import requests
    from georeport import GeoReport

    _row, key = do_issue_open311_key(actor=None, name="georeport")
    root = f"{live_server.url}{BASE}"
    # The changeset of the discovery document (the georeport client has no discovery
    # call: the same HTTP library it uses reads it), in JSON and in XML.
    discovery = requests.get(f"{root}/discovery.json", timeout=30).json()
    valid("discovery", discovery)
    stamps = [discovery["changeset"], discovery["endpoints"][0]["changeset"]]
    xml = ET.fromstring(requests.get(f"{root}/discovery.xml", timeout=30).content)
    stamps += [xml.findtext("changeset"), xml.findtext("endpoints/endpoint/changeset")]
    assert len({_iso(s) for s in stamps}) == 1

    response = requests.post(
        f"{root}/requests.json",
        data={"api_key": key, "service_code": "060101", "description": FOOD, **WUZHI},
        timeout=30,
    )
    number = response.json()[0]["service_request_id"]
    for output in ("json", "xml"):
        found = GeoReport(root, output_format=output).get_service_request(number)
        requested = _iso(found["requested_datetime"])
        assert _iso(found["updated_datetime"]) >= requested
        if found.get("expected_datetime"):
            assert _iso(found["expected_datetime"]) > requested
    # What the server writes, the client can send back as a filter and be understood.
    client = GeoReport(root)
    stamp = client.get_service_request(number)["requested_datetime"]
    later = (_iso(stamp) + dt.timedelta(seconds=1)).isoformat()  # the stamp drops the fraction
    listed = client.get_service_requests(start_date=stamp, end_date=later)
    assert [r["service_request_id"] for r in listed] == [number]


def test_changeset_follows_the_last_category_change(client, city):
    from yiwang.core import audit

    audit.record(actor=None, action="hotline.category.update", obj=("hotline.category", "x"))
    audit.flush()
    data = get_json(client, "discovery.json", "discovery")
    moment = _iso(data["changeset"])
    assert moment.utcoffset() == dt.timedelta(hours=8)
    assert abs(timezone.now() - moment) < dt.timedelta(minutes=5)
