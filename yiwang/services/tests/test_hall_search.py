"""Finding a service: the portal home's search box and 常用服务, search results that
include 一件事 bundles and start in the citizen's own county (widened to the whole city
by one link), and categories (生命周期事件) that each list items or are not shown."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from yiwang.services.demo import seed_services_demo
from yiwang.services.events import ENTERPRISE_EVENTS, LIFE_EVENTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall(city, licence_types):
    seed_services_demo()
    cache.delete("services.hall.popular")


def _results(page: str) -> list[str]:
    body = page.split('id="results"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="/services/items/([^/]+)/"', body)


def test_portal_home_has_a_search_box_and_the_most_used_services(client, hall, citizen):
    from yiwang.services.models import Application, ServiceItem

    home = client.get("/").content.decode()
    assert 'id="portal-q"' in home and 'action="/services/items/"' in home
    popular = home.split('id="portal-popular"', 1)[1].split("</ul>", 1)[0]
    assert popular.count("<li>") == 8
    # The item applied for most comes first.
    item = ServiceItem.objects.filter(name="居住证申领").first()
    _fake_applications(item, citizen, 3)
    cache.delete("services.hall.popular")
    popular = client.get("/").content.decode().split('id="portal-popular"', 1)[1]
    assert popular.split("</li>", 1)[0].endswith(">居住证申领</a>")
    assert Application.objects.count() == 3


def _fake_applications(item, user, n):
    from django.utils import timezone

    from yiwang.services.models import Application

    for i in range(n):
        Application.objects.create(
            item=item,
            number=f"T{i:06d}",
            applicant=user,
            applicant_name="张三",
            applicant_id_type="111",
            applicant_id_number=user.id_number,
            division=item.division,
            department=item.department,
            submitted_at=timezone.now(),
        )


def test_search_results_include_bundles(client, hall):
    page = client.get(reverse("services:items"), {"q": "新生儿"}).content.decode()
    bundles = page.split('id="bundle-results"', 1)[1].split("</section>", 1)[0]
    assert "新生儿出生一件事" in bundles and "开办餐饮店一件事" not in bundles
    # An item of the bundle finds it too.
    page = client.get(reverse("services:items"), {"q": "食品经营许可"}).content.decode()
    assert "开办餐饮店一件事" in page.split('id="bundle-results"', 1)[1]
    assert 'id="bundle-results"' not in client.get(reverse("services:items")).content.decode()


def test_a_citizens_search_starts_in_their_county_and_widens_to_the_city(
    client, hall, citizen, registry
):
    registry(
        "person",
        {"id_number": citizen.id_number, "name": citizen.full_name, "division": "410823"},
    )
    client.force_login(citizen)
    page = client.get(reverse("services:items"), {"q": "居住证"}).content.decode()
    codes = _results(page)
    assert codes and all(c.split("-")[0] in ("410823", "410800") for c in codes)
    assert any(c.startswith("410823-") for c in codes) and 'id="home-county"' in page
    widen = re.search(r'href="\?([^"]+)" id="widen-city"', page).group(1)
    wide = client.get(
        reverse("services:items") + "?" + widen.replace("&amp;", "&")
    ).content.decode()
    assert any(c.startswith("410822-") for c in _results(wide))
    assert 'id="home-county"' not in wide
    # Anonymous visitors and citizens without a registered division see the whole city.
    client.logout()
    anon = client.get(reverse("services:items"), {"q": "居住证"}).content.decode()
    assert any(c.startswith("410822-") for c in _results(anon))


def test_every_category_lists_items_or_is_hidden(client, hall):
    home = client.get(reverse("services:home")).content.decode()
    shown = 0
    for code, label in (*LIFE_EVENTS, *ENTERPRISE_EVENTS):
        link = f'href="/services/items/?event={code}"'
        results = _results(client.get(reverse("services:items"), {"event": code}).content.decode())
        if link in home:
            shown += 1
            assert results, f"{label} is shown but lists nothing"
        else:
            assert not results, f"{label} has items but is hidden"
    assert shown and 'href="/services/items/?event=hiring"' not in home
    items = client.get(reverse("services:items")).content.decode()
    assert 'value="hiring"' not in items
