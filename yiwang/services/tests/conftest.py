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
