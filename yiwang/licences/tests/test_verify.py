"""证照核验: an issued PDF verifies; one changed byte, an unknown identifier or a wrong
token is forged; suspended, revoked, cancelled and expired licences say so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.licences import verify
from yiwang.licences.actions import do_change_status, do_expire_licences
from yiwang.licences.actions.licences import licence_face
from yiwang.licences.models import Licence, LicenceEvent
from yiwang.licences.pdf import render_licence_pdf

pytestmark = pytest.mark.django_db


def pdf_of(licence) -> bytes:
    with licence.pdf.open("rb") as fh:
        return fh.read()


def test_issued_pdf_verifies_and_is_deterministic(issue):
    licence = issue()
    data = pdf_of(licence)
    verdict = verify.verify_pdf(data)
    assert verdict.result == "valid" and verdict.licence == licence
    assert all(verdict.checks.values()) and set(verdict.checks) == {
        "document_digest",
        "content_digest",
        "seal_data",
        "signature",
    }
    assert "真实有效" in verdict.message
    # The stored file is exactly what the record renders to.
    assert render_licence_pdf(licence_face(Licence.objects.get(pk=licence.pk))) == data
    public = verdict.public()["licence"]
    assert public["holder"] == "焦作示例科技有限公司" and public["status"] == "01"


@pytest.mark.parametrize("where", [20, 0.5, -40])
def test_one_changed_byte_is_forged(issue, where):
    licence = issue()
    data = bytearray(pdf_of(licence))
    i = int(len(data) * where) if isinstance(where, float) else where
    data[i] ^= 0x01
    verdict = verify.verify_pdf(bytes(data))
    assert verdict.result == "forged" and "licence" not in verdict.public()
    assert "篡改" in verdict.message or "伪造" in verdict.message


def test_changed_byte_names_the_licence_it_pretends_to_be(issue):
    licence = issue()
    data = pdf_of(licence).replace(b"/Creator (", b"/Creator (X", 1)
    verdict = verify.verify_pdf(data)
    assert verdict.result == "forged" and licence.identifier in verdict.message
    assert verdict.checks == {"document_digest": False}


def test_payload_and_identifier(issue):
    licence = issue("residence_permit")
    url = f"https://yw.example/licences/verify/?id={licence.identifier}&t={licence.token}"
    verdict = verify.verify_payload(url)
    assert verdict.result == "valid" and verdict.checks["token"] is True
    assert verdict.public()["licence"]["holder"] == "张*"
    spaced = verify.verify_payload(f"{licence.identifier.lower()} {licence.token.lower()}")
    assert spaced.result == "valid"
    bare = verify.verify_payload(licence.identifier)
    assert bare.result == "valid" and bare.public()["licence"]["holder"] == ""
    assert "未提供核验码" in bare.message
    wrong = verify.verify_payload(f"{licence.identifier} 0123456789ABCDEF")
    assert (
        wrong.result == "forged" and "核验码" in wrong.message and "licence" not in wrong.public()
    )


def test_unknown_identifier_is_forged(issue):
    from yiwang.core.identifiers import make_licence_identifier

    licence = issue()
    fake = make_licence_identifier(licence.licence_type.code, licence.issuer_code, "99999", 1)
    verdict = verify.verify_payload(fake)
    assert verdict.result == "forged" and "未签发" in verdict.message


@pytest.mark.parametrize(
    "payload,code",
    [
        ("", "empty"),
        ("hello world", "bad_identifier"),
        ("https://x/verify/?foo=1", "no_identifier"),
        ("x" * 2000, "too_long"),
        (
            "1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F <script>",
            "bad_token",
        ),
    ],
)
def test_garbage_payload_is_bad_input(payload, code):
    with pytest.raises(verify.BadPayload) as exc:
        verify.parse_payload(payload)
    assert exc.value.code == code and exc.value.messages[0]


def test_not_a_pdf():
    with pytest.raises(verify.BadPayload):
        verify.verify_pdf(b"GIF89a....")


def test_tampered_record_or_signature_is_forged(issue):
    licence = issue()
    data = pdf_of(licence)
    Licence.objects.filter(pk=licence.pk).update(number="JY1999")
    verdict = verify.verify_pdf(data)
    assert verdict.result == "forged" and verdict.checks["content_digest"] is False
    Licence.objects.filter(pk=licence.pk).update(number=licence.number)
    other = issue()
    Licence.objects.filter(pk=licence.pk).update(signature=other.signature)
    verdict = verify.verify_pdf(data)
    assert verdict.result == "forged" and verdict.checks["signature"] is False


@pytest.mark.parametrize(
    "action,result",
    [
        ("suspend", "suspended"),
        ("revoke", "revoked"),
        ("withdraw", "revoked"),
        ("cancel", "cancelled"),
    ],
)
def test_status_answers(issue, action, result):
    licence = issue()
    do_change_status(actor=None, licence=licence, action=action, reason="依法处理")
    verdict = verify.verify_pdf(pdf_of(licence))
    assert verdict.result == result and verdict.public()["licence"]["status_reason"] == "依法处理"


def test_expired_by_date_and_by_the_task(issue):
    licence = issue()
    after = licence.valid_until + dt.timedelta(days=1)
    assert verify.verify_pdf(pdf_of(licence), on=after).result == "expired"
    assert do_expire_licences(today=after) == 1
    licence.refresh_from_db()
    assert licence.status == "05"
    assert verify.verify_pdf(pdf_of(licence)).result == "expired"
    assert LicenceEvent.objects.filter(licence=licence, action="expire", to_status="05").exists()
    assert do_expire_licences(today=after) == 0


def test_expiry_task_skips_unexpired_and_permanent(issue):
    from yiwang.licences.tests.conftest import ENTERPRISE_CODE

    business = issue(
        "business_licence",
        holder_name="焦作示例科技有限公司",
        holder_id=ENTERPRISE_CODE,
        holder_id_type="001",
        data={
            "entity_type": "有限责任公司",
            "legal_rep": "李四",
            "established": "2020-05-01",
            "address": "焦作市解放区",
        },
    )
    assert business.valid_until is None and business.number == ENTERPRISE_CODE
    food = issue()
    far = timezone.localdate() + dt.timedelta(days=365 * 30)
    assert do_expire_licences(today=timezone.localdate()) == 0
    assert do_expire_licences(today=far) == 1
    business.refresh_from_db()
    food.refresh_from_db()
    assert business.status == "01" and food.status == "05"


def test_lifecycle_rules(issue, citizen):
    from django.core.exceptions import ValidationError

    from yiwang.core.models import Notification

    licence = issue("residence_permit")
    with pytest.raises(ValidationError) as no_reason:
        do_change_status(actor=None, licence=licence, action="revoke", reason=" ")
    assert "原因" in no_reason.value.message_dict["reason"][0]
    do_change_status(actor=None, licence=licence, action="revoke", reason="信息虚假")
    with pytest.raises(ValidationError) as again:
        do_change_status(actor=None, licence=licence, action="restore", reason="误操作")
    assert again.value.code == "conflict" and "撤销" in again.value.messages[0]
    titles = list(Notification.objects.filter(user=citizen).values_list("title", flat=True))
    assert any("已签发" in t for t in titles) and any("撤销" in t for t in titles)
    history = list(licence.events.values_list("action", "from_status", "to_status"))
    assert history == [("issue", "", "01"), ("revoke", "01", "03")]


def test_swapped_or_unmade_seal_is_forged(issue):
    from yiwang.licences.actions import do_create_seal
    from yiwang.licences.models import Seal

    licence = issue()
    data = pdf_of(licence)
    other = do_create_seal(actor=None, department=licence.issuer, kind="contract")
    Licence.objects.filter(pk=licence.pk).update(seal=other)
    verdict = verify.verify_pdf(data)
    assert verdict.result == "forged"
    assert verdict.checks["seal_data"] is False and verdict.checks["signature"] is False
    Licence.objects.filter(pk=licence.pk).update(seal=licence.seal)
    # A seal whose data the platform did not sign (an edited validity, say).
    Seal.objects.filter(pk=licence.seal_id).update(
        seal_data=licence.seal.seal_data.replace('"valid_until":"', '"valid_until":"2')
    )
    verdict = verify.verify_pdf(data)
    assert verdict.result == "forged" and verdict.checks["seal_data"] is False


def test_a_revoked_licence_verifies_as_revoked_at_once(issue, client):
    """The checks of a signed licence are kept between verifications, its status never:
    revoked by another process (here a write this process does not hear of), the very
    next verification — page API or QR payload — says so."""
    from django.db import connection

    licence = issue()
    payload = {"payload": f"{licence.identifier} {licence.token}"}
    for _ in range(2):
        answer = client.post("/api/v1/licences/verify", payload, content_type="application/json")
        assert answer.json()["result"] == "valid"
    table = Licence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET status = '03' WHERE id = %s", [licence.pk])
    answer = client.post("/api/v1/licences/verify", payload, content_type="application/json")
    assert answer.json()["result"] == "revoked"
    assert verify.verify_pdf(pdf_of(licence)).result == "revoked"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET status = '01' WHERE id = %s", [licence.pk])
    assert verify.verify_payload(payload["payload"]).result == "valid"
    do_change_status(actor=None, licence=licence, action="revoke", reason="依法撤销")
    assert verify.verify_payload(payload["payload"]).public()["licence"]["status_reason"] == (
        "依法撤销"
    )


def test_a_kept_verification_reads_one_row(issue, django_assert_max_num_queries):
    """What a verification costs once its checks are kept: one query of plain columns
    (status, validity and the signed state), nothing decrypted, no file read."""
    licence = issue()
    payload = f"{licence.identifier} {licence.token}"
    assert verify.verify_payload(payload).result == "valid"
    with django_assert_max_num_queries(1):
        assert verify.verify_payload(payload).result == "valid"


def test_a_changed_record_is_checked_again(issue):
    """A write to the licence (a save or a bulk update) drops the kept checks, and a
    changed signed state (another signature) is never answered from them."""
    licence = issue()
    data = pdf_of(licence)
    assert verify.verify_pdf(data).result == "valid"
    Licence.objects.filter(pk=licence.pk).update(number="JY1999")
    assert verify.verify_pdf(data).checks["content_digest"] is False
