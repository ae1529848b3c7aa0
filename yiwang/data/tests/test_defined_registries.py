"""自定义名册: a steward defines a registry from a JSON Schema; personal fields are
encrypted at rest with blind indexes and history; only the owner's steward changes or
stops it; the caller must name its grant's whole identifier; citizens' data-usage calls
need their own scope."""

# ruff: noqa: F811 - fixtures imported from test_sharing are parameters here
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client

from yiwang.core.identifiers import id_check_char
from yiwang.core.models import AuditEntry
from yiwang.data.actions.defined import Definition, do_archive_registry, do_define_registry
from yiwang.data.models import DataResource, DefinedRecord, RecordHistory, RegistryDefinition
from yiwang.data.tests.test_sharing import IDN, actors, ask, bearer, granted_person, people  # noqa: F401

pytestmark = pytest.mark.django_db

API = "/api/v1/registries"
ELDER = {
    "type": "object",
    "properties": {
        "编号": {"type": "string", "primaryKey": True},
        "姓名": {"type": "string", "x-mask": "name", "x-title-en": "Name"},
        "身份证号": {"type": "string", "x-mask": "id_number"},
        "年龄": {"type": "integer", "minimum": 80},
        "村社区": {"type": "string"},
    },
    "required": ["姓名", "身份证号"],
}


def define(actor, code="gaoling", schema=ELDER, **kw):
    return do_define_registry(
        actor=actor, values=Definition(code=code, name="高龄津贴名册", **kw), schema=schema
    )


def post(c, url, body, **kw):
    return c.post(url, body, content_type="application/json", **kw)


def granted(actors, steward, consumer, resource):
    """A conditional share (personal fields) through provider and bureau."""
    from yiwang.data.actions.sharing import do_decide_share

    out = ask(consumer, resource, [i.name for i in resource.items.all()])
    if out.grant is not None:
        return out.grant
    provider = steward("civil_affairs")
    do_decide_share(actor=provider, request=out.request, action="provider_agree")
    return do_decide_share(actor=actors.bureau, request=out.request, action="grant").grant


def _system(grant, system="social-assistance"):
    return {
        **bearer(grant),
        "HTTP_INFORMATION_MEDIATOR_CLIENT": f"CN/GOV/{grant.consumer.code}/{system}",
    }


def test_define_publishes_a_catalogue_entry_with_grades(data_city, actors):
    d = define(actors.consumer, grade="general")
    assert d.owner == actors.consumer.org_unit.department and d.version == "1.0"
    assert d.personal_fields() == ["姓名", "身份证号"]
    res = d.resource
    assert res.status == DataResource.Status.PUBLISHED and res.registry == "gaoling"
    assert res.level >= 3  # personal fields: at least level 3 (从高定级)
    assert [i.field for i in res.items.all()] == list(ELDER["properties"])
    assert AuditEntry.objects.filter(action="data.registry.define").exists()
    changed = define(
        actors.consumer,
        schema={**ELDER, "properties": {**ELDER["properties"], "备注": {"type": "string"}}},
    )
    assert changed.version == "1.1" and changed.resource.version == 2
    assert DataResource.objects.get(pk=res.pk).status == DataResource.Status.SUPERSEDED


def test_bad_schemas_are_refused(data_city, actors):
    for schema in (
        {"properties": {}},
        {"properties": {"a b__c": {"type": "string"}}},
        {"properties": {"ID": {"type": "some string"}}},
        {"properties": {"x": {"type": "string"}}},  # no primary key
        {"properties": {"ID": {"type": "string", "x-mask": "nonsense"}}},
    ):
        with pytest.raises(ValidationError):
            define(actors.consumer, schema=schema)
    assert not RegistryDefinition.objects.filter(code="gaoling").exists()


