"""基础库 pages: search by natural key, masked values, audited reveal, provenance and
history, deny by default, places in WGS84 or GCJ-02."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.core.models import AuditEntry
from yiwang.data.geo import wgs84_to_gcj02
from yiwang.data.models import Person, Place
from yiwang.data.tests.test_objections import IDN, load

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(data_city):
    load(
        data_city,
        "public_security",
        [{"id_number": IDN, "name": "张三", "phone": "13812345678", "ethnicity": "01"}],
    )
    load(data_city, "public_security", [{"id_number": IDN, "name": "张叁"}])
    return Person.objects.get()


@pytest.fixture
def unmasker(make_staff):
    """A public-security data steward who also holds a role allowing unmasking."""
    from yiwang.core.actions.users import do_grant_role

    user = make_staff("data_steward", "410800", "public_security")
    do_grant_role(actor=None, user=user, role="dept_admin")
    return user


def test_search_by_id_number_uses_the_blind_index(client, steward, person):
    client.force_login(steward("public_security"))
    url = reverse("data:registry", args=["person"])
    hit = client.get(url, {"q": IDN.lower()}).content.decode()
    assert reverse("data:record", args=["person", person.pk]) in hit
    assert IDN not in hit and "1101**********002X" in hit
    miss = client.get(url, {"q": "110105194912310038"}).content.decode()
    assert reverse("data:record", args=["person", person.pk]) not in miss


def test_record_page_masks_by_default_with_provenance_and_history(client, steward, person):
    client.force_login(steward("public_security"))
    page = client.get(reverse("data:record", args=["person", person.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert IDN not in body and "张叁" not in body and "13812345678" not in body
    assert "1101**********002X" in body and "张*" in body and "138****5678" in body
    assert "人口基本信息" in body  # source resource
    assert "2（女）" in body  # code shown with its label from the element's code list
    assert 'id="version">2<' in body
    assert "张三" not in body  # history value masked too
    assert not AuditEntry.objects.filter(action="core.personal.unmask").exists()


def test_reveal_needs_the_permission_and_a_purpose_and_is_logged(client, steward, unmasker, person):
    url = reverse("data:record", args=["person", person.pk])
    client.force_login(steward("public_security"))
    refused = client.post(url, {"purpose": "核对户籍"})
    assert refused.status_code == 403 and IDN not in refused.content.decode()

    client.force_login(unmasker)
    assert b"reveal-form" in client.get(url).content
    no_purpose = client.post(url, {"purpose": " "})
    assert no_purpose.status_code == 400 and IDN not in no_purpose.content.decode()
    short = client.post(url, {"purpose": "核"})
    page = short.content.decode()
    assert short.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#purpose">查看完整个人信息须说明用途。</a>' in page
    assert 'id="purpose-error"' in page and 'value="核"' in page and IDN not in page
    shown = client.post(url, {"purpose": "核对户籍信息"})
    body = shown.content.decode()
    assert shown.status_code == 200
    assert IDN in body and "张叁" in body and "13812345678" in body and "张三" in body
    entries = AuditEntry.objects.filter(action="core.personal.unmask", actor=unmasker)
    assert entries.count() >= 3
    assert {e.purpose for e in entries} == {"核对户籍信息"}
    assert AuditEntry.objects.filter(action="data.registry.history_unmask").exists()


def test_other_departments_get_404_and_reviewers_see_every_registry(
    client, steward, make_staff, person
):
    client.force_login(steward("education"))
    assert client.get(reverse("data:record", args=["person", person.pk])).status_code == 404
    assert client.get(reverse("data:registry", args=["person"])).status_code == 404
    assert b"data-registry=" not in client.get(reverse("data:registries")).content
    # A market steward sees the legal-entity registry, not the people one.
    client.force_login(steward("market"))
    assert client.get(reverse("data:record", args=["person", person.pk])).status_code == 404
    assert client.get(reverse("data:registry", args=["legal_entity"])).status_code == 200
    # A county public-security steward is on the authority's line (条线): sees the people
    # registered in the county (户籍区划), not those of another county or elsewhere.
    client.force_login(steward("public_security", division="410823"))
    assert client.get(reverse("data:record", args=["person", person.pk])).status_code == 404
    Person.objects.filter(pk=person.pk).update(division="410823")
    assert client.get(reverse("data:record", args=["person", person.pk])).status_code == 200
    client.force_login(steward("public_security", division="410822"))
    assert client.get(reverse("data:record", args=["person", person.pk])).status_code == 404
    client.force_login(make_staff("bureau_admin", "410800", "big_data"))
    assert client.get(reverse("data:record", args=["person", person.pk])).status_code == 200
    index = client.get(reverse("data:registries")).content.decode()
    for code in ("person", "legal_entity", "credit", "place"):
        assert f'data-registry="{code}"' in index
    assert client.get(reverse("data:registry", args=["nosuch"])).status_code == 404


def test_place_page_converts_to_gcj02_at_the_edge(client, steward, data_city):
    load(
        data_city,
        "natural_resources",
        [
            {
                "code": "410802001",
                "name": "焦作市人民政府",
                "longitude": 113.2418,
                "latitude": 35.2159,
            }
        ],
        registry="place",
    )
    place = Place.objects.get()
    assert (place.longitude, place.latitude) == (113.2418, 35.2159)
    client.force_login(steward("natural_resources"))
    url = reverse("data:record", args=["place", place.pk])
    wgs = client.get(url).content.decode()
    assert "113.2418" in wgs
    lon, lat = wgs84_to_gcj02(113.2418, 35.2159)
    gcj = client.get(url, {"crs": "gcj02"}).content.decode()
    assert f"{lon:.6f}"[:9] in gcj and f"{lat:.6f}"[:7] in gcj and "113.2418<" not in gcj
    search = client.get(reverse("data:registry", args=["place"]), {"q": "人民政府", "crs": "gcj02"})
    body = search.content.decode()
    assert "places-chart" in body and "places-data" in body and f"{lon:.6f}" in body


def test_record_page_objection_form_offers_the_registry_s_fields(client, steward, person):
    client.force_login(steward("civil_affairs"))
    page = client.get(reverse("data:record", args=["person", person.pk])).content.decode()
    form = page.split('id="objection-form"')[1].split("</form>")[0]
    assert 'name="registry" value="person"' in form
    assert f'name="record" value="{person.pk}"' in form
    assert '<label for="obj-field">' in form and '<option value="ethnicity">' in form
    assert '<option value="id_number">' not in form  # the natural key is not objectable
    assert 'id="obj-proposed_value"' in form and 'id="obj-reason"' in form


def test_registry_index_counts_up_to_a_cap_then_estimates(client, steward, person, monkeypatch):
    """The index never counts a registry of millions: past the cap a city-level reader
    sees the database's estimate ("约"), exact sizes below it."""
    client.force_login(steward("public_security"))
    exact = client.get(reverse("data:registries")).content.decode()
    row = exact.split('data-registry="person"')[1].split("</tr>")[0]
    assert "<td>1</td>" in row and "约" not in row
    monkeypatch.setattr("yiwang.data.queries.registries.SIZE_CAP", 0)
    from django.db import connection

    if connection.vendor == "postgresql":
        # A registry of millions has planner statistics (autovacuum analyses it); a table
        # just rewritten by a migration has none until then.
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {connection.ops.quote_name(person._meta.db_table)}")
    about = client.get(reverse("data:registries")).content.decode()
    assert "约" in about.split('data-registry="person"')[1].split("</tr>")[0]
    api = client.get("/api/v1/data/registries").json()
    person_row = next(r for r in api if r["code"] == "person")
    assert person_row["exact"] is False and person_row["count"] >= 1
