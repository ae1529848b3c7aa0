"""Bad input on the API: one localised JSON envelope and the right status, never a 500
and never a partial write."""

import json

import pytest

from yiwang.core.models import RoleAssignment


def test_malformed_json_is_a_400_envelope_in_chinese(client, make_staff):
    admin = make_staff("dept_admin", "410823", "market")
    client.force_login(admin)
    before = RoleAssignment.objects.count()
    response = client.post(
        f"/api/v1/org/staff/{admin.pk}/roles", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "bad_request",
        "message": "请求体不是有效的 JSON。",
        "details": [],
    }
    assert RoleAssignment.objects.count() == before


def test_invalid_fields_are_422_with_localised_details(client, make_staff):
    client.force_login(make_staff("dept_admin", "410823", "market"))
    response = client.post(
        "/api/v1/org/staff/abc/roles", json.dumps({}), content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid"
    messages = {d["type"]: d["msg"] for d in body["details"]}
    assert messages["int_parsing"] == "应为整数。"
    assert messages["missing"] == "此项为必填项。"


def test_oversized_body_is_413_envelope(client, make_staff, settings):
    admin = make_staff("dept_admin", "410823", "market")
    client.force_login(admin)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(
        f"/api/v1/org/staff/{admin.pk}/roles",
        json.dumps({"role": "x" * 5000}),
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_english_errors_when_asked(client, make_staff):
    client.force_login(make_staff("dept_admin", "410823", "market"))
    response = client.post(
        "/api/v1/org/staff/1/roles", "{", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The request body is not valid JSON."


def test_nul_characters_are_refused_not_a_server_error(client, make_staff):
    admin = make_staff("dept_admin", "410823", "market")
    client.force_login(admin)
    query = client.get("/api/v1/org/divisions?level=%00county")
    assert query.status_code == 400
    assert query.json()["error"]["code"] == "bad_request"
    before = RoleAssignment.objects.count()
    body = client.post(
        f"/api/v1/org/staff/{admin.pk}/roles",
        '{"role": "appro\\u0000ver"}',
        content_type="application/json",
    )
    assert body.status_code == 400
    assert RoleAssignment.objects.count() == before
    page = client.post(
        "/org/staff/", {"user_id": admin.pk, "field": "phone", "purpose": "核对\x00"}
    )
    assert page.status_code == 400


def test_identifier_beyond_integer_range_is_a_404_not_a_500(client, make_staff):
    client.force_login(make_staff("dept_admin", "410823", "market"))
    huge = 10**30
    units = client.get(f"/api/v1/org/units?department={huge}")
    assert units.status_code in (200, 404)
    if units.status_code == 404:
        assert units.json()["error"]["code"] == "not_found"
    else:
        assert units.json()["items"] == []
    staff = client.get(f"/api/v1/org/staff/{huge}")
    assert staff.status_code == 404


# --- unknown paths and wrong methods: the envelope, never Django's HTML page ---------

UNKNOWN_PATHS = [
    "/api/v1/no-such-thing",
    "/api/v1/no/such/thing/",
    "/api/v1/",
    "/api/v1/hotline/tickets/1/no-such-step",
    "/api/",
    "/api/nothing",
    "/api/v2/org/divisions",
]


def _envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", UNKNOWN_PATHS)
def test_unknown_api_paths_answer_the_envelope_for_every_method(client, path, method):
    response = getattr(client, method)(path)
    error = _envelope(response, 404, "not_found")
    assert error["message"] == "接口不存在。"


# (path, a method the path does not take): GET-only, POST-only and PUT-only operations.
WRONG_METHODS = [
    ("/api/v1/hotline/categories", "post"),
    ("/api/v1/hotline/categories", "delete"),
    ("/api/v1/org/divisions", "put"),
    ("/api/v1/me", "post"),
    ("/api/v1/me", "delete"),
    ("/api/v1/exchange/person/read", "get"),
    ("/api/v1/exchange/person/read", "delete"),
    ("/api/v1/im/listClients", "post"),
    ("/api/v1/im/r1/CN/GOV/x/registries/person/read", "get"),
]


@pytest.mark.parametrize(("path", "method"), WRONG_METHODS)
def test_wrong_method_is_a_405_envelope_with_allow(client, path, method):
    response = getattr(client, method)(path)
    error = _envelope(response, 405, "method_not_allowed")
    assert method.upper() in error["message"]
    assert response["Allow"] and method.upper() not in response["Allow"].split(", ")


def test_wrong_method_and_unknown_path_in_english(client):
    response = client.delete("/api/v1/hotline/categories", HTTP_ACCEPT_LANGUAGE="en")
    error = _envelope(response, 405, "method_not_allowed")
    assert error["message"] == "This endpoint does not accept the DELETE method."
    unknown = client.get("/api/v1/nowhere", HTTP_ACCEPT_LANGUAGE="en")
    assert _envelope(unknown, 404, "not_found")["message"] == "No such endpoint."


def test_unknown_api_path_with_debug_is_still_the_envelope(client, settings):
    """Django's technical 404 page (DEBUG) is HTML; the API answers its envelope anyway."""
    settings.DEBUG = True
    _envelope(client.get("/api/v1/no-such-thing"), 404, "not_found")
    _envelope(client.post("/api/nothing"), 404, "not_found")


def test_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