def test_another_departments_steward_cannot_define_change_or_stop(data_city, actors, steward):
    d = define(actors.consumer)
    other = steward("market")
    with pytest.raises((ValidationError, PermissionDenied)):
        define(other)  # change civil affairs' registry
    with pytest.raises((ValidationError, PermissionDenied)):
        do_archive_registry(actor=other, definition=d)
    with pytest.raises((ValidationError, PermissionDenied)):
        do_define_registry(
            actor=other,
            values=Definition(code="wangge"),
            schema=ELDER,
            owner=actors.consumer.org_unit.department,
        )
    # Through the API too, with the steward's own bearer token.
    c = Client()
    from yiwang.data.tests.test_govstack_spec import _token

    auth = {"HTTP_AUTHORIZATION": _token(other, "read write")["Authorization"]}
    r = post(c, f"{API}/database/modify", {"code": "gaoling", "schema": ELDER}, **auth)
    assert r.status_code == 403, r.content
    assert c.delete(f"{API}/database/{d.pk}", **auth).status_code == 403
    readonly = {"HTTP_AUTHORIZATION": _token(actors.consumer, "read")["Authorization"]}
    assert (
        post(c, f"{API}/database/modify", {"code": "x1", "schema": ELDER}, **readonly).status_code
        == 403
    )
    builtin = RegistryDefinition.objects.get(code="person")
    own = {"HTTP_AUTHORIZATION": _token(actors.provider, "read write")["Authorization"]}
    assert c.delete(f"{API}/database/{builtin.pk}", **own).status_code == 403
    assert RegistryDefinition.objects.get(pk=d.pk).archived_at is None
    assert (
        c.delete(
            f"{API}/database/{d.pk}",
            **{"HTTP_AUTHORIZATION": _token(actors.consumer, "write")["Authorization"]},
        ).status_code
        == 200
    )


def test_personal_values_are_encrypted_with_history(data_city, actors, steward):
    d = define(actors.consumer)
    grant = granted(actors, steward, actors.consumer, d.resource)
    c = Client()
    idn = "41080219300101001" + id_check_char("41080219300101001")
    body = {
        "write": {"content": {"姓名": "王大爷", "身份证号": idn, "年龄": 93, "村社区": "解放区"}}
    }
    made = post(c, f"{API}/data/gaoling/1.0/create", body, **_system(grant))
    assert made.status_code == 200, made.content
    key = made.json()["content"]["编号"]
    assert key == "gaoling1"  # numbered {code}{n}
    with connection.cursor() as cur:
        cur.execute("SELECT secret, data FROM data_definedrecord")
        secret, data = cur.fetchone()
    assert "王大爷" not in secret and idn not in secret and "王大爷" not in str(data)
    found = post(
        c,
        f"{API}/data/gaoling/1.0/read",
        {"query": {"content": {"身份证号": idn}}},
        **_system(grant),
    )
    assert found.status_code == 200 and found.json()["content"]["姓名"] == "王大爷"
    upd = c.put(
        f"{API}/data/gaoling/1.0/update",
        {"query": {"content": {"编号": key}}, "write": {"content": {"年龄": 94}}},
        content_type="application/json",
        **_system(grant),
    )
    assert upd.status_code == 200, upd.content
    record = DefinedRecord.objects.get()
    assert record.version == 2
    hist = RecordHistory.objects.get(registry="gaoling")
    assert '"年龄": 93' in hist.values
    young = post(
        c,
        f"{API}/data/gaoling/1.0/create",
        {"write": {"content": {"姓名": "李", "身份证号": idn, "年龄": 50}}},
        **_system(grant),
    )
    assert young.status_code == 422


def test_reads_of_a_defined_registry_reach_who_used_my_data(data_city, actors, citizen, steward):
    d = define(actors.consumer)
    grant = granted(actors, steward, actors.consumer, d.resource)
    c = Client()
    post(
        c,
        f"{API}/data/gaoling/1.0/create",
        {"write": {"content": {"姓名": "张三", "身份证号": IDN, "年龄": 81}}},
        **_system(grant),
    )
    post(
        c,
        f"{API}/data/gaoling/1.0/read",
        {"query": {"content": {"身份证号": IDN}}},
        **_system(grant),
    )
    web = Client()
    web.force_login(citizen)
    rows = web.get(f"{API}/data/mypersonalDataUsage?userId={IDN}&databaseId=gaoling").json()
    assert len(rows) == 1 and rows[0]["readerInstitutionId"] == grant.consumer.code


