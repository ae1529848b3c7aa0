"""共享交换 pages and the share-request API: forms with clear errors, workflow actions,
the secret shown once, revocation, and out-of-scope requests answered as absent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from yiwang.data.models import ShareGrant, ShareRequest
from yiwang.data.tests.test_sharing import actors, ask  # noqa: F401

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def form(**kw):
    today = timezone.localdate()
    values = {
        "resource": "101-0001",
        "fields": ["公民身份号码", "姓名"],
        "purpose": "低保审核身份核验",
        "legal_basis": "《社会救助暂行办法》",
        "consumer_system": "social-assistance",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=60)).isoformat(),
    }
    values.update(kw)
    return values


def test_new_request_page_with_errors_then_provider_agrees(data_city, actors):  # noqa: F811
    c = logged_in(actors.consumer)
    page = c.get("/data/sharing/requests/new/?resource=101-0001")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'for="purpose"' in text and "联系电话" in text
    bad = c.post("/data/sharing/requests/new/", form(fields=[], ends_on="2000-01-01"))
    assert bad.status_code == 400
    assert "请至少选择一个信息项" in bad.content.decode()
    text = bad.content.decode()
    assert 'id="error-summary"' in text and '<a href="#f-' in text
    assert 'id="fields-error"' in text and 'id="ends_on-error"' in text
    assert "低保审核身份核验</textarea>" in text and 'value="2000-01-01"' in text
    assert 'value="social-assistance"' in text
    assert '<option value="101-0001" selected>' in text  # the resource chosen is kept
    unknown = c.post("/data/sharing/requests/new/", form(resource="999-9999"))
    text = unknown.content.decode()
    assert unknown.status_code == 400 and 'id="error-summary"' in text
    assert '<a href="#resource-choice">请选择已发布的数据资源。</a>' in text
    assert 'id="resource-choice-error"' in text and 'aria-invalid="true"' in text
    assert 'id="share-form"' not in text
    first = c.get("/data/sharing/requests/new/")
    assert first.status_code == 200 and 'id="error-summary"' not in first.content.decode()
    asked = c.get("/data/sharing/requests/new/", {"resource": "999-9999"})
    assert asked.status_code == 400 and 'id="resource-choice-error"' in asked.content.decode()
    assert not ShareRequest.objects.exists()
    ok = c.post("/data/sharing/requests/new/", form())
    assert ok.status_code == 302
    req = ShareRequest.objects.get()
    assert req.status == "provider_review"
    # The consumer sees it but has no provider action; the provider agrees on the page.
    assert "提供方同意" not in c.get(f"/data/sharing/requests/{req.pk}/").content.decode()
    p = logged_in(actors.provider)
    assert "提供方同意" in p.get(f"/data/sharing/requests/{req.pk}/").content.decode()
    refused = p.post(f"/data/sharing/requests/{req.pk}/", {"action": "provider_refuse"})
    assert refused.status_code == 400 and "须填写意见" in refused.content.decode()
    page = refused.content.decode()
    assert 'id="error-summary"' in page and '<a href="#comment">' in page
    assert 'id="comment-error"' in page
    unknown = p.post(f"/data/sharing/requests/{req.pk}/", {"action": "x", "comment": "再议"})
    page = unknown.content.decode()
    assert unknown.status_code == 400 and 'id="error-summary"' in page
    assert "再议</textarea>" in page
    agreed = p.post(
        f"/data/sharing/requests/{req.pk}/",
        {"action": "provider_agree", "comment": "同意按需共享"},
    )
    assert agreed.status_code == 302
    req.refresh_from_db()
    assert req.status == "bureau_review"
    history = c.get(f"/data/sharing/requests/{req.pk}/").content.decode()
    assert 'id="history"' in history and "同意按需共享" in history


def test_unconditional_page_shows_the_secret_once(data_city, actors):  # noqa: F811
    c = logged_in(actors.consumer)
    r = c.post(
        "/data/sharing/requests/new/",
        form(resource="102-0001", fields=["统一社会信用代码", "企业名称"]),
    )
    assert r.status_code == 200 and 'id="client-secret"' in r.content.decode()
    req = ShareRequest.objects.get()
    assert 'id="client-secret"' not in c.get(f"/data/sharing/requests/{req.pk}/").content.decode()
    grant = ShareGrant.objects.get()
    page = c.get(f"/data/sharing/grants/{grant.pk}/")
    assert "CN/GOV/410800-civil_affairs/social-assistance" in page.content.decode()
    blank = c.post(f"/data/sharing/grants/{grant.pk}/", {"reason": " "})
    page = blank.content.decode()
    assert blank.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#reason">请填写收回授权的理由。</a>' in page
    assert 'id="reason-error"' in page and 'aria-invalid="true"' in page
    assert c.post(f"/data/sharing/grants/{grant.pk}/", {"reason": "系统下线"}).status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert "已收回" in c.get("/data/sharing/grants/").content.decode()


def test_out_of_scope_is_absent(data_city, actors, steward, citizen):  # noqa: F811
    req = ask(actors.consumer, data_city.resource("person"), ["姓名"]).request
    outsider = logged_in(steward("education"))
    assert outsider.get(f"/data/sharing/requests/{req.pk}/").status_code == 404
    assert outsider.get(f"/api/v1/data/sharing/requests/{req.pk}").status_code == 404
    assert logged_in(citizen).get("/data/sharing/requests/").status_code == 403
    assert logged_in(actors.consumer).get("/data/my-data/").status_code == 403


def test_share_request_api(data_city, actors):  # noqa: F811
    c = logged_in(actors.consumer)
    today = timezone.localdate()
    body = {
        "resource": "102-0001",
        "fields": ["统一社会信用代码", "企业名称"],
        "purpose": "企业核验",
        "legal_basis": "依据",
        "consumer_system": "licensing",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=10)).isoformat(),
    }
    r = c.post("/api/v1/data/sharing/requests", body, content_type="application/json")
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["request"]["status"] == "granted" and data["credentials"]["client_secret"]
    bad = c.post(
        "/api/v1/data/sharing/requests",
        {**body, "fields": ["没有"]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["loc"] == ["fields"]
    grants = c.get("/api/v1/data/sharing/grants").json()
    assert grants["count"] == 1 and "client_secret" not in grants["items"][0]
    gid = grants["items"][0]["id"]
    r = c.post(
        f"/api/v1/data/sharing/grants/{gid}/revoke",
        {"reason": "不再使用"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["revoked_at"]
    # Conditional: decide through the API.
    req = ask(actors.consumer, data_city.resource("person"), ["姓名"]).request
    p = logged_in(actors.provider)
    r = p.post(
        f"/api/v1/data/sharing/requests/{req.pk}/decide",
        {"action": "provider_agree"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["request"]["status"] == "bureau_review"
    r = p.post(
        f"/api/v1/data/sharing/requests/{req.pk}/decide",
        {"action": "grant"},
        content_type="application/json",
    )
    # Granting is the bureau's step: without the role the provider is refused (403).
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
