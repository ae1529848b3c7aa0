"""Reads of licences that leave a trace: a staff member opening a licence through the
page or the API leaves the same one ledger entry; downloading its file leaves another;
the lists (holders masked) leave none."""

from __future__ import annotations

from collections import Counter

import pytest

from yiwang.core.models import AuditEntry
from yiwang.licences.queries import holder_shown

pytestmark = pytest.mark.django_db


def _ledger() -> Counter:
    return Counter(
        (e.action, e.purpose, e.object_id, e.change.get("identifier"))
        for e in AuditEntry.objects.all()
    )


def _since(before: Counter) -> Counter:
    return _ledger() - before


def test_page_and_api_log_a_licence_view_the_same_way(client, make_staff, issue):
    food = issue()
    client.force_login(make_staff("approver", "410800", "market"))
    viewed = (
        "licences.licence.view",
        "查看电子证照（含持证主体信息）",
        str(food.pk),
        food.identifier,
    )

    before = _ledger()
    assert client.get(f"/licences/issued/{food.pk}/").status_code == 200
    by_page = _since(before)
    before = _ledger()
    assert client.get(f"/api/v1/licences/issued/{food.pk}").status_code == 200
    by_api = _since(before)
    assert by_page == by_api == Counter({viewed: 1})

    before = _ledger()
    assert client.get(f"/licences/issued/{food.pk}/pdf").status_code == 200
    assert _since(before) == Counter(
        {("licences.licence.download", "下载电子证照文件", str(food.pk), food.identifier): 1}
    )

    before = _ledger()
    assert client.get("/licences/issued/").status_code == 200
    assert client.get("/api/v1/licences/issued").status_code == 200
    assert _since(before) == Counter()


def test_lists_mask_persons_and_show_organisations(issue):
    person = issue("residence_permit")
    firm = issue()
    name, hid = holder_shown(person)
    assert name != person.holder_name and hid != person.holder_id and "*" in hid
    assert holder_shown(firm) == (firm.holder_name, firm.holder_id)
