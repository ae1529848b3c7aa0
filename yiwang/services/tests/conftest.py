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


FOOD_FIELDS = [
    {"name": "legal_rep", "label": "法定代表人（负责人）", "type": "text", "required": True},
    {"name": "address", "label": "经营场所", "type": "text", "required": True},
    {
        "name": "main_form",
        "label": "主体业态",
        "type": "select",
        "required": True,
        "choices": [["食品销售经营者", "食品销售经营者"], ["餐饮服务经营者", "餐饮服务经营者"]],
    },
    {"name": "items", "label": "经营项目", "type": "text", "required": True},
    {"name": "area", "label": "经营面积（平方米）", "type": "number", "min": 1, "max": 10000},
    {"name": "phone", "label": "联系电话", "type": "phone"},
]


@pytest.fixture
def food_item(make_item, licence_types, seal_for, city):
    """食品经营许可 in 武陟县 for enterprises: 营业执照 replaced by the e-licence,
    场所证明 uploaded; approval issues the 食品经营许可证 (the county bureau has a seal)."""
    seal_for(city.department("410823", "market"))
    return make_item(
        "食品经营许可（新办）",
        applicants="entity",
        licence_type_code="food_business",
        form_fields=FOOD_FIELDS,
        promised_days=10,
        materials=[
            {"name": "营业执照", "licence_type_code": "business_licence"},
            {"name": "经营场所使用证明"},
        ],
    )


@pytest.fixture
def officials(make_staff):
    """Staff around ``food_item``: the 武陟 market bureau's clerk and approver, a clerk of
    the 武陟 service hall (big_data), and an approver of 博爱's market bureau."""

    class Officials:
        clerk = make_staff("window_clerk", "410823", "market")
        approver = make_staff("approver", "410823", "market")
        hall_clerk = make_staff("window_clerk", "410823", "big_data")
        boai = make_staff("approver", "410822", "market")

    return Officials
