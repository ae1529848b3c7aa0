"""Fixtures of the licences room: the catalogue with seals, media in a temporary folder,
and a helper that issues licences."""

from __future__ import annotations

import pytest

from yiwang.core.identifiers import make_credit_code

PERSON_ID = "11010519491231002X"  # the ``citizen`` fixture's ID number
ENTERPRISE_CODE = make_credit_code("91", "410800", "MA3XYW12")  # ``enterprise_user``
FOOD_DATA = {
    "legal_rep": "李四",
    "address": "焦作市解放区民主南路 88 号",
    "main_form": "食品销售经营者",
    "items": "预包装食品销售（含冷藏冷冻食品）",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def issue(licence_types):
    """issue("food_business", holder_id=…, **kw) → a licence issued by the platform."""
    from yiwang.licences.public import do_issue_licence

    def make(slug: str = "food_business", **kw):
        if slug == "food_business":
            kw.setdefault("holder_name", "焦作示例科技有限公司")
            kw.setdefault("holder_id", ENTERPRISE_CODE)
            kw.setdefault("holder_id_type", "001")
            kw.setdefault("data", dict(FOOD_DATA))
        elif slug == "residence_permit":
            kw.setdefault("holder_name", "张三")
            kw.setdefault("holder_id", PERSON_ID)
            kw.setdefault("data", {"address": "焦作市山阳区塔南路 1 号"})
        return do_issue_licence(actor=kw.pop("actor", None), licence_type=slug, **kw)

    return make
