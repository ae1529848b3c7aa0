"""信息中介 (GovStack Information Mediator) from outside: an independent HTTP client
(``requests``) against a live server, token by the OAuth2 client-credentials flow, every
metaservice answer checked with ``jsonschema`` against the response schemas of the
GovStack IM Directory Services API (bb-information-mediator,
api/GovStack_IM_Directory_Services_API.yaml at 0748451d), transcribed below; refusals in
the platform's error envelope; service calls through the gateway filed as 用数记录."""

from __future__ import annotations

import pytest
import requests
import yaml
from jsonschema import Draft202012Validator

from yiwang.core.models import AuditEntry
from yiwang.data.models import DataAccess
from yiwang.data.tests.test_sharing import IDN, actors, ask, granted_person, people  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

_ID_TYPES = {"type": "string", "enum": ["MEMBER", "APPLICATION", "SERVICE"]}
_STR = {"type": "string"}
# The spec's restClientDetailsListType and restServiceDetailsListType, with
# ``additionalProperties: false`` added so nothing beyond the spec's fields is sent, and
# ``member`` required as the conformance tests require it.
CLIENTS_SCHEMA = {
    "type": "object",
    "required": ["member"],
    "additionalProperties": False,
    "properties": {
        "member": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "name": _STR,
                    "id": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "objectType": _ID_TYPES,
                            "instanceId": _STR,
                            "memberClass": _STR,
                            "memberCode": _STR,
                            "applicationCode": _STR,
                        },
                    },
                },
            },
        }
    },
}
METHODS_SCHEMA = {
    "type": "object",
    "required": ["member"],
    "additionalProperties": False,
    "properties": {
        "member": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "objectType": _ID_TYPES,
                    "serviceType": _STR,
                    "instanceId": _STR,
                    "memberClass": _STR,
                    "memberCode": _STR,
                    "applicationCode": _STR,
                    "serviceCode": _STR,
                    "serviceVersion": _STR,
                    "endpointList": {
                        "type": "object",
                        "properties": {
                            "member": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {"method": _STR, "path": _STR},
                                },
                            }
                        },
                    },
                },
            },
        }
    },
}
# getOpenAPI's YAML answer is, per the spec, a string.
OPENAPI_TEXT_SCHEMA = {"type": "string"}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {"code": _STR, "message": _STR, "details": {"type": "array"}},
        }
    },
}


def valid(schema: dict, data) -> None:
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(data)


