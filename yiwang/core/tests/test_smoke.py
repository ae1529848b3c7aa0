"""The foundation stands up: settings, migrations, org seed, home page."""

import pytest


@pytest.mark.django_db
def test_home_page_renders_in_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "焦作一网" in response.content.decode()
    assert 'lang="zh-Hans"' in response.content.decode()


def test_org_seed_has_real_division_codes_and_zone_apart(city):
    from yiwang.core.models import Division

    assert Division.objects.filter(level="county", kind="legal").count() == 10
    zone = Division.objects.get(code="410871")
    assert zone.kind == "zone"
    managed = list(zone.managed.all())
    assert managed and all(d.parent_id == "410811" for d in managed)
