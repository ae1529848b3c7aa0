"""办件 API: apply (multipart), list, detail, act, material upload and download; errors in
the envelope with the right status; nothing saved on bad input."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.core.models import Case
from yiwang.services.models import Application
from yiwang.services.tests.test_applications import FOOD_FORM, PDF, _specs, pdf

pytestmark = pytest.mark.django_db
BASE = "/api/v1/services/applications"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _files(item):
    return {f"material_{s.pk}": pdf() for s in _specs(item).values()}


def _post_apply(client, item, form=None, files=None):
    return client.post(
        BASE,
        {"item": item.code, "form_data": json.dumps(form or FOOD_FORM), **(files or _files(item))},
    )


def test_apply_list_detail_act_through_api(client, food_item, enterprise_user, officials):
    client.force_login(enterprise_user)
    response = _post_apply(client, food_item)
    assert response.status_code == 201, response.content
    body = response.json()
    number = body["number"]
    assert body["state"] == "submitted" and body["outcome"] == ""
    assert body["applicant_id_number"].startswith("9141") and "*" in body["applicant_id_number"]
    assert {m["source"] for m in body["materials"]} == {"upload"}
    assert [e["action"] for e in body["events"]] == ["start"]
    assert {a["code"] for a in body["actions"]} == {"withdraw"}
    listing = client.get(BASE).json()
    assert listing["count"] == 1 and listing["items"][0]["number"] == number
    download = client.get(body["materials"][0]["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF

    client.force_login(officials.clerk)
    r = client.post(
        f"{BASE}/{number}/act", {"action": "request_correction"}, content_type="application/json"
    )
    assert r.status_code == 422 and "须填写意见" in r.json()["error"]["message"]
    r = client.post(
        f"{BASE}/{number}/act",
        {"action": "request_correction", "comment": "补充场所照片"},
        content_type="application/json",
    )
    assert r.json()["state"] == "correction"

    client.force_login(enterprise_user)
    spec = _specs(food_item)["经营场所使用证明"]
    bad = client.post(
        f"{BASE}/{number}/materials", {f"material_{spec.pk}": SimpleUploadedFile("x.pdf", b"MZ")}
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["loc"] == [f"material_{spec.pk}"]
    up = client.post(
        f"{BASE}/{number}/materials", {f"material_{spec.pk}": pdf("新.pdf", PDF + b"n")}
    )
    assert up.status_code == 201
    r = client.post(f"{BASE}/{number}/act", {"action": "resubmit"}, content_type="application/json")
    assert r.json()["state"] == "submitted"

    for actor, action in (
        (officials.clerk, "accept"),
        (officials.approver, "review"),
        (officials.approver, "approve"),
    ):
        client.force_login(actor)
        r = client.post(f"{BASE}/{number}/act", {"action": action}, content_type="application/json")
        assert r.status_code == 200, r.content
    assert r.json()["outcome"] == "approved" and r.json()["licence_identifier"]
    again = client.post(
        f"{BASE}/{number}/act", {"action": "approve"}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    client.force_login(enterprise_user)
    detail = client.get(f"{BASE}/{number}").json()
    assert detail["licence_pdf"] and client.get(detail["licence_pdf"]).status_code == 200
    staff_list = client.get(BASE + "?status=done").json()
    assert staff_list["count"] == 1


def test_api_bad_input_and_not_eligible(client, food_item, enterprise_user, citizen):
    client.force_login(enterprise_user)
    r = _post_apply(client, food_item, form={**FOOD_FORM, "area": "很大"})
    assert r.status_code == 422
    details = {d["loc"][0]: d["msg"] for d in r.json()["error"]["details"]}
    assert details == {"area": "「经营面积（平方米）」应为数字。"}
    r = client.post(BASE, {"item": food_item.code, "form_data": "[1"})
    assert r.status_code == 422 and "JSON" in r.json()["error"]["message"]
    r = client.post(BASE, {"item": "NOPE", "form_data": "{}"})
    assert r.status_code == 404
    client.force_login(citizen)
    r = _post_apply(client, food_item)
    assert r.status_code == 422 and "个人不能申请" in r.json()["error"]["message"]
    assert not Application.objects.exists() and not Case.objects.exists()


def test_api_someone_elses_case_and_role(
    client, food_item, enterprise_user, citizen, officials, make_staff
):
    client.force_login(enterprise_user)
    number = _post_apply(client, food_item).json()["number"]
    client.force_login(citizen)
    assert client.get(f"{BASE}/{number}").status_code == 404
    r = client.post(
        f"{BASE}/{number}/act",
        {"action": "withdraw", "comment": "x"},
        content_type="application/json",
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    client.force_login(officials.boai)
    assert client.get(f"{BASE}/{number}").status_code == 404
    client.force_login(make_staff("dept_admin", "410823", "market"))
    r = client.post(f"{BASE}/{number}/act", {"action": "accept"}, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    client.force_login(officials.approver)
    assert client.post(BASE, {"item": food_item.code}).status_code == 403


def test_api_window_intake(client, food_item, officials, enterprise_user):
    specs = _specs(food_item)
    client.force_login(officials.hall_clerk)
    r = client.post(
        f"{BASE}/window",
        {
            "item": food_item.code,
            "applicant_name": "焦作示例科技有限公司",
            "applicant_id_type": "001",
            "applicant_id_number": enterprise_user.credit_code,
            "form_data": json.dumps(FOOD_FORM),
            "received": f"{specs['营业执照'].pk},{specs['经营场所使用证明'].pk}",
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["channel"] == "窗口办"
    assert {m["source"] for m in r.json()["materials"]} == {"window"}
    client.force_login(enterprise_user)
    assert client.get(BASE).json()["count"] == 1


def test_material_is_stored_encrypted_with_its_sm3_and_served_only_to_those_allowed(
    client, food_item, enterprise_user, citizen, settings
):
    from pathlib import Path

    from yiwang.core.crypto import sm3_hex

    client.force_login(enterprise_user)
    spec = _specs(food_item)["营业执照"]
    files = {**_files(food_item), f"material_{spec.pk}": pdf("执照.pdf", PDF + b"licence")}
    body = _post_apply(client, food_item, files=files).json()
    material = next(m for m in body["materials"] if m["name"] == "营业执照")
    assert material["sm3"] == sm3_hex(PDF + b"licence")
    stored = Application.objects.get(number=body["number"]).materials.get(pk=material["id"])
    raw = Path(stored.file.path).read_bytes()
    assert stored.key_version is not None and raw != PDF + b"licence" and b"%PDF" not in raw
    download = client.get(material["download"])
    assert b"".join(download.streaming_content) == PDF + b"licence"
    client.force_login(citizen)
    assert client.get(material["download"]).status_code == 404
