"""GovStack Digital Registries compatible API: read/exists/list/create/update over our
registries, authorised by share grants; MyPersonalDataUsage for the citizen."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.data.models import DataAccess, LegalEntity, Person
from yiwang.data.tests.test_sharing import IDN, actors, ask, bearer, granted_person, people  # noqa: F401

pytestmark = pytest.mark.django_db

BASE = "/api/v1/registries/data"
IM = {"HTTP_INFORMATION_MEDIATOR_CLIENT": "CN/GOV/410800-civil_affairs/social-assistance"}


def post(c, url, body, **kw):
    return c.post(url, body, content_type="application/json", **kw)


def test_read_and_exists_only_granted(data_city, actors, people):  # noqa: F811
    grant = granted_person(data_city, actors).grant
    c = Client()
    auth = {**bearer(grant), **IM}
    r = post(c, f"{BASE}/person/1.0/read", {"query": {"content": {"id_number": IDN}}}, **auth)
    assert r.status_code == 200, r.content
    assert r.json() == {"content": {"id_number": IDN, "name": "张三"}}
    assert r["Information-Mediator-Client"] == IM["HTTP_INFORMATION_MEDIATOR_CLIENT"]
    yes = post(
        c,
        f"{BASE}/person/1.0/exists",
        {"query": {"content": {"id_number": IDN, "name": "张三"}}},
        **auth,
    )
    assert yes.json()["answer"]["status"] is True
    no = post(
        c,
        f"{BASE}/person/1.0/exists",
        {"query": {"content": {"id_number": IDN, "name": "王五"}}},
        **auth,
    )
    assert no.json()["answer"]["status"] is False
    phone = post(
        c,
        f"{BASE}/person/1.0/exists",
        {"query": {"content": {"id_number": IDN, "phone": "13812345678"}}},
        **auth,
    )
    assert phone.status_code == 403  # phone is not granted: not even a yes/no
    assert post(c, f"{BASE}/person/1.0/read", {"query": {"content": {}}}, **auth).status_code == 422
    # Personal registries are not listed.
    assert c.get(f"{BASE}/person/1.0", **auth).status_code == 403
    assert DataAccess.objects.count() == 3


def test_create_and_update_only_by_the_provider_system(data_city, actors, steward):  # noqa: F811
    market = steward("market")
    res = data_city.resource("legal_entity")
    own = ask(market, res, ["统一社会信用代码", "企业名称", "登记状态"]).grant
    other = ask(actors.consumer, res, ["统一社会信用代码", "企业名称"]).grant
    from yiwang.core.identifiers import make_credit_code

    code = make_credit_code("91", "410800", "MA4ABC12")
    body = {"write": {"content": {"credit_code": code, "name": "焦作测试有限公司"}}}
    c = Client()
    refused = post(c, f"{BASE}/legal_entity/1.0/create", body, **bearer(other))
    assert refused.status_code == 403 and not LegalEntity.objects.exists()
    made = post(c, f"{BASE}/legal_entity/1.0/create", body, **bearer(own))
    assert made.status_code == 200, made.content
    assert LegalEntity.objects.get().name == "焦作测试有限公司"
    again = post(c, f"{BASE}/legal_entity/1.0/create", body, **bearer(own))
    assert again.status_code == 409
    upd = c.put(
        f"{BASE}/legal_entity/1.0/update",
        {"query": {"content": {"credit_code": code}}, "write": {"content": {"status": "注销"}}},
        content_type="application/json",
        **bearer(own),
    )
    assert upd.status_code == 200, upd.content
    entity = LegalEntity.objects.get()
    assert entity.status == "注销" and entity.version == 2
    bad = post(
        c,
        f"{BASE}/legal_entity/1.0/create",
        {"write": {"content": {"credit_code": "123", "name": "x"}}},
        **bearer(own),
    )
    assert bad.status_code == 422
    ungranted = c.put(
        f"{BASE}/legal_entity/1.0/update",
        {"query": {"content": {"credit_code": code}}, "write": {"content": {"address": "x"}}},
        content_type="application/json",
        **bearer(own),
    )
    assert ungranted.status_code == 422
    listed = c.get(f"{BASE}/legal_entity/1.0?page_size=5", **bearer(other))
    assert listed.status_code == 200 and listed.json()["count"] == 1
    assert set(listed.json()["results"][0]) == {"credit_code", "name"}


def test_my_personal_data_usage(data_city, actors, people, citizen):  # noqa: F811
    grant = granted_person(data_city, actors).grant
    post(
        Client(),
        f"{BASE}/person/1.0/read",
        {"query": {"content": {"id_number": IDN}}},
        **bearer(grant),
    )
    web = Client()
    web.force_login(citizen)
    r = web.get(f"{BASE}/MyPersonalDataUsage/1.0?userID={IDN}&DatabaseID=person")
    assert r.status_code == 200, r.content
    [row] = r.json()
    assert row["ReaderApplicationName"] == "social-assistance"
    assert row["ReaderInstitutionID"] == actors.consumer.org_unit.department.code
    from yiwang.core.identifiers import id_check_char

    someone = "41080219900101123" + id_check_char("41080219900101123")
    other = web.get(f"{BASE}/MyPersonalDataUsage/1.0?userID={someone}&DatabaseID=person")
    assert other.status_code == 403
    bad = web.get(f"{BASE}/MyPersonalDataUsage/1.0?userID=...&DatabaseID=person")
    assert bad.status_code == 400
    camel = web.get(f"{BASE}/mypersonalDataUsage?userId={IDN}&databaseId=person")
    assert camel.status_code == 200 and camel.json()[0]["readerApplicationName"]
    assert Person.objects.count() == 2
