"""Deny by default: jurisdiction × department × role, the same in pages and API, and
personal data masked unless a permitted role states a purpose (logged)."""

import json

import pytest

from yiwang.core.models import AuditEntry, RoleAssignment


@pytest.fixture
def people(make_staff, citizen):
    return {
        "wuzhi_admin": make_staff("dept_admin", "410823", "market", phone="13900000001"),
        "wuzhi_clerk": make_staff(
            "window_clerk", "410823", "market", phone="13900000002", full_name="王小明"
        ),
        "boai_clerk": make_staff("window_clerk", "410822", "market", phone="13900000003"),
        "wuzhi_housing": make_staff("window_clerk", "410823", "housing", phone="13900000004"),
        "city_market_admin": make_staff("dept_admin", "410800", "market"),
        "bureau": make_staff("bureau_admin", "410800", "big_data"),
        "citizen": citizen,
    }


def api_ids(client, user):
    client.force_login(user)
    response = client.get("/api/v1/org/staff?page_size=500")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["items"]}


def test_county_admin_sees_only_own_county_and_department(client, people):
    seen = api_ids(client, people["wuzhi_admin"])
    assert people["wuzhi_clerk"].pk in seen
    assert people["boai_clerk"].pk not in seen  # other county
    assert people["wuzhi_housing"].pk not in seen  # other department, same county


def test_city_department_sees_its_county_counterparts_bureau_sees_all(client, people):
    city_seen = api_ids(client, people["city_market_admin"])
    assert {people["wuzhi_clerk"].pk, people["boai_clerk"].pk} <= city_seen
    assert people["wuzhi_housing"].pk not in city_seen
    bureau_seen = api_ids(client, people["bureau"])
    assert {
        people["wuzhi_clerk"].pk,
        people["boai_clerk"].pk,
        people["wuzhi_housing"].pk,
    } <= bureau_seen


def test_other_county_record_is_not_found_not_forbidden(client, people):
    client.force_login(people["wuzhi_admin"])
    response = client.get(f"/api/v1/org/staff/{people['boai_clerk'].pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_cannot_change_other_county_record_and_nothing_is_written(client, people):
    client.force_login(people["wuzhi_admin"])
    before = RoleAssignment.objects.count()
    response = client.post(
        f"/api/v1/org/staff/{people['boai_clerk'].pk}/roles",
        json.dumps({"role": "approver"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert RoleAssignment.objects.count() == before
    ok = client.post(
        f"/api/v1/org/staff/{people['wuzhi_clerk'].pk}/roles",
        json.dumps({"role": "approver"}),
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert "approver" in ok.json()["roles"]
    assert AuditEntry.objects.filter(
        action="core.user.grant_role", object_id=str(people["wuzhi_clerk"].pk)
    ).exists()


def test_citizen_and_anonymous_are_denied(client, people):
    assert client.get("/api/v1/org/staff").status_code == 401
    assert client.get("/api/v1/org/staff").json()["error"]["code"] == "unauthenticated"
    assert api_ids(client, people["citizen"]) == set()
    assert client.get("/org/staff/").status_code == 403


def test_masking_in_api_and_page(client, people):
    client.force_login(people["wuzhi_admin"])
    rows = client.get("/api/v1/org/staff").json()["items"]
    clerk = next(r for r in rows if r["id"] == people["wuzhi_clerk"].pk)
    assert clerk["phone"] == "139****0002"
    assert clerk["full_name"] == "王*明"
    page = client.get("/org/staff/").content.decode()
    assert "139****0002" in page
    assert "13900000002" not in page
    assert "王小明" not in page


def test_reveal_needs_role_and_purpose_and_is_logged(client, people):
    clerk = people["wuzhi_clerk"]
    client.force_login(people["bureau"])  # may see, may not unmask
    denied = client.post(
        f"/api/v1/org/staff/{clerk.pk}/reveal",
        json.dumps({"field": "phone", "purpose": "核实身份"}),
        content_type="application/json",
    )
    assert denied.status_code == 403
    client.force_login(people["wuzhi_admin"])
    no_purpose = client.post(
        f"/api/v1/org/staff/{clerk.pk}/reveal",
        json.dumps({"field": "phone", "purpose": ""}),
        content_type="application/json",
    )
    assert no_purpose.status_code == 422
    shown = client.post(
        f"/api/v1/org/staff/{clerk.pk}/reveal",
        json.dumps({"field": "phone", "purpose": "通知值班安排"}),
        content_type="application/json",
    )
    assert shown.status_code == 200
    assert shown.json()["value"] == "13900000002"
    entry = AuditEntry.objects.get(action="core.personal.unmask", object_id=str(clerk.pk))
    assert entry.purpose == "通知值班安排"
    assert entry.actor == people["wuzhi_admin"]
    page = client.post(
        "/org/staff/", {"user_id": clerk.pk, "field": "full_name", "purpose": "核对人员"}
    )
    assert page.status_code == 200
    assert "王小明" in page.content.decode()
    assert AuditEntry.objects.filter(action="core.personal.unmask").count() == 2


def test_personal_data_is_not_in_the_database_in_clear(people):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT phone, id_number FROM core_user WHERE id = %s", [people["citizen"].pk])
        phone, id_number = cur.fetchone()
    assert phone.startswith("sm4:v") and "13812345678" not in phone
    assert id_number.startswith("sm4:v") and "11010519491231002X" not in id_number
