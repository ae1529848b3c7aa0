"""亮证: the holder shows a licence with a QR code and an 8-digit code valid for one
minute; the public verify page and API accept either while valid (holder masked), say
已过期 after, and refuse a made-up or altered code. Through pages and the API."""

from __future__ import annotations

import datetime as dt
import json
import re

from yiwang.core.models import AuditEntry


def _show_page(client, licence):
    page = client.get(f"/licences/wallet/{licence.pk}/show/")
    assert page.status_code == 200
    html = page.content.decode()
    code = re.search(r'id="show-code"[^>]*>(\d{4}) (\d{4})<', html)
    assert code is not None
    return html, code.group(1) + code.group(2), page.context["shown"].token


def test_show_from_the_wallet_and_verify_by_qr_and_code(client, issue, citizen, clock):
    permit = issue("residence_permit")
    client.force_login(citizen)
    detail = client.get(f"/licences/wallet/{permit.pk}/").content.decode()
    assert f"/licences/wallet/{permit.pk}/show/" in detail
    html, code, token = _show_page(client, permit)
    assert 'http-equiv="refresh"' in html and "licences/show.js" in html
    assert AuditEntry.objects.filter(action="licences.licence.show").exists()
    client.logout()
    by_qr = client.get("/licences/verify/", {"c": token}).content.decode()
    assert 'data-result="valid"' in by_qr and "张*" in by_qr and "张三" not in by_qr
    by_code = client.post("/licences/verify/", {"show_code": code}).content.decode()
    assert 'data-result="valid"' in by_code and permit.number in by_code
    clock.shift(dt.timedelta(seconds=61))
    late = client.get("/licences/verify/", {"c": token}).content.decode()
    assert "已过期，请让持证人刷新" in late and permit.number not in late
    late_code = client.post("/licences/verify/", {"show_code": code}).content.decode()
    assert "已过期，请让持证人刷新" in late_code


def test_a_made_up_or_altered_token_is_refused(client, issue, citizen):
    permit = issue("residence_permit")
    client.force_login(citizen)
    _html, _code, token = _show_page(client, permit)
    showing_id, expires, mac = token.split(".")
    stretched = f"{showing_id}.{int(expires) + 3600}.{mac}"
    forged_mac = f"{showing_id}.{expires}.{'0' * 32}"
    for bad in (stretched, forged_mac, "1.2.3", "12345678.1773030000." + "a" * 32):
        page = client.get("/licences/verify/", {"c": bad}).content.decode()
        assert "亮证码无效" in page and permit.number not in page
    wrong = client.post("/licences/verify/", {"show_code": "00000000"}).content.decode()
    assert "亮证码无效" in wrong


def test_only_the_holder_shows_a_licence(client, issue, citizen, enterprise_user):
    food = issue()  # held by the enterprise
    client.force_login(citizen)
    assert client.get(f"/licences/wallet/{food.pk}/show/").status_code == 404
    assert client.post(f"/api/v1/licences/mine/{food.pk}/show").status_code == 404


def test_show_and_verify_through_the_api(client, issue, enterprise_user, clock):
    food = issue()
    client.force_login(enterprise_user)
    made = client.post(f"/api/v1/licences/mine/{food.pk}/show")
    assert made.status_code == 201
    body = made.json()
    assert body["seconds"] == 60 or body["seconds"] == 59
    assert re.fullmatch(r"\d{8}", body["code"]) and "?c=" in body["verify_url"]
    client.logout()

    def check(payload):
        return client.post(
            "/api/v1/licences/verify/show",
            data=json.dumps(payload),
            content_type="application/json",
        ).json()

    ok = check({"token": body["token"]})
    assert ok["result"] == "valid"
    assert ok["licence"]["holder"] == "焦作示例科技有限公司"  # an organisation's name is public
    assert check({"code": body["code"]})["result"] == "valid"
    clock.shift(dt.timedelta(seconds=60))
    late = check({"code": body["code"]})
    assert late["result"] == "show_expired" and late["message"] == "已过期，请让持证人刷新"
    assert late["licence"] is None
    assert check({"code": "12"})["result"] == "invalid"
