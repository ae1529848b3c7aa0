"""共享申请 in a real browser: a bureau admin grants a conditional share request that
the provider has agreed to, and sees the client secret once."""

from __future__ import annotations

import datetime as dt

PASSWORD = "Jz-test-pass-2026"


def test_bureau_admin_grants_a_conditional_request(page, shot, make_staff, login):
    from django.utils import timezone

    from yiwang.data.actions.sharing import do_decide_share, do_request_share
    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import DataResource, ShareGrant

    do_seed_data_standards(actor=None)
    consumer = make_staff("data_steward", "410800", "civil_affairs")
    provider = make_staff("data_steward", "410800", "public_security")
    make_staff("bureau_admin", "410800", "big_data", username="bureau", password=PASSWORD)
    today = timezone.localdate()
    req = do_request_share(
        actor=consumer,
        resource=DataResource.objects.get(registry="person", status="published"),
        fields=["公民身份号码", "姓名"],
        purpose="低保审核身份核验",
        legal_basis="《社会救助暂行办法》第十一条",
        consumer_system="social-assistance",
        starts_on=today,
        ends_on=today + dt.timedelta(days=90),
    ).request
    do_decide_share(actor=provider, request=req, action="provider_agree", comment="同意")

    login("bureau")
    page.goto("/data/sharing/requests/?status=bureau_review")
    row = page.get_by_role("row").filter(has_text=req.number)
    assert "大数据局审核" in row.inner_text()
    shot("share-requests-bureau")
    with page.expect_navigation():
        row.get_by_role("link", name=req.number).click()
    assert page.locator("#request-status").inner_text() == "大数据局审核"
    page.get_by_label("办理意见（不同意时须说明理由）").fill("用途明确，范围最小必要")
    with page.expect_navigation():
        page.get_by_role("button", name="审核通过并授权").click()
    assert page.locator("#request-status").inner_text() == "已授权"
    secret = page.locator("#client-secret").inner_text()
    assert len(secret) > 30
    shot("share-request-granted")
    grant = ShareGrant.objects.get(request=req)
    assert grant.fields == ["公民身份号码", "姓名"]
    # The secret is shown once: the same page loaded again no longer shows it.
    page.goto(page.url)
    assert page.locator("#client-secret").count() == 0
    with page.expect_navigation():
        page.get_by_role("link", name="查看授权").click()
    assert "social-assistance" in page.content()

    # The system reads a record with its new credentials; the read shows on the usage page.
    import json

    from django.test import Client
    from oauth2_provider.models import AccessToken

    from yiwang.data.registry import apply_rows, derive

    apply_rows(
        registry="person",
        rows=[derive("person", {"id_number": "11010519491231002X", "name": "张三"})],
        resource=grant.resource,
        department=grant.resource.provider,
    )
    token = AccessToken.objects.create(
        user=grant.client.user,
        application=grant.client.application,
        token="browser-share-token",
        scope="exchange",
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    r = Client().post(
        "/api/v1/exchange/person/verify",
        json.dumps({"key": "11010519491231002X", "claims": {"name": "张三"}}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token.token}",
    )
    assert r.json() == {"match": True}
    page.goto("/data/sharing/usage/")
    assert "social-assistance" in page.locator("#usage").inner_text()
    page.wait_for_function("document.querySelector('#usage-chart canvas') !== null")
    shot("share-usage")
