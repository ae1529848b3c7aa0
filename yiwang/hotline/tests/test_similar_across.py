"""相似工单 across matters: one problem filed under two different categories (one agent
chose 噪声, another 餐饮) is found from either ticket, in the API and in the console's
partial; an unrelated ticket of the first's category is not."""

from __future__ import annotations

import pytest

from yiwang.hotline.models import Category

pytestmark = pytest.mark.django_db
BASE = "/api/v1/hotline"


def _two_leaves() -> tuple[Category, Category]:
    """Two leaf categories of different branches of whatever tree is loaded."""
    leaves = list(Category.objects.filter(active=True, children__isnull=True).order_by("code"))
    first = leaves[0]
    second = next(c for c in leaves if c.parent_id != first.parent_id)
    return first, second


@pytest.fixture
def filed(take):
    one, two = _two_leaves()
    a = take(
        "解放区丰泽园小区楼下的川味饭庄排风扇每天开到半夜，嗡嗡响吵得睡不着",
        category=one.code,
        address="解放区民主路丰泽园小区",
    )
    b = take(
        "丰泽园那家饭庄晚上还在门口烧烤，风机噪音和油烟一直不停，请管一管",
        category=two.code,
        address="",
    )
    other = take("解放区焦西路康乐小区电梯坏了三天没人修", category=one.code, address="")
    return a, b, other


def test_api_finds_the_same_problem_under_another_category(client, agent, filed):
    a, b, other = filed
    assert a.category_id != b.category_id
    client.force_login(agent)
    for mine, theirs in ((a, b), (b, a)):
        r = client.get(f"{BASE}/tickets/{mine.number}/similar")
        assert r.status_code == 200, r.content
        numbers = [row["number"] for row in r.json()]
        assert theirs.number in numbers and other.number not in numbers


def test_console_partial_finds_it_whatever_category_is_typed(client, agent, filed):
    a, b, _other = filed
    client.force_login(agent)
    html = client.get(
        "/hotline/similar/",
        {"text": "丰泽园饭庄排风扇半夜噪音太大", "category": a.category.code},
    ).content.decode()
    assert a.number in html and b.number in html
