"""共享交换: share requests by share type, the conditional workflow, grants, the exchange
gateway (nothing beyond the grant, everything logged) and "who read my data"."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from yiwang.core.fields import index_for
from yiwang.core.models import AuditEntry, Notification
from yiwang.data.actions.sharing import (
    do_decide_share,
    do_request_share,
    do_revoke_grant,
    seed_demo_sharing,
)
from yiwang.data.models import DataAccess, DataResource, Person, ShareGrant, ShareRequest
from yiwang.data.registry import apply_rows, derive

pytestmark = pytest.mark.django_db

IDN = "11010519491231002X"  # the ``citizen`` fixture's ID number


@pytest.fixture
def people(data_city):
    rows = [
        {"id_number": IDN, "name": "张三", "phone": "13812345678", "address": "焦作市解放区"},
        {"id_number": "410802199001011234", "name": "李四"},
    ]
    with transaction.atomic():
        apply_rows(
            registry="person",
            rows=[derive("person", r) for r in rows],
            resource=data_city.resource("person"),
            department=data_city.department("410800", "public_security"),
        )
    return Person.objects.all()


@pytest.fixture
def actors(steward, make_staff):
    class A:
        consumer = steward("civil_affairs")
        provider = steward("public_security")
        bureau = make_staff("bureau_admin", "410800", "big_data")

    return A


def ask(actor, resource, fields, **kw):
    today = timezone.localdate()
    values = {
        "purpose": "低保审核身份核验",
        "legal_basis": "《社会救助暂行办法》第十一条",
        "consumer_system": "social-assistance",
        "starts_on": today,
        "ends_on": today + dt.timedelta(days=30),
    }
    values.update(kw)
    return do_request_share(actor=actor, resource=resource, fields=fields, **values)


def granted_person(data_city, actors, fields=("公民身份号码", "姓名")):
    out = ask(actors.consumer, data_city.resource("person"), list(fields))
    do_decide_share(actor=actors.provider, request=out.request, action="provider_agree")
    return do_decide_share(actor=actors.bureau, request=out.request, action="grant")


def bearer(grant: ShareGrant, scope: str = "exchange") -> dict:
    token = AccessToken.objects.create(
        user=grant.client.user,
        application=grant.client.application,
        token=f"tok-{grant.pk}-{scope}-{uuid.uuid4().hex}",
        scope=scope,
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {token.token}"}


def post(client, url, body, **headers):
    return client.post(url, body, content_type="application/json", **headers)


# --- Share requests -------------------------------------------------------------------


def test_unconditional_is_granted_at_once_with_credentials(data_city, actors):
    res = data_city.resource("legal_entity")
    out = ask(actors.consumer, res, ["统一社会信用代码", "企业名称"])
    assert out.request.status == ShareRequest.Status.GRANTED and out.request.case is None
    assert out.grant.fields == ["统一社会信用代码", "企业名称"]
    assert out.credentials.client_secret and out.grant.client.scopes == "exchange"
    assert out.grant.expires_at > timezone.now()


def test_no_share_resource_is_refused_with_its_legal_reason(data_city, actors):
    res = data_city.resource("place")
    DataResource.objects.filter(pk=res.pk).update(
        share_type="none", no_share_basis="《测绘法》第三十四条：涉密地理信息不予共享。"
    )
    res.refresh_from_db()
    out = ask(actors.consumer, res, ["名称"])
    assert out.request.status == ShareRequest.Status.REFUSED
    assert "测绘法" in out.request.reason and out.grant is None
    assert not ShareGrant.objects.exists()


def test_conditional_goes_to_provider_then_bureau(data_city, actors):
    out = ask(actors.consumer, data_city.resource("person"), ["公民身份号码", "姓名"])
    req = out.request
    assert req.status == "provider_review" and req.case.state == "provider_review"
    assert out.grant is None
    # Days for the provider come from the workflow definition (10 working days).
    assert req.case.state_due is not None and req.case.state_due > timezone.localdate()
    with pytest.raises(ValidationError):  # the bureau cannot skip the provider
        do_decide_share(actor=actors.bureau, request=req, action="grant")
    with pytest.raises(ValidationError):  # the consumer cannot approve itself
        do_decide_share(actor=actors.consumer, request=req, action="provider_agree")
    do_decide_share(actor=actors.provider, request=req, action="provider_agree")
    assert ShareRequest.objects.get(pk=req.pk).status == "bureau_review"
    assert Notification.objects.filter(user=actors.provider).exists()
    assert Notification.objects.filter(user=actors.bureau).exists()
    done = do_decide_share(actor=actors.bureau, request=req, action="grant")
    assert done.request.status == "granted" and done.grant.fields == ["公民身份号码", "姓名"]
    assert Notification.objects.filter(user=actors.consumer, title__contains="已授权").exists()
    assert done.credentials.client_secret


def test_provider_refusal_needs_reasons(data_city, actors):
    req = ask(actors.consumer, data_city.resource("person"), ["姓名"]).request
    with pytest.raises(ValidationError):
        do_decide_share(actor=actors.provider, request=req, action="provider_refuse")
    do_decide_share(
        actor=actors.provider, request=req, action="provider_refuse", comment="超出必要范围"
    )
    req.refresh_from_db()
    assert req.status == "refused" and req.reason == "超出必要范围" and req.decided_at


@pytest.mark.parametrize(
    "fields,kw,key",
    [
        (["不存在的项"], {}, "fields"),
        ([], {}, "fields"),
        (["姓名"], {"ends_on": timezone.localdate() - dt.timedelta(days=400)}, "ends_on"),
        (["姓名"], {"purpose": " "}, "purpose"),
    ],
)
def test_bad_requests_are_refused_clearly(data_city, actors, fields, kw, key):
    with pytest.raises(ValidationError) as err:
        ask(actors.consumer, data_city.resource("person"), fields, **kw)
    assert key in err.value.message_dict


def test_unpublished_resource_cannot_be_requested(data_city, actors):
    res = data_city.resource("person")
    DataResource.objects.filter(pk=res.pk).update(status="withdrawn")
    res.refresh_from_db()
    with pytest.raises(ValidationError) as err:
        ask(actors.consumer, res, ["姓名"])
    assert "resource" in err.value.message_dict


# --- Exchange gateway -----------------------------------------------------------------


def test_verification_reveals_only_yes_or_no_and_is_logged(data_city, actors, people, citizen):
    grant = granted_person(data_city, actors).grant
    c = Client(enforce_csrf_checks=True)  # a system calls with a token, not a session
    auth = bearer(grant)
    url = "/api/v1/exchange/person/verify"
    yes = post(c, url, {"key": IDN, "claims": {"name": "张三"}}, **auth)
    assert yes.status_code == 200 and yes.json() == {"match": True}
    no = post(c, url, {"key": IDN, "claims": {"姓名": "王五"}}, **auth)
    assert no.json() == {"match": False}
    assert "张三" not in no.content.decode()
    absent = post(c, url, {"key": "410802199001019999", "claims": {"name": "张三"}}, **auth)
    assert absent.json() == {"match": False}
    subject = index_for(Person, "id_number", IDN)
    assert DataAccess.objects.filter(kind="verify", subject_index=subject).count() == 2
    assert AuditEntry.objects.filter(action="data.exchange.verify").count() == 3


def test_read_returns_only_granted_fields_and_lands_in_who_read_my_data(
    data_city, actors, people, citizen
):
    grant = granted_person(data_city, actors).grant
    c = Client()
    auth = bearer(grant)
    r = post(
        c,
        "/api/v1/exchange/person/read",
        {"key": IDN},
        HTTP_X_ROAD_CLIENT="CN/GOV/410800-civil_affairs/social-assistance",
        HTTP_X_ROAD_ID="req-0001",
        **auth,
    )
    assert r.status_code == 200, r.content
    assert r.json()["record"]["fields"] == {"id_number": IDN, "name": "张三"}
    assert r["X-Road-Client"] == "CN/GOV/410800-civil_affairs/social-assistance"
    assert r["X-Road-Id"] == "req-0001"
    access = DataAccess.objects.get(kind="read")
    assert access.request_id == "req-0001" and access.fields == ["id_number", "name"]
    assert access.subject_index == index_for(Person, "id_number", IDN)
    ledger = AuditEntry.objects.get(action="data.exchange.read")
    assert ledger.change["request_id"] == "req-0001"
    # The citizen sees it on their page, with who, which fields and why.
    web = Client()
    web.force_login(citizen)
    page = web.get("/data/my-data/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "social-assistance" in text and "低保审核身份核验" in text and "姓名" in text
    api = web.get("/api/v1/data/sharing/my-data")
    assert api.status_code == 200 and api.json()["count"] == 1


def test_request_id_is_generated_and_foreign_client_header_refused(data_city, actors, people):
    grant = granted_person(data_city, actors).grant
    c = Client()
    auth = bearer(grant)
    r = post(c, "/api/v1/exchange/person/read", {"key": IDN}, **auth)
    assert r.status_code == 200 and len(r["X-Road-Id"]) == 32
    assert r["X-Road-Client"].startswith("CN/GOV/410800-civil_affairs/")
    bad = post(
        c,
        "/api/v1/exchange/person/read",
        {"key": IDN},
        HTTP_X_ROAD_CLIENT="CN/GOV/410800-public_security/hukou",
        HTTP_X_ROAD_ID="r-2",
        **auth,
    )
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "client_mismatch"
    assert bad["X-Road-Id"] == "r-2"
    assert DataAccess.objects.count() == 1


def test_ungranted_field_gets_nothing(data_city, actors, people):
    grant = granted_person(data_city, actors).grant
    c = Client()
    r = post(
        c,
        "/api/v1/exchange/person/read",
        {"key": IDN, "fields": ["name", "phone"]},
        **bearer(grant),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "field_not_granted"
    assert "138" not in r.content.decode() and "张三" not in r.content.decode()
    assert not DataAccess.objects.exists()


def test_no_grant_expired_or_revoked_get_nothing(data_city, actors, people):
    grant = granted_person(data_city, actors).grant
    c = Client()
    auth = bearer(grant)
    # A grant on another registry is not a grant on this one.
    assert post(c, "/api/v1/exchange/legal_entity/read", {"key": "x"}, **auth).status_code == 403
    # A staff token (no API client) has no grant either.
    staff = AccessToken.objects.create(
        user=actors.bureau,
        token="staff-tok",
        scope="exchange read",
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    r = post(c, "/api/v1/exchange/person/read", {"key": IDN}, HTTP_AUTHORIZATION="Bearer staff-tok")
    assert r.status_code == 403 and r.json()["error"]["code"] == "no_grant"
    del staff
    ShareGrant.objects.filter(pk=grant.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    r = post(c, "/api/v1/exchange/person/read", {"key": IDN}, **auth)
    assert r.status_code == 403 and r.json()["error"]["code"] == "grant_expired"
    assert "张三" not in r.content.decode()
    ShareGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() + dt.timedelta(days=1))
    do_revoke_grant(actor=actors.provider, grant=grant, reason="用途已结束")
    r = post(c, "/api/v1/exchange/person/read", {"key": IDN}, **auth)
    assert r.status_code == 401  # the revoked grant's tokens are withdrawn too
    assert not DataAccess.objects.exists()
    assert not post(c, "/api/v1/exchange/person/read", {"key": IDN}).status_code == 200


def test_rate_limit_answers_429(data_city, actors, people):
    grant = granted_person(data_city, actors).grant
    ShareGrant.objects.filter(pk=grant.pk).update(rate_per_minute=2)
    c = Client()
    auth = bearer(grant)
    codes = [
        post(c, "/api/v1/exchange/person/read", {"key": IDN}, **auth).status_code for _ in range(3)
    ]
    assert codes == [200, 200, 429]
    assert DataAccess.objects.count() == 2


def test_batch_is_bounded_and_filtered(data_city, actors, people, settings):
    grant = granted_person(
        data_city, actors, fields=("公民身份号码", "姓名", "联系电话", "户籍区划", "出生日期")
    ).grant
    c = Client()
    auth = bearer(grant)
    r = post(
        c,
        "/api/v1/exchange/person/batch",
        {"keys": [IDN, "410802199001011234", "410802199001019999"], "fields": ["姓名"]},
        **auth,
    )
    assert r.status_code == 200, r.content
    results = r.json()["results"]
    assert [x["found"] for x in results] == [True, True, False]
    assert results[0]["fields"] == {"name": "张三"}
    full = post(c, "/api/v1/exchange/person/read", {"key": IDN}, **auth).json()["record"]
    assert full["fields"]["phone"] == "13812345678" and full["fields"]["birth_date"] == "1949-12-31"
    assert set(full["fields"]) == {"id_number", "name", "phone", "division", "birth_date"}
    assert DataAccess.objects.filter(kind="batch").count() == 2
    settings.YIWANG = {**settings.YIWANG, "SHARE_BATCH_MAX": 2}
    r = post(c, "/api/v1/exchange/person/batch", {"keys": [IDN, IDN, IDN]}, **auth)
    assert r.status_code == 422


def test_provider_sees_who_used_its_data(data_city, actors, people):
    grant = granted_person(data_city, actors).grant
    post(Client(), "/api/v1/exchange/person/read", {"key": IDN}, **bearer(grant))
    web = Client()
    web.force_login(actors.provider)
    page = web.get("/data/sharing/usage/")
    assert page.status_code == 200 and "social-assistance" in page.content.decode()
    assert web.get("/api/v1/data/sharing/usage").json()["count"] == 1
    other = Client()
    other.force_login(actors.consumer)  # the consumer is not the provider
    assert other.get("/api/v1/data/sharing/usage").json()["count"] == 0


def test_seed_demo_sharing(data_city):
    out = seed_demo_sharing()
    assert len(out["requests"]) == 3 and out["clients"]
    statuses = set(ShareRequest.objects.values_list("status", flat=True))
    assert statuses == {"granted", "bureau_review", "refused"}


def test_who_read_my_data_needs_a_verified_account(data_city, actors, people, citizen):
    """谁用了我的数据 lists reads of the record of the account's ID number only once the
    account is 实名; below it the page and the API say how to get there."""
    from yiwang.core.models import Assurance, User

    grant = granted_person(data_city, actors).grant
    r = post(Client(), "/api/v1/exchange/person/read", {"key": IDN}, **bearer(grant))
    assert r.status_code == 200
    User.objects.filter(pk=citizen.pk).update(assurance=Assurance.REGISTRY)
    web = Client()
    web.force_login(citizen)
    page = web.get("/data/my-data/")
    assert page.status_code == 403
    html = page.content.decode()
    assert "需要实名核验" in html and "social-assistance" not in html
    api = web.get("/api/v1/data/sharing/my-data")
    assert api.status_code == 403
    assert api.json()["error"]["details"][0]["code"] == "assurance_required"
    citizen.refresh_from_db()
    from yiwang.data.access import accesses_of_citizen

    assert not accesses_of_citizen(citizen).exists()
    User.objects.filter(pk=citizen.pk).update(assurance=Assurance.SMS)
    assert web.get("/api/v1/data/sharing/my-data").json()["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_a_served_call_outside_a_transaction_is_logged_through_the_writer(
    data_city, actors, people
):
    """A request is not in a transaction (no ATOMIC_REQUESTS), so its rows go through the
    group writer and are committed when the answer arrives."""
    grant = granted_person(data_city, actors).grant
    answer = post(
        Client(),
        "/api/v1/exchange/person/verify",
        {"key": IDN, "claims": {"name": "张三"}},
        **bearer(grant),
    )
    assert answer.status_code == 200 and answer.json() == {"match": True}
    row = DataAccess.objects.get()
    assert row.kind == "verify" and row.grant_id == grant.pk
    assert AuditEntry.objects.filter(action="data.exchange.verify").count() == 1
