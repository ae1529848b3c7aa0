"""API /api/v1/licences: public catalogue and verification, holders' licences, staff
issuing and lifecycle, seals — with the platform's error envelope and statuses."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.licences.models import Licence, Seal
from yiwang.licences.tests.conftest import ENTERPRISE_CODE, FOOD_DATA

pytestmark = pytest.mark.django_db

API = "/api/v1/licences"


def post_json(client, url, body):
    return client.post(url, body, content_type="application/json")


def pdf_of(licence) -> bytes:
    with licence.pdf.open("rb") as fh:
        return fh.read()


def test_types_are_public(client, licence_types):
    types = client.get(f"{API}/types").json()
    by_slug = {t["slug"]: t for t in types}
    assert by_slug["food_business"]["code"] == licence_types["food_business"].code
    assert by_slug["marriage"]["validity_years"] is None
    assert {f["key"] for f in by_slug["food_business"]["fields"]} == set(FOOD_DATA)
    market = client.get(f"{API}/types", {"line": "market"}).json()
    assert {t["slug"] for t in market} == {"business_licence", "food_business"}
    assert client.get(f"{API}/types", {"status": "retired"}).json() == []
    assert client.get(f"{API}/types", {"status": "gone"}).status_code == 422


def test_verify_api(client, issue):
    licence = issue()
    ok = post_json(
        client, f"{API}/verify", {"identifier": licence.identifier, "token": licence.token}
    )
    body = ok.json()
    assert ok.status_code == 200 and body["result"] == "valid"
    assert body["licence"]["number"] == licence.number and body["checks"]["signature"]
    url = f"http://x/licences/verify/?id={licence.identifier}&t={licence.token}"
    assert post_json(client, f"{API}/verify", {"payload": url}).json()["result"] == "valid"
    upload = client.post(f"{API}/verify", {"file": SimpleUploadedFile("l.pdf", pdf_of(licence))})
    assert upload.status_code == 200 and upload.json()["result"] == "valid"
    tampered = bytearray(pdf_of(licence))
    tampered[-100] ^= 0xFF
    forged = client.post(f"{API}/verify", {"file": SimpleUploadedFile("l.pdf", bytes(tampered))})
    assert forged.json()["result"] == "forged" and forged.json()["licence"] is None


def test_verify_api_statuses(client, issue):
    from yiwang.licences.actions import do_change_status

    licence = issue()
    do_change_status(actor=None, licence=licence, action="revoke", reason="许可条件丧失")
    body = post_json(client, f"{API}/verify", {"identifier": licence.identifier}).json()
    assert body["result"] == "revoked" and "撤销" in body["message"]


def test_verify_api_bad_input(client, settings, issue):
    issue()
    garbage = post_json(client, f"{API}/verify", {"payload": "%%%garbage%%%"})
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "bad_request"
    assert "格式不正确" in garbage.json()["error"]["message"]
    empty = post_json(client, f"{API}/verify", {})
    assert empty.status_code == 400 and "请粘贴" in empty.json()["error"]["message"]
    not_json = client.post(f"{API}/verify", "{oops", content_type="application/json")
    assert not_json.status_code == 400
    assert post_json(client, f"{API}/verify", ["x"]).status_code == 400
    huge = post_json(client, f"{API}/verify", {"payload": "x" * 5000})
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"
    settings.YIWANG = {**settings.YIWANG, "LICENCE_VERIFY_MAX_BYTES": 100}
    big = client.post(f"{API}/verify", {"file": SimpleUploadedFile("l.pdf", b"%PDF-" + b"1" * 500)})
    assert big.status_code == 413 and "文件过大" in big.json()["error"]["message"]
    settings.YIWANG = {**settings.YIWANG, "LICENCE_VERIFY_PER_MINUTE": 1}
    from django.core.cache import cache

    cache.clear()
    post_json(client, f"{API}/verify", {"payload": "x"})
    limited = post_json(client, f"{API}/verify", {"payload": "x"})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"


def test_my_licences(client, issue, citizen, enterprise_user):
    permit = issue("residence_permit")
    food = issue()
    client.force_login(citizen)
    mine = client.get(f"{API}/mine").json()
    assert [x["identifier"] for x in mine["items"]] == [permit.identifier]
    assert mine["items"][0]["holder_id"] == "11010519491231002X"
    detail = client.get(f"{API}/mine/{permit.pk}").json()
    assert detail["data"]["address"] and permit.token in detail["verify_url"]
    assert client.get(f"{API}/mine/{food.pk}").status_code == 404
    client.logout()
    assert client.get(f"{API}/mine").status_code == 401


def test_staff_issue_list_and_lifecycle(client, make_staff, licence_types, enterprise_user):
    approver = make_staff("approver", "410800", "market")
    client.force_login(approver)
    body = {
        "licence_type": "food_business",
        "holder_name": "焦作示例科技有限公司",
        "holder_id": ENTERPRISE_CODE,
        "holder_id_type": "001",
        "data": FOOD_DATA,
        "source": "410800-SQ-20261126-000009",
    }
    made = post_json(client, f"{API}/issued", body)
    assert made.status_code == 201, made.content
    lic = made.json()
    assert lic["status"] == "01" and set(lic["actions"]) == {
        "suspend",
        "revoke",
        "cancel",
        "withdraw",
    }
    assert lic["events"][0]["action"] == "issue"
    bad = post_json(client, f"{API}/issued", {**body, "data": {"legal_rep": "x"}})
    assert bad.status_code == 422 and "经营场所" in bad.json()["error"]["message"]
    unknown = post_json(client, f"{API}/issued", {**body, "licence_type": "nope"})
    assert unknown.status_code == 422
    other_dept = post_json(client, f"{API}/issued", {**body, "issuer": "410800-public_security"})
    assert other_dept.status_code == 403

    listed = client.get(f"{API}/issued", {"type": "food_business", "status": "01"}).json()
    assert listed["count"] == 1 and listed["items"][0]["identifier"] == lic["identifier"]
    assert client.get(f"{API}/issued", {"status": "42"}).status_code == 422

    url = f"{API}/issued/{lic['id']}"
    short = post_json(client, f"{url}/suspend", {"reason": "x"})
    assert short.status_code == 422
    suspended = post_json(client, f"{url}/suspend", {"reason": "责令停业整顿"}).json()
    assert suspended["status"] == "02" and suspended["actions"] == [
        "restore",
        "revoke",
        "cancel",
        "withdraw",
    ]
    conflict = post_json(client, f"{url}/suspend", {"reason": "再次暂扣"})
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    assert post_json(client, f"{url}/explode", {"reason": "xx"}).status_code == 422
    restored = post_json(client, f"{url}/restore", {"reason": "整改完成"}).json()
    assert restored["status"] == "01"

    client.force_login(make_staff("approver", "410823", "market"))
    assert client.get(url).status_code == 404
    assert post_json(client, f"{url}/revoke", {"reason": "越权"}).status_code == 404
    client.force_login(make_staff("window_clerk", "410800", "big_data"))
    assert client.get(f"{API}/issued").status_code == 403
    assert Licence.objects.get().status == "01"


def test_seals_api(client, make_staff, licence_types, issue):
    client.force_login(make_staff("dept_admin", "410800", "market"))
    seals = client.get(f"{API}/seals").json()
    owners = {s["owner_code"] for s in seals["items"]}
    # The city bureau's admin manages its own seals and those of the county bureaus under it.
    assert "410800-market" in owners and "410823-market" in owners
    assert all(o.endswith("-market") for o in owners)
    made = post_json(client, f"{API}/seals", {"department": "410800-market", "kind": "contract"})
    assert made.status_code == 201 and "BEGIN PUBLIC KEY" in made.json()["public_key"]
    assert (
        post_json(
            client, f"{API}/seals", {"department": "410800-public_security", "kind": "official"}
        ).status_code
        == 403
    )
    market = Seal.objects.get(owner__code="410800-market", kind="licensing")
    licence = issue()
    usages = client.get(f"{API}/seals/{market.pk}/usages").json()
    assert usages["count"] == 1 and usages["items"][0]["document_ref"] == licence.identifier
    assert usages["items"][0]["digest"] == licence.pdf_digest
    off = post_json(client, f"{API}/seals/{market.pk}/disable", {"reason": "更换印章"})
    assert off.json()["status"] == "disabled"
    again = post_json(client, f"{API}/seals/{market.pk}/disable", {"reason": "更换印章"})
    assert again.status_code == 409
    other = Seal.objects.exclude(owner__code="410800-market").first()
    assert client.get(f"{API}/seals/{other.pk}").status_code == 404
