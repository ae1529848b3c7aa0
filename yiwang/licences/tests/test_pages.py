"""Pages: public verification (payload, QR URL, upload, bad input, limits), the holder's
wallet (own licences only), staff lists and lifecycle, seal management."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.core.models import AuditEntry
from yiwang.licences.models import Licence, Seal, SealUsage

pytestmark = pytest.mark.django_db


def pdf_of(licence) -> bytes:
    with licence.pdf.open("rb") as fh:
        return fh.read()


def test_verify_page_by_qr_url(client, issue):
    licence = issue()
    page = client.get("/licences/verify/", {"id": licence.identifier, "t": licence.token})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-result="valid"' in html
    assert "真实有效" in html and licence.number in html and "焦作示例科技有限公司" in html


def test_verify_page_upload_valid_and_tampered(client, issue):
    licence = issue()
    data = pdf_of(licence)
    ok = client.post("/licences/verify/", {"file": SimpleUploadedFile("a.pdf", data)})
    assert 'data-result="valid"' in ok.content.decode()
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0x20
    forged = client.post("/licences/verify/", {"file": SimpleUploadedFile("a.pdf", bytes(bad))})
    html = forged.content.decode()
    assert forged.status_code == 200 and 'data-result="forged"' in html
    assert licence.number not in html


def test_verify_page_bad_inputs(client, settings, issue):
    issue()
    empty = client.post("/licences/verify/", {"payload": "  "})
    assert empty.status_code == 400 and "请粘贴" in empty.content.decode()
    garbage = client.post("/licences/verify/", {"payload": "not a licence at all"})
    assert garbage.status_code == 400 and "电子证照标识格式不正确" in garbage.content.decode()
    settings.YIWANG = {**settings.YIWANG, "LICENCE_VERIFY_MAX_BYTES": 1024}
    big = client.post(
        "/licences/verify/", {"file": SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 2000)}
    )
    assert big.status_code == 413 and "文件过大" in big.content.decode()
    gif = client.post("/licences/verify/", {"file": SimpleUploadedFile("a.pdf", b"GIF89a")})
    assert gif.status_code == 400 and "不是 PDF" in gif.content.decode()


def test_a_refused_verification_shows_the_message_on_its_input_and_keeps_the_paste(
    client, settings, issue
):
    issue()
    garbage = client.post("/licences/verify/", {"payload": "not a licence at all"})
    page = garbage.content.decode()
    assert garbage.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#payload">电子证照标识格式不正确' in page
    assert 'id="payload-error"' in page and "\nnot a licence at all</textarea>" in page
    empty = client.post("/licences/verify/", {"payload": "  "})
    page = empty.content.decode()
    assert empty.status_code == 400 and 'id="error-summary"' in page
    assert "<li>请粘贴二维码内容、输入电子证照标识或上传证照文件。</li>" in page
    settings.YIWANG = {**settings.YIWANG, "LICENCE_VERIFY_MAX_BYTES": 1024}
    big = client.post(
        "/licences/verify/",
        {"payload": "kept", "file": SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * 2000)},
    )
    page = big.content.decode()
    assert big.status_code == 413 and '<a href="#file">文件过大' in page
    assert 'id="file-error"' in page and "\nkept</textarea>" in page


def test_verify_rate_limit(client, settings, issue):
    licence = issue()
    settings.YIWANG = {**settings.YIWANG, "LICENCE_VERIFY_PER_MINUTE": 2}
    for _ in range(2):
        assert client.get("/licences/verify/", {"id": licence.identifier}).status_code == 200
    limited = client.get("/licences/verify/", {"id": licence.identifier})
    assert limited.status_code == 429 and "过于频繁" in limited.content.decode()


def test_wallet_shows_only_own_licences(client, issue, citizen, enterprise_user):
    permit = issue("residence_permit")
    food = issue()
    other = issue("residence_permit", holder_name="王五", holder_id="410823199001011234")
    client.force_login(citizen)
    html = client.get("/licences/wallet/").content.decode()
    assert permit.identifier in html and food.identifier not in html
    assert other.identifier not in html
    detail = client.get(f"/licences/wallet/{permit.pk}/")
    assert detail.status_code == 200 and "data:image/svg+xml" in detail.content.decode()
    download = client.get(f"/licences/wallet/{permit.pk}/pdf")
    assert download.status_code == 200 and b"".join(download.streaming_content) == pdf_of(permit)
    assert client.get(f"/licences/wallet/{other.pk}/pdf").status_code == 404
    assert client.get(f"/licences/wallet/{other.pk}/").status_code == 404
    assert client.get(f"/licences/wallet/{food.pk}/pdf").status_code == 404

    client.force_login(enterprise_user)
    html = client.get("/licences/wallet/").content.decode()
    assert food.identifier in html and permit.identifier not in html
    assert client.get(f"/licences/wallet/{permit.pk}/pdf").status_code == 404


def test_wallet_is_for_holders(client, make_staff):
    client.force_login(make_staff("approver", "410800", "market"))
    assert client.get("/licences/wallet/").status_code == 403
    client.logout()
    assert client.get("/licences/wallet/").status_code == 302


def test_staff_see_their_department_only(client, make_staff, issue):
    food = issue()  # 焦作市市场监督管理局
    permit = issue("residence_permit")  # 焦作市公安局
    client.force_login(make_staff("approver", "410800", "market"))
    html = client.get("/licences/issued/").content.decode()
    assert food.identifier in html and permit.identifier not in html
    assert client.get(f"/licences/issued/{permit.pk}/").status_code == 404
    detail = client.get(f"/licences/issued/{food.pk}/")
    assert detail.status_code == 200 and food.holder_id in detail.content.decode()
    assert AuditEntry.objects.filter(
        action="licences.licence.view", object_id=str(food.pk)
    ).exists()
    # A county approver does not see the city's licences.
    client.force_login(make_staff("approver", "410823", "market"))
    assert food.identifier not in client.get("/licences/issued/").content.decode()
    client.force_login(make_staff("window_clerk", "410800", "big_data"))
    assert client.get("/licences/issued/").status_code == 403


def test_person_holders_masked_in_list(client, make_staff, issue):
    issue("residence_permit")
    client.force_login(make_staff("approver", "410800", "public_security"))
    html = client.get("/licences/issued/").content.decode()
    assert "11010519491231002X" not in html and "1101**********002X" in html and "张*" in html


def test_lifecycle_through_the_page(client, make_staff, issue):
    food = issue()
    client.force_login(make_staff("approver", "410800", "market"))
    url = f"/licences/issued/{food.pk}/status"
    missing = client.post(url, {"action": "suspend", "reason": ""})
    assert missing.status_code == 400 and "原因" in missing.content.decode()
    done = client.post(url, {"action": "suspend", "reason": "涉嫌违法经营，立案调查"})
    assert done.status_code == 302
    food.refresh_from_db()
    assert food.status == "02"
    again = client.post(url, {"action": "suspend", "reason": "重复"})
    # Already suspended: a conflict with the licence's state, as in the API.
    assert again.status_code == 409 and "暂扣" in again.content.decode()


def test_a_refused_status_change_shows_the_reason_on_its_field_and_keeps_it(
    client, make_staff, issue
):
    food = issue()
    client.force_login(make_staff("approver", "410800", "market"))
    short = client.post(f"/licences/issued/{food.pk}/status", {"action": "revoke", "reason": "短"})
    page = short.content.decode()
    assert short.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#reason">请填写原因（2 至 500 字）。</a>' in page
    assert 'id="reason-error"' in page and "\n短</textarea>" in page
    assert '<option value="revoke" selected>' in page
    food.refresh_from_db()
    assert food.status == "01"


def test_issue_page(client, make_staff, licence_types, enterprise_user):
    from yiwang.licences.tests.conftest import ENTERPRISE_CODE, FOOD_DATA

    client.force_login(make_staff("approver", "410800", "market"))
    form = client.get("/licences/issue/", {"type": "food_business"}).content.decode()
    assert 'name="data_main_form"' in form and "焦作市市场监督管理局" in form
    issuer = licence_types["food_business"].department
    post = {
        "type": "food_business",
        "issuer": issuer.pk,
        "holder_name": "焦作示例科技有限公司",
        "holder_id_type": "001",
        "holder_id": ENTERPRISE_CODE[:-1] + "0",
        **{f"data_{k}": v for k, v in FOOD_DATA.items()},
    }
    bad = client.post("/licences/issue/", post)
    assert bad.status_code == 400 and "校验位" in bad.content.decode()
    assert not Licence.objects.exists()
    post["holder_id"] = ENTERPRISE_CODE
    ok = client.post("/licences/issue/", post)
    assert ok.status_code == 302
    licence = Licence.objects.get()
    assert licence.issued_by is not None and licence.data == FOOD_DATA


def test_a_refused_issue_shows_each_message_on_its_field_and_keeps_the_input(
    client, make_staff, licence_types
):
    from yiwang.licences.tests.conftest import ENTERPRISE_CODE, FOOD_DATA

    client.force_login(make_staff("approver", "410800", "market"))
    post = {
        "type": "food_business",
        "issuer": licence_types["food_business"].department.pk,
        "holder_name": "焦作示例科技有限公司",
        "holder_id_type": "001",
        "holder_id": ENTERPRISE_CODE[:-1] + "0",
        **{f"data_{k}": v for k, v in FOOD_DATA.items()},
        "source": "JZ-2026-0001",
    }
    bad = client.post("/licences/issue/", post)
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#holder_id">统一社会信用代码校验位不正确。</a>' in page
    assert 'id="holder_id-error"' in page and f'value="{post["holder_id"]}"' in page
    assert 'value="焦作示例科技有限公司"' in page and f'value="{FOOD_DATA["address"]}"' in page
    assert 'value="JZ-2026-0001"' in page and '<option value="001" selected>' in page
    odd = client.post(
        "/licences/issue/", {**post, "issuer": "elsewhere", "valid_until": "2030-13-01"}
    )
    page = odd.content.decode()
    assert odd.status_code == 400
    assert '<a href="#issuer">请选择颁发机构。</a>' in page
    assert '<a href="#valid_until">日期格式应为 YYYY-MM-DD。</a>' in page
    assert 'value="2030-13-01"' in page
    untyped = client.post("/licences/issue/", {**post, "type": "no_such_type"})
    page = untyped.content.decode()
    assert untyped.status_code == 400 and '<a href="#type">请选择证照类型。</a>' in page
    assert not Licence.objects.exists()


def test_seal_pages(client, make_staff, licence_types, issue):
    admin = make_staff("dept_admin", "410800", "market")
    client.force_login(admin)
    listing = client.get("/licences/seals/").content.decode()
    market_seal = Seal.objects.get(owner__code="410800-market")
    assert market_seal.code in listing
    assert Seal.objects.exclude(owner__line="market").first().code not in listing
    made = client.post(
        "/licences/seals/",
        {"department": market_seal.owner_id, "kind": "contract", "name": "焦作市市场监督管理局"},
    )
    assert made.status_code == 302
    seal = Seal.objects.get(kind="contract")
    assert seal.sm2_private_enc.startswith("sm4:v") and "PRIVATE" not in seal.sm2_private_enc
    licence = issue()
    detail = client.get(f"/licences/seals/{market_seal.pk}/").content.decode()
    assert "<svg" in detail and licence.identifier in detail and "有效（平台制章密钥）" in detail
    assert SealUsage.objects.filter(seal=market_seal).count() == 1
    refused = client.post(f"/licences/seals/{market_seal.pk}/", {"reason": ""})
    assert refused.status_code == 400
    client.post(f"/licences/seals/{market_seal.pk}/", {"reason": "印章更换"})
    market_seal.refresh_from_db()
    assert market_seal.status == "disabled"
    # Licences it signed still verify.
    from yiwang.licences import verify

    assert verify.verify_pdf(pdf_of(licence)).result == "valid"
    # An approver may not manage seals.
    client.force_login(make_staff("approver", "410800", "market"))
    assert client.get("/licences/seals/").status_code == 403


def test_refused_seal_forms_show_each_message_on_its_field_and_keep_the_input(
    client, make_staff, licence_types
):
    client.force_login(make_staff("dept_admin", "410800", "market"))
    market_seal = Seal.objects.get(owner__code="410800-market")
    long_name = "焦" * 30
    made = client.post(
        "/licences/seals/",
        {"department": market_seal.owner_id, "kind": "contract", "name": long_name},
    )
    page = made.content.decode()
    assert made.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#name">印章名称应为 1 至 24 个字。</a>' in page
    assert 'id="name-error"' in page and f'value="{long_name}"' in page
    assert '<option value="contract" selected>' in page
    odd = client.post(
        "/licences/seals/", {"department": "0", "kind": "contract", "valid_until": "明年"}
    )
    page = odd.content.decode()
    assert odd.status_code == 400
    assert '<a href="#department">请选择用章部门。</a>' in page
    assert '<a href="#valid_until">日期格式应为 YYYY-MM-DD。</a>' in page and 'value="明年"' in page
    assert not Seal.objects.filter(kind="contract").exists()
    short = client.post(f"/licences/seals/{market_seal.pk}/", {"reason": "换"})
    page = short.content.decode()
    assert short.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#reason">请填写停用原因（2 至 500 字）。</a>' in page
    assert 'id="reason-error"' in page and "\n换</textarea>" in page
    market_seal.refresh_from_db()
    assert market_seal.status == "active"


def test_catalogue_and_home_are_public(client, licence_types):
    html = client.get("/licences/types/").content.decode()
    for slug in (
        "business_licence",
        "food_business",
        "residence_permit",
        "marriage",
        "property",
        "social_security_card",
    ):
        assert f'data-slug="{slug}"' in html
    assert client.get("/licences/").status_code == 200
