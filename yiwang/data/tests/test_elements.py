"""数据元 (一数一源一标准): pages and API, the bureau's define/claim/release, and the
refusal of a second authoritative source."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.data.models import DataElement

pytestmark = pytest.mark.django_db


@pytest.fixture
def bureau(make_staff, data_city):
    return make_staff("bureau_admin", "410800", "big_data")


def test_element_list_and_detail_show_source_and_uses(steward, client):
    client.force_login(steward("market"))
    page = client.get(reverse("data:elements")).content.decode()
    assert "公民身份号码" in page and "统一社会信用代码" in page
    e = DataElement.objects.get(code="DE00001")
    page = client.get(reverse("data:element", args=[e.pk])).content.decode()
    assert "GB 11643-1999" in page and "人口基本信息" in page
    assert "公安局" in page or "公安" in page
    assert "认定为权威来源" not in page  # stewards cannot claim
    found = client.get(reverse("data:elements"), {"q": "信用代码"}).content.decode()
    assert "统一社会信用代码" in found and "公民身份号码" not in found


def test_second_source_claim_refused_in_page(bureau, data_city, client):
    e = DataElement.objects.get(code="DE00001")  # held by public security
    market = data_city.department("410800", "market")
    client.force_login(bureau)
    resp = client.post(
        reverse("data:element", args=[e.pk]), {"op": "claim", "department": market.pk}
    )
    page = resp.content.decode()
    assert resp.status_code == 409 and 'id="error-summary"' in page
    assert "不能由第二个部门认领" in page and f'<option value="{market.pk}" selected>' in page
    e.refresh_from_db()
    assert e.source_department.line == "public_security"
    # Released with a reason, the element can be claimed by another department.
    resp = client.post(reverse("data:element", args=[e.pk]), {"op": "release", "reason": " "})
    page = resp.content.decode()
    assert resp.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#release-reason">请说明变更原因。</a>' in page
    assert 'id="release-reason-error"' in page
    long = client.post(
        reverse("data:element", args=[e.pk]), {"op": "release", "reason": "改" * 201}
    )
    page = long.content.decode()
    assert long.status_code == 400 and '<a href="#release-reason">' in page
    assert 'value="' + "改" * 201 + '"' in page
    odd = client.post(reverse("data:element", args=[e.pk]), {"op": "transfer"})
    assert odd.status_code == 400 and "未知的操作。" in odd.content.decode()
    client.post(reverse("data:element", args=[e.pk]), {"op": "release", "reason": "机构改革"})
    resp = client.post(
        reverse("data:element", args=[e.pk]), {"op": "claim", "department": market.pk}
    )
    assert resp.status_code == 302
    e.refresh_from_db()
    assert e.source_department == market


def test_second_source_claim_refused_via_api(bureau, steward, data_city, client):
    e = DataElement.objects.get(code="DE00101")  # held by market
    client.force_login(steward())
    url = f"/api/v1/data/catalogue/elements/{e.pk}/claim"
    assert (
        client.post(
            url, {"department": "410800-public_security"}, content_type="application/json"
        ).status_code
        == 403
    )
    client.force_login(bureau)
    resp = client.post(
        url, {"department": "410800-public_security"}, content_type="application/json"
    )
    assert resp.status_code == 409 and resp.json()["error"]["code"] == "conflict"
    assert "第二个部门" in resp.json()["error"]["message"]
    ok = client.post(url, {"department": "410800-market"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["source_department"] == "410800-market"
    detail = client.get(f"/api/v1/data/catalogue/elements/{e.pk}").json()
    assert "102-0001" in detail["used_by"]
    listing = client.get("/api/v1/data/catalogue/elements", {"q": "DE001"}).json()
    assert listing["count"] >= 10 and all(x["code"].startswith("DE001") for x in listing["items"])
    assert client.get("/api/v1/data/catalogue/elements/999999").status_code == 404


def test_bureau_defines_element(bureau, steward, client):
    client.force_login(steward())
    assert client.get(reverse("data:element-new")).status_code == 403
    client.force_login(bureau)
    bad = client.post(
        reverse("data:element-new"),
        {"code": "DE09001", "name": "居住证号", "data_type": "string", "pattern": "("},
    )
    assert bad.status_code == 400 and "正则" in bad.content.decode()
    resp = client.post(
        reverse("data:element-new"),
        {
            "code": "DE09001",
            "name": "居住证号",
            "data_type": "string",
            "max_length": "30",
            "personal": "on",
        },
    )
    assert resp.status_code == 302
    e = DataElement.objects.get(code="DE09001")
    assert e.personal and e.max_length == 30 and e.source_department is None
    dup = client.post(
        reverse("data:element-new"), {"code": "DE09001", "name": "其他", "data_type": "string"}
    )
    page = dup.content.decode()
    assert dup.status_code == 409 and '<a href="#id_code">数据元编码 DE09001 已存在。</a>' in page
    assert 'id="id_code-error"' in page and 'value="其他"' in page
