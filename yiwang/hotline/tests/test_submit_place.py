"""网上诉求's place: a division picked county → township (plain selects, a 下一级 button
without a script) leads the address the locator reads, and the browser's coordinates,
when given, are kept; no map and no tile server."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.core.models import Division
from yiwang.hotline.models import Ticket

pytestmark = pytest.mark.django_db


def _township(county: str) -> Division:
    town = Division.objects.filter(parent_id=county).order_by("code").first()
    assert town is not None
    return town


def test_the_page_lists_counties_and_the_locate_button(client, citizen, city):
    client.force_login(citizen)
    page = client.get(reverse("hotline:submit")).content.decode()
    assert 'name="place__county"' in page and ">武陟县</option>" in page
    assert "data-locate" in page and "division-picker.js" in page
    assert "tile" not in page.lower() and "http://" not in page.split("<body", 1)[1]


def test_next_level_without_a_script_keeps_what_was_written(client, citizen, city):
    client.force_login(citizen)
    r = client.post(
        reverse("hotline:submit"),
        {"content": "路灯坏了", "place__county": "410822", "_division_next": "place"},
    )
    body = r.content.decode()
    assert r.status_code == 200 and not Ticket.objects.exists()
    assert 'name="place__township"' in body and _township("410822").name in body
    assert "路灯坏了" in body and 'role="alert"' not in body


def test_a_picked_township_leads_the_address_and_locates_the_ticket(client, citizen, city):
    client.force_login(citizen)
    town = _township("410822")
    r = client.post(
        reverse("hotline:submit"),
        {
            "kind": "complaint",
            "content": "小区门口路灯不亮，晚上出行不便",
            "address": "幸福路 3 号",
            "place__county": "410822",
            "place__township": town.code,
            "longitude": "113.064",
            "latitude": "35.171",
        },
    )
    assert r.status_code == 302, r.content.decode()[:1500]
    t = Ticket.objects.get()
    assert t.address == f"博爱县{town.name}幸福路 3 号"
    assert t.division_id in (town.code, "410822")
    assert float(t.longitude) == pytest.approx(113.064)


def test_an_address_naming_the_place_is_not_doubled(client, citizen, city):
    client.force_login(citizen)
    client.post(
        reverse("hotline:submit"),
        {
            "kind": "complaint",
            "content": "武陟县城关镇饭店卫生差",
            "address": "武陟县城关镇",
            "place__county": "410823",
        },
    )
    assert Ticket.objects.get().address == "武陟县城关镇"
