"""Test helpers: residents in the population registry (人口库) and entities in the
legal-person registry (法人库), written through the app registry so core's tests name
no room module."""

from __future__ import annotations

from django.apps import apps
from django.utils import timezone


def _department():
    from yiwang.core.models import Department, Division

    division, _ = Division.objects.get_or_create(
        code="410800", defaults={"name": "焦作市", "level": "city"}
    )
    dept, _ = Department.objects.get_or_create(
        code="410800-public_security",
        defaults={"name": "焦作市公安局", "line": "public_security", "division": division},
    )
    return dept


def add_person(full_name: str, id_number: str, phone: str = ""):
    """One resident in 人口库 (``data.Person``)."""
    person = apps.get_model("data", "Person")
    now = timezone.now()
    return person.objects.create(
        id_number=id_number,
        name=full_name,
        phone=phone,
        source_department=_department(),
        created_at=now,
        updated_at=now,
    )


def add_entity(credit_code: str, name: str, legal_rep_name: str = "", legal_rep_id: str = ""):
    """One entity in 法人库 (``data.LegalEntity``)."""
    entity = apps.get_model("data", "LegalEntity")
    now = timezone.now()
    return entity.objects.create(
        credit_code=credit_code,
        name=name,
        legal_rep_name=legal_rep_name,
        legal_rep_id=legal_rep_id,
        source_department=_department(),
        created_at=now,
        updated_at=now,
        status="存续",
    )
