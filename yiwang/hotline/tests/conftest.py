"""Fixtures of the hotline room: the 12345 centre's people and handling departments."""

from __future__ import annotations

import pytest


@pytest.fixture
def agent(make_staff):
    """A 12345 话务员 (city-wide)."""
    return make_staff("hotline_agent", "410800", "hotline", full_name="王话务")


@pytest.fixture
def supervisor(make_staff):
    """A 12345 值班长."""
    return make_staff("hotline_supervisor", "410800", "hotline", full_name="赵值班")


@pytest.fixture
def wuzhi_market(make_staff):
    """A 热线承办人员 of 武陟县市场监督管理局."""
    return make_staff("hotline_handler", "410823", "market", full_name="钱承办")


@pytest.fixture
def wuzhi_housing(make_staff):
    """A 热线承办人员 of 武陟县住房和城乡建设局."""
    return make_staff("hotline_handler", "410823", "housing", full_name="孙承办")


@pytest.fixture
def take(agent):
    """take(content, **kw) → a phone ticket taken in by the agent (category 060101 食品安全
    in 武陟县 unless told otherwise)."""
    from yiwang.hotline.actions.tickets import do_take_ticket

    def _take(content: str = "武陟县城关镇一家饭店后厨卫生太差，吃完拉肚子", **kw):
        kw.setdefault("channel", "phone")
        kw.setdefault("kind", "complaint")
        kw.setdefault("category", "060101")
        kw.setdefault("address", "武陟县城关镇建设路 12 号")
        kw.setdefault("contact_name", "李女士")
        kw.setdefault("contact_phone", "13912345678")
        return do_take_ticket(actor=kw.pop("actor", agent), content=content, **kw)

    return _take


@pytest.fixture
def taxonomy(db):
    """The three-level matter tree of ``fixtures/taxonomy.json`` in force (older codes
    retired), as the platform loads it; its leaves (小类) in code order."""
    from yiwang.hotline.tests.synthetic import install_taxonomy

    return install_taxonomy()
