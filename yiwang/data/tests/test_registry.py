"""The registry write primitive: provenance, history, authority and idempotence."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from yiwang.core.fields import index_for
from yiwang.data.actions.standards import do_claim_element
from yiwang.data.models import Conflict, DataElement, Person, RecordHistory
from yiwang.data.registry import apply_rows, derive

pytestmark = pytest.mark.django_db

IDN = "11010519491231002X"


def _apply(data_city, line, rows):
    resource = data_city.resource("person")
    with transaction.atomic():
        return apply_rows(
            registry="person",
            rows=[derive("person", dict(r)) for r in rows],
            resource=resource,
            department=data_city.department("410800", line),
        )


def test_new_record_is_encrypted_with_provenance_and_reapply_changes_nothing(data_city):
    out = _apply(data_city, "public_security", [{"id_number": IDN, "name": "张三"}])
    assert (out.created, out.updated) == (1, 0)
    person = Person.objects.get(id_number_index=index_for(Person, "id_number", IDN))
    assert person.name == "张三" and person.gender == "2" and person.version == 1
    assert person.source_department.line == "public_security"
    with connection.cursor() as cur:
        cur.execute("SELECT name FROM data_person WHERE id = %s", [person.pk])
        raw = cur.fetchone()[0]
    assert raw.startswith("sm4:") and "张三" not in raw
    again = _apply(data_city, "public_security", [{"id_number": IDN, "name": "张三"}])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_change_by_authority_keeps_history(data_city):
    _apply(data_city, "public_security", [{"id_number": IDN, "name": "张三"}])
    out = _apply(data_city, "public_security", [{"id_number": IDN, "name": "张叁"}])
    assert out.updated == 1
    person = Person.objects.get()
    assert (person.name, person.version) == ("张叁", 2)
    assert person.name_index == index_for(Person, "name", "张叁")
    old = RecordHistory.objects.get(record_id=person.pk)
    assert json.loads(old.values) == {"name": "张三"} and old.version == 1


def test_non_authority_conflicts_and_authority_value_stands(data_city):
    _apply(data_city, "public_security", [{"id_number": IDN, "name": "张三"}])
    out = _apply(data_city, "civil_affairs", [{"id_number": IDN, "name": "张山", "phone": ""}])
    assert out.conflicts == 1
    assert Person.objects.get().name == "张三"
    conflict = Conflict.objects.get()
    assert (conflict.authoritative_value, conflict.other_value) == ("张三", "张山")
    assert conflict.department.line == "civil_affairs"
    again = _apply(data_city, "civil_affairs", [{"id_number": IDN, "name": "张山"}])
    assert again.conflicts == 0 and Conflict.objects.count() == 1
    other = _apply(data_city, "civil_affairs", [{"id_number": IDN, "name": "章三"}])
    assert other.conflicts == 1 and Conflict.objects.count() == 2


def test_non_authority_fills_empty_field_then_authority_overrides(data_city):
    _apply(data_city, "civil_affairs", [{"id_number": IDN, "name": "张山"}])
    _apply(data_city, "public_security", [{"id_number": IDN, "name": "张三"}])
    assert Person.objects.get().name == "张三"
    assert not Conflict.objects.exists()


def test_second_source_for_an_element_is_refused(data_city):
    element = DataElement.objects.get(name="公民身份号码")
    with pytest.raises(ValidationError) as err:
        do_claim_element(
            actor=None, element=element, department=data_city.department("410800", "civil_affairs")
        )
    assert err.value.code == "element_has_source"
    element.refresh_from_db()
    assert element.source_department.line == "public_security"
