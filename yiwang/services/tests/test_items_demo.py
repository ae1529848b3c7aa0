"""The demo service hall: items across departments with their implementation lists,
bundles and staff; re-running adds nothing."""

from __future__ import annotations

from yiwang.core.models import User
from yiwang.services.demo import seed_services_demo
from yiwang.services.models import Bundle, ServiceItem


def test_demo_seed_loads_and_is_idempotent(city, licence_types, client):
    counts = seed_services_demo()
    # a window clerk and an approver for each of the 18 departments receiving items, and
    # the civil affairs admins of the city and the two demo counties; a window clerk and
    # an approver of the 政务服务 unit running each of the three 政务服务中心
    assert counts["items"] > 60 and counts["bundles"] == 2 and counts["staff"] == 45
    assert counts["halls"] == 3
    published = ServiceItem.objects.filter(status="published", level="handling")
    lines = set(published.values_list("department__line", flat=True))
    assert {
        "market",
        "public_security",
        "civil_affairs",
        "human_resources",
        "housing",
        "natural_resources",
        "health",
        "education",
    } <= lines
    # every handling item keeps promised ≤ statutory and has steps
    for item in published:
        if item.statutory_days is not None:
            assert item.promised_days <= item.statutory_days, item.code
        assert item.steps.exists(), item.code
    food = ServiceItem.objects.get(code="410800-XK-0101-01")
    assert food.licence_type_code == "food_business"
    assert food.materials.filter(licence_type_code="business_licence").exists()
    assert food.parent.code == "410800-XK-0101"
    assert ServiceItem.objects.filter(code="410823-XK-0101-01").exists()  # 武陟县
    permit = ServiceItem.objects.get(code="410800-GG-0201-01")
    assert permit.instant_rules[0]["when"][0] == {"field": "applicant.age", "op": "ge", "value": 16}
    newborn = Bundle.objects.get(code="newborn")
    assert [p.item.department.line for p in newborn.parts.all()] == [
        "health",
        "public_security",
        "human_resources",
    ]
    assert User.objects.filter(username="jiaozuo_civil_approver").exists()
    before = ServiceItem.objects.count()
    again = seed_services_demo()
    assert again == {"items": 0, "bundles": 0, "staff": 0, "halls": 0}
    assert ServiceItem.objects.count() == before
    # the hall finds them
    r = client.get("/services/items/", {"q": "居住证"})
    assert "居住证申领" in r.content.decode()
    r = client.get("/services/items/", {"event": "birth"})
    html = r.content.decode()
    assert "出生医学证明首次签发" in html and "出生登记" in html
    r = client.get("/services/items/410800-QR-0501-01/")
    assert "80.00" in r.content.decode() and "可用电子证照免提交" in r.content.decode()
