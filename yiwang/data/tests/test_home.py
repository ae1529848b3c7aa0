"""Data room home: live counts, tiles only for areas that exist, and to-dos."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.data.actions.catalogue import do_draft_resource, do_submit_resource

pytestmark = pytest.mark.django_db


def test_home_tiles_counts_and_todos(steward, make_staff, data_city, client):
    s = steward()
    ps = data_city.department("410800", "public_security")
    r = do_draft_resource(
        actor=s,
        provider=ps,
        catalogue="301",
        values={
            "name": "治安巡查记录",
            "share_type": "unconditional",
            "open_type": "none",
            "update_cycle": "daily",
            "grade": "general",
            "level": 4,
        },
        items=[{"name": "公民身份号码", "element": "DE00001"}],
    )
    client.force_login(s)
    page = client.get(reverse("data:home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="tile-catalogue"' in html and 'id="tile-elements"' in html
    assert "治安巡查记录" in html and "草稿待提交" in html
    tile = html[html.index('id="tile-catalogue"') :]
    assert '<span class="num" aria-label="已发布数据资源">4</span>' in tile[:400]
    # Tiles of areas whose pages are not installed are hidden, never broken links.
    from yiwang.data.views.home import url_or_none

    assert url_or_none("data:no-such-page") is None
    do_submit_resource(actor=s, resource=r)
    bureau = make_staff("bureau_admin", "410800", "big_data")
    client.force_login(bureau)
    html = client.get(reverse("data:home")).content.decode()
    assert "待审核目录" in html and "治安巡查记录" in html


def test_home_refuses_people_without_data_view(make_staff, citizen, client):
    client.force_login(make_staff("window_clerk", "410800", "big_data"))
    assert client.get(reverse("data:home")).status_code == 403
