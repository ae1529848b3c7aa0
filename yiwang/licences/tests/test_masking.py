"""脱敏 of licence holders: a person holder's name and ID number are shown in clear on the
staff licence page and the licence API only to staff with ``personal.unmask`` over the
issuing department (the view logged); ``bureau_admin`` (licence.view, no unmask) and
every list see them masked; the holder sees their own licence in full."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.core.masking import mask_value
from yiwang.licences.tests.conftest import ENTERPRISE_CODE, PERSON_ID

pytestmark = pytest.mark.django_db
API = "/api/v1/licences"
NAME = "张三"


@pytest.fixture
def permit(issue):
    """A 居住证 held by the ``citizen`` fixture's person, issued by the city's police."""
    return issue("residence_permit")


@pytest.fixture
def viewers(make_staff):
    class Viewers:
        bureau_admin = make_staff("bureau_admin", "410800", "big_data")
        approver = make_staff("approver", "410800", "public_security")

    return Viewers


def _masked(text: str) -> None:
    assert PERSON_ID not in text
    assert mask_value("id_number", PERSON_ID) in text


def _page(client, licence) -> str:
    response = client.get(reverse("licences:licence", args=[licence.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_bureau_admin_sees_person_holder_masked_on_every_surface(client, permit, viewers):
    client.force_login(viewers.bureau_admin)
    page = _page(client, permit)
    _masked(page)
    assert 'id="holder-masked"' in page and mask_value("name", NAME) in page
    listing = client.get(reverse("licences:licences")).content.decode()
    _masked(listing)
    detail = client.get(f"{API}/issued/{permit.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["holder_id"] == mask_value("id_number", PERSON_ID)
    assert body["holder_name"] == mask_value("name", NAME)
    _masked(detail.content.decode())
    _masked(client.get(f"{API}/issued").content.decode())


def test_staff_with_unmask_over_the_issuer_see_the_holder(client, permit, viewers):
    from yiwang.core.models import AuditEntry

    client.force_login(viewers.approver)
    page = _page(client, permit)
    assert PERSON_ID in page and 'id="holder-clear"' in page
    assert client.get(f"{API}/issued/{permit.pk}").json()["holder_id"] == PERSON_ID
    assert (
        AuditEntry.objects.filter(action="licences.licence.view", actor=viewers.approver).count()
        == 2
    )
    _masked(client.get(f"{API}/issued").content.decode())  # lists stay masked


def test_organisation_holder_stays_in_clear(client, issue, viewers):
    food = issue()
    client.force_login(viewers.bureau_admin)
    assert ENTERPRISE_CODE in _page(client, food)
    assert client.get(f"{API}/issued/{food.pk}").json()["holder_id"] == ENTERPRISE_CODE


def test_holder_sees_own_licence_in_full(client, permit, citizen):
    client.force_login(citizen)
    mine = client.get(f"{API}/mine/{permit.pk}").json()
    assert mine["holder_id"] == PERSON_ID and mine["holder_name"] == NAME


SPOUSE_ID = "410802198803150027"


@pytest.fixture
def marriage(issue):
    """A 结婚证 held by a person: the spouse's name and ID number are personal items."""
    return issue(
        "marriage",
        holder_name=NAME,
        holder_id=PERSON_ID,
        data={"registered_on": "2024-05-20", "spouse_name": "李四", "spouse_id": SPOUSE_ID},
    )


def test_personal_items_of_a_person_licence_are_masked_by_their_kind(client, marriage, viewers):
    client.force_login(viewers.bureau_admin)
    page = _page(client, marriage)
    assert SPOUSE_ID not in page and "李四" not in page
    assert mask_value("id_number", SPOUSE_ID) in page and "2024-05-20" in page
    data = client.get(f"{API}/issued/{marriage.pk}").json()["data"]
    assert data["spouse_id"] == mask_value("id_number", SPOUSE_ID)
    assert data["spouse_name"] == mask_value("name", "李四")
    assert data["registered_on"] == "2024-05-20"
    # The signed file cannot be masked: no download without the right to see the holder.
    assert 'id="download"' not in page
    assert client.get(reverse("licences:licence-pdf", args=[marriage.pk])).status_code == 403


def test_with_unmask_over_the_issuer_the_items_and_file_are_clear(client, make_staff, marriage):
    registrar = make_staff("approver", "410800", "civil_affairs")
    client.force_login(registrar)
    page = _page(client, marriage)
    assert SPOUSE_ID in page and 'id="download"' in page
    assert client.get(f"{API}/issued/{marriage.pk}").json()["data"]["spouse_id"] == SPOUSE_ID
    assert client.get(reverse("licences:licence-pdf", args=[marriage.pk])).status_code == 200


def test_catalogue_items_declare_only_known_personal_kinds():
    from django.core.exceptions import ValidationError

    from yiwang.licences.actions.catalogue import catalogue_fixture, check_type_spec

    declared = {
        (spec["slug"], item["key"]): item["type"]
        for spec in catalogue_fixture()
        for item in spec.get("fields", [])
        if item.get("type")
    }
    assert declared[("marriage", "spouse_id")] == "id_number"
    assert declared[("residence_permit", "address")] == "address"
    for spec in catalogue_fixture():
        check_type_spec(spec)
    bad = {**catalogue_fixture()[0], "fields": [{"key": "x", "label": "x", "type": "shoe"}]}
    with pytest.raises(ValidationError):
        check_type_spec(bad)
