"""Service items API: public list/search/detail, staff create/update/publish/withdraw,
promised > statutory refused with a clear error, other departments refused."""

from __future__ import annotations

import json

import pytest

from yiwang.services.models import ServiceItem

URL = "/api/v1/services/items"


def post(client, url, body=None, method="post"):
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


@pytest.fixture
def admin(make_staff, licence_types):
    make_staff("approver", "410800", "civil_affairs")  # someone to handle what is published
    return make_staff("dept_admin", "410800", "civil_affairs")


def main_body(**kw):
    body = {
        "code": "410800-QR-0301",
        "department": "410800-civil_affairs",
        "name": "婚姻登记",
        "kind": "confirmation",
        "legal_basis": "《婚姻登记条例》",
        "level": "main",
    }
    body.update(kw)
    return body


def leaf_body(**kw):
    body = main_body(
        code="410800-QR-0301-01",
        name="内地居民结婚登记",
        level="handling",
        parent="410800-QR-0301",
        handling="new",
        statutory_days=1,
        promised_days=1,
        visits=1,
        life_events=["marriage"],
        licence_type_code="marriage",
        applicants="person",
        materials=[
            {"name": "居民身份证", "registry_fact": "person"},
            {"name": "户口簿", "registry_fact": "person"},
        ],
        steps=[{"name": "受理审查", "days": 0}, {"name": "登记发证", "days": 1}],
        form_fields=[
            {"name": "spouse_name", "label": "对方姓名", "type": "text", "required": True}
        ],
    )
    body.update(kw)
    return body


def test_staff_create_publish_and_public_read(client, admin):
    client.force_login(admin)
    r = post(client, URL, main_body())
    assert r.status_code == 201, r.content
    r = post(client, URL, leaf_body())
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "draft"
    assert [m["registry_fact"] for m in r.json()["materials"]] == ["person", "person"]
    # drafts are not public
    client.logout()
    assert client.get(f"{URL}/410800-QR-0301-01").status_code == 404
    assert client.get(URL, {"q": "结婚"}).json()["count"] == 0
    client.force_login(admin)
    assert post(client, f"{URL}/410800-QR-0301-01/publish").status_code == 409  # parent first
    assert post(client, f"{URL}/410800-QR-0301/publish").status_code == 200
    assert post(client, f"{URL}/410800-QR-0301-01/publish").status_code == 200
    mine = client.get(URL, {"manage": "true", "level": "all"}).json()
    assert {i["code"] for i in mine["items"]} == {"410800-QR-0301", "410800-QR-0301-01"}
    client.logout()
    r = client.get(URL, {"q": "结婚"})
    assert r.status_code == 200
    assert [i["code"] for i in r.json()["items"]] == ["410800-QR-0301-01"]
    assert client.get(URL, {"event": "marriage"}).json()["count"] == 1
    assert client.get(URL, {"department": "410800-market"}).json()["count"] == 0
    detail = client.get(f"{URL}/410800-QR-0301-01").json()
    assert detail["promised_days"] == 1 and detail["steps"][1]["name"] == "登记发证"
    assert client.get(f"{URL}/410800-QR-0301").json()["children"] == ["410800-QR-0301-01"]
    # withdrawn: gone from the public API
    client.force_login(admin)
    r = post(client, f"{URL}/410800-QR-0301-01/withdraw", {"reason": "调整"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    client.logout()
    assert client.get(f"{URL}/410800-QR-0301-01").status_code == 404


def test_promised_over_statutory_is_422_and_nothing_saved(client, admin):
    client.force_login(admin)
    post(client, URL, main_body())
    r = post(client, URL, leaf_body(statutory_days=10, promised_days=12))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["message"] == "承诺办结时限（12 个工作日）不能超过法定办结时限（10 个工作日）。"
    assert err["details"][0]["loc"] == ["promised_days"]
    assert not ServiceItem.objects.filter(code="410800-QR-0301-01").exists()
    r = post(client, URL, leaf_body())
    assert r.status_code == 201
    r = post(
        client, f"{URL}/410800-QR-0301-01", leaf_body(statutory_days=1, promised_days=3), "put"
    )
    assert r.status_code == 422
    assert ServiceItem.objects.get(code="410800-QR-0301-01").promised_days == 1


def test_other_department_and_anonymous_refused(client, admin, make_staff, citizen):
    client.force_login(admin)
    post(client, URL, main_body())
    other = make_staff("dept_admin", "410800", "market")
    client.force_login(other)
    r = post(client, f"{URL}/410800-QR-0301", main_body(name="改名"), "put")
    assert r.status_code == 404
    r = post(client, URL, main_body(code="410800-QR-0399"))
    assert r.status_code == 403
    assert "民政局" in r.json()["error"]["message"]
    client.force_login(citizen)
    assert post(client, URL, main_body(code="410800-QR-0398")).status_code == 403
    client.logout()
    assert post(client, URL, main_body(code="410800-QR-0397")).status_code == 401
    assert ServiceItem.objects.get(code="410800-QR-0301").name == "婚姻登记"


def test_duplicate_code_and_bad_shapes(client, admin):
    client.force_login(admin)
    assert post(client, URL, main_body()).status_code == 201
    r = post(client, URL, main_body())
    assert r.status_code == 409 and "已存在" in r.json()["error"]["message"]
    r = post(
        client,
        URL,
        leaf_body(form_fields=[{"name": "a", "label": "甲", "type": "rainbow"}]),
    )
    assert r.status_code == 422
    assert "未知的字段类型“rainbow”" in r.json()["error"]["message"]
    r = post(client, URL, leaf_body(life_events=["moon_landing"]))
    assert r.status_code == 422 and "moon_landing" in r.json()["error"]["message"]
    assert client.get(URL, {"page_size": 10**6}).status_code == 422


def test_odd_input_is_not_a_server_error(client, admin):
    """(NUL characters in URLs and query strings are refused by the platform's middleware.)"""
    client.force_login(admin)
    assert client.get(f"{URL}/bad code!").status_code == 404
    from django.core.exceptions import ValidationError

    from yiwang.core.models import Department
    from yiwang.services.actions.items import do_create_item

    with pytest.raises(ValidationError, match="空字符"):  # also refused below the middleware
        do_create_item(
            actor=admin,
            department=Department.objects.get(code="410800-civil_affairs"),
            code="410800-QR-0302",
            values={
                "name": "婚姻\x00登记",
                "kind": "confirmation",
                "legal_basis": "x",
                "level": "main",
            },
        )
    r = post(client, URL, main_body(code="a b c"))
    assert r.status_code == 422
    assert client.get("/services/items/bad code!/").status_code == 404
    assert client.get(URL, {"event": "unknown"}).json()["count"] == 0
