"""Fixtures for the public services room: a city with service items to apply for."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_item(city):
    """make_item(name=..., line="market", division="410823", **fields) → a published
    业务办理项 under its own 主项, with materials from ``materials=[{...}]``."""
    from yiwang.services.models import MaterialSpec, ServiceItem

    counter = {"n": 0}

    def make(
        name: str = "食品经营许可（新办）", line: str = "market", division: str = "410823", **kw
    ):
        counter["n"] += 1
        dept = city.department(division, line)
        materials = kw.pop("materials", [{"name": "营业执照", "licence_type_code": ""}])
        main = ServiceItem.objects.create(
            code=f"T{counter['n']:03d}00",
            name=name.split("（")[0],
            kind=kw.get("kind", "licensing"),
            department=dept,
            implementer=dept.name,
            legal_basis="《测试依据》",
            level=ServiceItem.Level.MAIN,
            division=dept.division,
            status=ServiceItem.Status.PUBLISHED,
        )
        values = {
            "code": f"T{counter['n']:03d}01",
            "name": name,
            "kind": "licensing",
            "department": dept,
            "implementer": dept.name,
            "legal_basis": "《测试依据》",
            "level": ServiceItem.Level.HANDLING,
            "parent": main,
            "handling": ServiceItem.Handling.NEW,
            "division": dept.division,
            "statutory_days": 20,
            "promised_days": 10,
            "form_fields": [
                {"name": "shop_name", "label": "经营场所名称", "type": "text", "required": True},
                {"name": "area", "label": "经营面积（平方米）", "type": "number", "required": True},
            ],
            "status": ServiceItem.Status.PUBLISHED,
        }
        values.update(kw)
        item = ServiceItem.objects.create(**values)
        for i, m in enumerate(materials, start=1):
            MaterialSpec.objects.create(item=item, position=i, **m)
        return item

    return make


@pytest.fixture
def registry(city):
    """registry("person", {"id_number": …, "name": …}) → the base-registry record, written
    through the data room's loader (data standards and base resources seeded once)."""
    from django.db import transaction

    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import DataResource
    from yiwang.data.registry import REGISTRIES, apply_rows, derive

    do_seed_data_standards(actor=None)
    lines = {"person": "public_security", "legal_entity": "market"}

    def add(kind: str, row: dict):
        resource = DataResource.objects.get(registry=kind, status="published")
        with transaction.atomic():
            apply_rows(
                registry=kind,
                rows=[derive(kind, dict(row))],
                resource=resource,
                department=city.department("410800", lines[kind]),
            )
        return REGISTRIES[kind].get(row[REGISTRIES[kind].key])

    return add


@pytest.fixture
def seal_for():
    """seal_for(department) → an e-seal for a department that issues licences."""
    from yiwang.licences.actions import do_create_seal

    def make(department, kind: str = "licensing"):
        return do_create_seal(actor=None, department=department, kind=kind)

    return make
