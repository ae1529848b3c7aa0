"""Reads of personal data in the data room: the page and the API reveal a record and open
a personal 数据异议 through the same actions, so each read leaves the same ledger entries;
the shared queries themselves write nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from django.urls import reverse

from yiwang.core.actions.users import do_grant_role
from yiwang.core.models import AuditEntry
from yiwang.data.actions.reads import do_record_objection_view, do_reveal_record
from yiwang.data.models import DataObjection, Person
from yiwang.data.queries import objections as objection_queries
from yiwang.data.queries import registries as registry_queries
from yiwang.data.tests.test_objections import IDN, load, people  # noqa: F401 — fixture

pytestmark = pytest.mark.django_db

API = "/api/v1/data"


def _ledger() -> Counter:
    return Counter((e.action, e.purpose) for e in AuditEntry.objects.all())


def _since(before: Counter) -> Counter:
    return _ledger() - before


def test_queries_write_nothing(people):  # noqa: F811
    person = Person.objects.get()
    before = _ledger()
    registry_queries.detail(
        "person", registry_queries.get_record(people.authority, "person", person.pk)
    )
    list(objection_queries.filtered_objections(people.authority, ""))
    registry_queries.registry_rows(people.authority)
    assert _since(before) == Counter()


def test_page_and_api_reveal_leave_the_same_entries(client, people, data_city):  # noqa: F811
    load(data_city, "public_security", [{"id_number": IDN, "name": "张叁"}])  # a history
    person = Person.objects.get()
    do_grant_role(actor=None, user=people.authority, role="dept_admin")
    client.force_login(people.authority)

    before = _ledger()
    page = client.post(
        reverse("data:record", args=["person", person.pk]), {"purpose": "核对户籍信息"}
    )
    assert page.status_code == 200 and IDN in page.content.decode()
    by_page = _since(before)

    before = _ledger()
    api = client.post(
        f"{API}/registries/person/records/{person.pk}/reveal",
        {"purpose": "核对户籍信息"},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["revealed"] is True
    by_api = _since(before)

    assert by_page == by_api
    assert by_page[("data.registry.history_unmask", "核对户籍信息")] == 1
    assert by_page[("core.personal.unmask", "核对户籍信息")] >= 3


def test_reveal_is_refused_without_the_permission_and_logs_nothing(people):  # noqa: F811
    from django.core.exceptions import PermissionDenied

    person = Person.objects.get()
    before = _ledger()
    with pytest.raises(PermissionDenied):
        do_reveal_record(actor=people.authority, registry="person", record=person, purpose="核对")
    assert _since(before) == Counter()


def test_personal_objection_view_logged_once_per_view_by_page_and_api(client, people):  # noqa: F811
    client.force_login(people.other)
    client.post(
        reverse("data:conflict", args=[people.conflict.pk]),
        {"op": "object", "reason": "婚姻登记档案记载为张山。"},
    )
    objection = DataObjection.objects.get()
    assert objection.field == "name"  # a personal field of 人口库
    client.force_login(people.authority)

    before = _ledger()
    assert client.get(reverse("data:objection", args=[objection.pk])).status_code == 200
    by_page = _since(before)
    before = _ledger()
    assert client.get(f"{API}/objections/{objection.pk}").status_code == 200
    by_api = _since(before)

    assert by_page == by_api == Counter({("data.objection.view", "数据异议核实"): 1})


def test_non_personal_objection_view_is_not_logged(people):  # noqa: F811
    objection = DataObjection(registry="person", field="ethnicity_note")
    before = _ledger()
    assert do_record_objection_view(actor=people.authority, objection=objection) is False
    assert _since(before) == Counter()