def token_for(base: str, credentials) -> dict:
    """An ``exchange`` bearer token by the client-credentials flow, as a system would."""
    r = requests.post(
        f"{base}/o/token/",
        data={"grant_type": "client_credentials", "scope": "exchange"},
        auth=(credentials.client_id, credentials.client_secret),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def im(live_server, data_city, actors, people):  # noqa: F811
    """The live mediator, a consumer system with a person grant and one with none."""
    from yiwang.data.mediator import services

    granted = granted_person(data_city, actors)
    other = ask(
        actors.consumer,
        data_city.resource("legal_entity"),
        ["统一社会信用代码", "企业名称"],
        consumer_system="licensing",
    )
    [person] = [s for s in services() if s.code == "person"]

    class IM:
        base = live_server.url
        root = f"{live_server.url}/api/v1/im"
        provider = f"CN/GOV/{person.member}/registries"
        consumer = f"CN/GOV/{granted.grant.consumer.code}/social-assistance"
        auth = token_for(live_server.url, granted.credentials)
        ungranted = token_for(live_server.url, other.credentials)

    return IM


def get(url: str, headers: dict, **params) -> requests.Response:
    return requests.get(url, headers=headers, params=params, timeout=30)


def refused(r: requests.Response, status: int, code: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    valid(ERROR_SCHEMA, r.json())
    if code:
        assert r.json()["error"]["code"] == code


def test_list_clients_members_and_subsystems(im):
    r = get(f"{im.root}/listClients", im.auth)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    valid(CLIENTS_SCHEMA, body)
    ids = {
        (m["id"]["objectType"], m["id"]["memberCode"], m["id"].get("applicationCode"))
        for m in body["member"]
    }
    provider = im.provider.split("/")[2]
    consumer = im.consumer.split("/")[2]
    assert ("MEMBER", provider, None) in ids and ("MEMBER", consumer, None) in ids
    assert ("APPLICATION", provider, "registries") in ids
    assert ("APPLICATION", consumer, "social-assistance") in ids
    assert ("APPLICATION", consumer, "licensing") in ids
    assert get(f"{im.root}/listClients", im.auth, instanceId="EE").json() == {"member": []}
    refused(get(f"{im.root}/listClients", im.auth, instanceId="1nval1d"), 400)


def test_list_and_allowed_methods(im):
    r = get(f"{im.root}/r1/{im.provider}/listMethods", im.auth)
    assert r.status_code == 200, r.text
    valid(METHODS_SCHEMA, r.json())
    offered = {m["serviceCode"] for m in r.json()["member"]}
    assert "person" in offered
    [person] = [m for m in r.json()["member"] if m["serviceCode"] == "person"]
    assert {e["path"] for e in person["endpointList"]["member"]} == {"/verify", "/read", "/batch"}
    only = get(f"{im.root}/r1/{im.provider}/listMethods", im.auth, serviceId="person")
    assert [m["serviceCode"] for m in only.json()["member"]] == ["person"]

    allowed = get(
        f"{im.root}/r1/{im.provider}/allowedMethods",
        {**im.auth, "X-GovStack-Client": im.consumer},
    )
    assert allowed.status_code == 200, allowed.text
    valid(METHODS_SCHEMA, allowed.json())
    assert [m["serviceCode"] for m in allowed.json()["member"]] == ["person"]
    # A subsystem without a grant over the provider's registries is allowed nothing.
    none = get(f"{im.root}/r1/{im.provider}/allowedMethods", im.ungranted)
    assert none.status_code == 200 and none.json() == {"member": []}
    # A consuming subsystem offers no services.
    assert get(f"{im.root}/r1/{im.consumer}/listMethods", im.auth).json() == {"member": []}
    # Claiming to be another member's subsystem is refused.
    other = f"CN/GOV/{im.provider.split('/')[2]}/registries"
    refused(
        get(f"{im.root}/r1/{im.provider}/allowedMethods", {**im.auth, "X-GovStack-Client": other}),
        403,
        "client_mismatch",
    )


@pytest.mark.parametrize(
    "address",
    [
        "1nval1d/GOV/{member}/registries",
        "CN/1nval1d/{member}/registries",
        "CN/GOV/_invalid/registries",
        "CN/GOV/{member}/_invalid",
        "1nval1d/1nval1d/_invalid/_invalid",
    ],
)
def test_malformed_identifiers_are_400(im, address):
    member = im.provider.split("/")[2]
    url = f"{im.root}/r1/{address.format(member=member)}"
    for op in ("listMethods", "allowedMethods"):
        refused(get(f"{url}/{op}", im.auth), 400, "invalid_identifier")
    refused(get(f"{url}/getOpenAPI", im.auth, serviceCode="person"), 400, "invalid_identifier")


def test_unknown_member_subsystem_and_service_are_404(im):
    refused(get(f"{im.root}/r1/CN/GOV/nosuchdept/registries/listMethods", im.auth), 404)
    refused(get(f"{im.root}/r1/EE/GOV/{im.provider.split('/')[2]}/x/listMethods", im.auth), 404)
    member = im.provider.split("/")[2]
    refused(get(f"{im.root}/r1/CN/GOV/{member}/nosuchsystem/listMethods", im.auth), 404)
    refused(get(f"{im.root}/r1/{im.provider}/getOpenAPI", im.auth, serviceCode="nosuch"), 404)
    # serviceCode missing, empty or malformed: 400, as the spec's tests ask.
    for params in ({}, {"serviceCode": ""}, {"serviceCode": "_invalid"}):
        refused(get(f"{im.root}/r1/{im.provider}/getOpenAPI", im.auth, **params), 400)


def test_get_openapi_one_document_per_service(im):
    r = get(f"{im.root}/r1/{im.provider}/getOpenAPI", im.auth, serviceCode="person")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/verify", "/read", "/batch"}
    assert doc["servers"][0]["url"].endswith(f"/api/v1/im/r1/{im.provider}/person")
    for item in doc["paths"].values():
        assert "registry" not in {p["name"] for p in item["post"].get("parameters", [])}
    # Every schema the operations refer to is in the document.
    text = str(doc["paths"])
    for name in doc["components"]["schemas"]:
        assert isinstance(doc["components"]["schemas"][name], dict)
    assert "#/components/schemas/VerifyIn" in text and "VerifyIn" in doc["components"]["schemas"]
    as_yaml = get(
        f"{im.root}/r1/{im.provider}/getOpenAPI",
        {**im.auth, "Accept": "text/yaml"},
        serviceCode="person",
    )
    assert as_yaml.headers["Content-Type"].startswith("text/yaml")
    valid(OPENAPI_TEXT_SCHEMA, as_yaml.text)
    assert yaml.safe_load(as_yaml.text)["paths"].keys() == doc["paths"].keys()
    legal = get(f"{im.root}/r1/{im.provider}/getOpenAPI", im.auth, serviceCode="legal_entity")
    assert legal.status_code in (200, 404)  # offered only by the registry's own provider


def test_service_access_through_the_gateway_is_logged(im, citizen):
    url = f"{im.root}/r1/{im.provider}/person"
    headers = {**im.auth, "X-GovStack-Client": im.consumer, "X-Road-Id": "req-im-1"}
    r = requests.post(f"{url}/read", json={"key": IDN}, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["record"]["fields"] == {"id_number": IDN, "name": "张三"}
    assert r.headers["X-Road-Client"] == im.consumer and r.headers["X-Road-Id"] == "req-im-1"
    yes = requests.post(
        f"{url}/verify", json={"key": IDN, "claims": {"name": "张三"}}, headers=headers, timeout=30
    )
    assert yes.json() == {"match": True}
    [read, verify] = DataAccess.objects.order_by("id")
    assert read.kind == "read" and read.client_id == im.consumer and read.request_id == "req-im-1"
    assert verify.kind == "verify"
    assert AuditEntry.objects.filter(action="data.exchange.read").count() == 1
    # 谁用了我的数据: the reads are filed under the person (a 实名 account sees them).
    from yiwang.core.models import Assurance, User
    from yiwang.data.access import accesses_of_citizen

    User.objects.filter(pk=citizen.pk).update(assurance=Assurance.SMS)
    citizen.refresh_from_db()
    assert set(accesses_of_citizen(citizen)) == {read, verify}

    # A field outside the grant, a system without a grant, no token: refused, not logged.
    refused(
        requests.post(f"{url}/read", json={"key": IDN, "fields": ["phone"]}, headers=headers),
        403,
        "field_not_granted",
    )
    refused(requests.post(f"{url}/read", json={"key": IDN}, headers=im.ungranted), 403, "no_grant")
    refused(requests.post(f"{url}/read", json={"key": IDN}), 403)  # no token, no CSRF
    # Addressing: malformed 400, a provider that does not offer the service 404.
    bad = f"{im.root}/r1/CN/GOV/_x/registries/person/read"
    refused(requests.post(bad, json={"key": IDN}, headers=headers), 400, "invalid_identifier")
    wrong = f"{im.root}/r1/{im.consumer}/person/read"
    refused(requests.post(wrong, json={"key": IDN}, headers=headers), 404)
    assert DataAccess.objects.count() == 2


def test_directory_is_closed_to_sessions_and_other_tokens(im, live_server):
    refused(requests.get(f"{im.root}/listClients", timeout=30), 401)
    refused(get(f"{im.root}/r1/{im.provider}/listMethods", {}), 401)