def test_subsystem_spoof_is_refused(data_city, actors, people):
    grant = granted_person(data_city, actors).grant
    c = Client()
    body = {"query": {"content": {"id_number": IDN}}}
    spoof = {
        **bearer(grant),
        "HTTP_INFORMATION_MEDIATOR_CLIENT": f"CN/GOV/{grant.consumer.code}/police-checks",
    }
    r = post(c, f"{API}/data/person/1.0/read", body, **spoof)
    assert r.status_code == 403 and r.json()["error"]["code"] == "client_mismatch"
    other_instance = {
        **bearer(grant),
        "HTTP_X_ROAD_CLIENT": f"XX/GOV/{grant.consumer.code}/social-assistance",
    }
    assert (
        post(c, "/api/v1/exchange/person/read", {"key": IDN}, **other_instance).status_code == 403
    )
    assert post(c, f"{API}/data/person/1.0/read", body, **_system(grant)).status_code == 200


def test_data_usage_needs_its_scope(data_city, actors, people, citizen):
    from yiwang.data.tests.test_govstack_spec import _token

    c = Client()
    url = f"{API}/data/MyPersonalDataUsage/1.0?userID={IDN}&DatabaseID=person"
    plain = {"HTTP_AUTHORIZATION": _token(citizen, "openid profile")["Authorization"]}
    assert c.get(url, **plain).status_code == 403
    scoped = {"HTTP_AUTHORIZATION": _token(citizen, "openid data_usage")["Authorization"]}
    assert c.get(url, **scoped).status_code == 200


def test_only_the_owners_systems_write_and_delete(data_city, actors, steward):
    d = define(actors.consumer)
    reader = granted(actors, steward, steward("market"), d.resource)
    owner = granted(actors, steward, actors.consumer, d.resource)
    c = Client()
    body = {"write": {"content": {"姓名": "王", "身份证号": IDN, "年龄": 90}}}
    assert post(c, f"{API}/data/gaoling/1.0/create", body, **_system(reader)).status_code == 403
    assert post(c, f"{API}/data/gaoling/1.0/create", body, **_system(owner)).status_code == 200
    assert c.delete(f"{API}/data/gaoling/1.0/gaoling1/delete", **_system(reader)).status_code == 403
    assert c.delete(f"{API}/data/gaoling/1.0/gaoling1/delete", **_system(owner)).status_code == 204
    assert RecordHistory.objects.filter(registry="gaoling", replaced_by="exchange.delete").exists()
    assert c.get(f"{API}/data/gaoling/9.9", **_system(owner)).status_code == 404  # no such version


def test_pages_define_show_masked_and_stop(data_city, actors, steward):
    import json

    web = Client()
    web.force_login(actors.consumer)
    dept = actors.consumer.org_unit.department
    form = {
        "code": "wangge",
        "name": "网格员名册",
        "name_en": "Grid workers",
        "owner": dept.pk,
        "grade": "general",
        "schema": json.dumps(ELDER, ensure_ascii=False),
    }
    r = web.post("/data/definitions/new/", form)
    assert r.status_code == 302, r.content.decode()[:500]
    d = RegistryDefinition.objects.get(code="wangge")
    grant = granted(actors, steward, actors.consumer, d.resource)
    body = {"write": {"content": {"姓名": "王大爷", "身份证号": IDN, "年龄": 90}}}
    assert (
        post(Client(), f"{API}/data/wangge/1.0/create", body, **_system(grant)).status_code == 200
    )
    page = web.get(f"/data/definitions/{d.pk}/").content.decode()
    assert "王**" in page or "王*" in page
    assert IDN not in page and "王大爷" not in page
    english = web.get(f"/data/definitions/{d.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
    listed = web.get("/data/definitions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Define a registry" in listed and "wangge" in listed
    bad = web.post("/data/definitions/new/", {**form, "code": "x2", "schema": "{"})
    assert bad.status_code == 200 and "JSON" in bad.content.decode()
    other = Client()
    other.force_login(steward("market"))
    assert other.post(f"/data/definitions/{d.pk}/stop/").status_code == 403
    assert web.post(f"/data/definitions/{d.pk}/stop/").status_code == 302
    assert RegistryDefinition.objects.get(pk=d.pk).archived_at is not None
