"""The interface other rooms use: issue on approval, find a valid licence, labels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from yiwang.core.identifiers import validate_licence_identifier
from yiwang.core.models import AuditEntry, Notification
from yiwang.licences.actions import do_change_status
from yiwang.licences.models import Licence, SealUsage
from yiwang.licences.public import (
    do_issue_licence,
    find_valid_licence,
    licence_label,
    licence_type_by_slug,
)
from yiwang.licences.tests.conftest import ENTERPRISE_CODE, FOOD_DATA, PERSON_ID

pytestmark = pytest.mark.django_db


def test_issue_on_approval(issue, enterprise_user, licence_types):
    licence = issue("food_business", source="410800-SQ-20261126-000001")
    parts = validate_licence_identifier(licence.identifier)
    assert parts["type_code"] == licence_types["food_business"].code
    assert parts["issuer_code"] == licence.issuer.credit_code and parts["version"] == "001"
    today = timezone.localdate()
    assert licence.number == f"JY1410800{1:07d}" and licence.status == "01"
    assert licence.valid_from == today and licence.valid_until > today.replace(year=today.year + 4)
    assert licence.data == FOOD_DATA and licence.source == "410800-SQ-20261126-000001"
    assert licence.pdf.read().startswith(b"%PDF-") and len(licence.pdf_digest) == 64
    # Holder data is encrypted at rest and found by its blind index only.
    with connection.cursor() as cur:
        cur.execute("SELECT holder_id, data_json FROM licences_licence WHERE id = %s", [licence.pk])
        raw = cur.fetchone()
    assert ENTERPRISE_CODE not in raw[0] and "李四" not in raw[1]
    assert raw[0].startswith("sm4:v") and raw[1].startswith("sm4:v")
    # Seal use, audit and the holder's in-app message.
    use = SealUsage.objects.get(licence=licence)
    assert use.seal == licence.seal and use.digest == licence.pdf_digest
    assert AuditEntry.objects.filter(
        action="licences.licence.issue", object_id=str(licence.pk)
    ).exists()
    note = Notification.objects.get(user=enterprise_user)
    assert "食品经营许可证" in note.title and licence.number in note.body
    assert licence_label(licence) == f"食品经营许可证 {licence.number}"


def test_second_licence_gets_next_serial(issue):
    first, second = issue(), issue()
    assert second.serial != first.serial and second.number.endswith("0000002")


def test_slug_lookup_and_unknown_type(licence_types):
    assert licence_type_by_slug("food_business").name == "食品经营许可证"
    assert licence_type_by_slug("nope") is None
    with pytest.raises(ValidationError) as exc:
        do_issue_licence(
            actor=None, licence_type="nope", holder_name="x", holder_id=PERSON_ID, data={}
        )
    assert "证照目录" in exc.value.messages[0]


def test_bad_holder_and_data_are_refused(licence_types):
    with pytest.raises(ValidationError) as exc:
        do_issue_licence(
            actor=None,
            licence_type="food_business",
            holder_name="某公司",
            holder_id=PERSON_ID,
            holder_id_type="111",
            data={"legal_rep": "王五", "bogus": "1"},
        )
    errors = exc.value.message_dict
    assert "法人或其他组织" in errors["holder_id_type"][0]
    assert any("bogus" in m for m in errors["data"])
    assert any("经营场所" in m for m in errors["data"])
    with pytest.raises(ValidationError) as bad_id:
        do_issue_licence(
            actor=None,
            licence_type="residence_permit",
            holder_name="张三",
            holder_id="110105194912310021",
            data={"address": "x"},
        )
    assert "校验位" in bad_id.value.message_dict["holder_id"][0]
    assert not Licence.objects.exists()


def test_find_valid_licence(issue, citizen):
    permit = issue("residence_permit")
    code = permit.licence_type.code
    assert find_valid_licence(holder_id=PERSON_ID.lower(), type_code=code) == permit
    assert find_valid_licence(holder_id=PERSON_ID, type_code="residence_permit") == permit
    assert find_valid_licence(holder_id="11010519491231002Y", type_code=code) is None
    later = permit.valid_until + dt.timedelta(days=1)
    assert find_valid_licence(holder_id=PERSON_ID, type_code=code, on=later) is None
    do_change_status(actor=None, licence=permit, action="suspend", reason="调查中")
    assert find_valid_licence(holder_id=PERSON_ID, type_code=code) is None
    do_change_status(actor=None, licence=permit, action="restore", reason="调查结束")
    assert find_valid_licence(holder_id=PERSON_ID, type_code=code) == permit
    do_change_status(actor=None, licence=permit, action="revoke", reason="以欺骗手段取得")
    assert find_valid_licence(holder_id=PERSON_ID, type_code=code) is None


def test_no_seal_no_licence(licence_types):
    from yiwang.licences.actions import do_disable_seal
    from yiwang.licences.models import Seal

    for seal in Seal.objects.filter(owner__code="410800-market"):
        do_disable_seal(actor=None, seal=seal, reason="印章损毁")
    with pytest.raises(ValidationError) as exc:
        do_issue_licence(
            actor=None,
            licence_type="food_business",
            holder_name="某公司",
            holder_id=ENTERPRISE_CODE,
            holder_id_type="001",
            data=FOOD_DATA,
        )
    assert "电子印章" in exc.value.messages[0]


def test_every_issue_logs_one_seal_use(issue):
    made = [issue(), issue("residence_permit"), issue()]
    uses = {u.document_ref: u for u in SealUsage.objects.select_related("seal")}
    assert len(uses) == SealUsage.objects.count() == len(made)
    for licence in made:
        use = uses[licence.identifier]
        assert use.licence_id == licence.pk and use.digest == licence.pdf_digest
        assert use.seal == licence.seal and use.seal.owner == licence.issuer
        assert use.purpose == f"签发{licence.licence_type.name}" and use.actor_label == "system"
