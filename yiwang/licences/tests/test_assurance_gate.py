"""证照夹 needs a 实名 account: below 手机短信核验 the wallet (pages and API) shows no
licence issued to the account's ID number and says how to reach the level."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.core.models import Assurance, User


def _at(user: User, level: int) -> User:
    User.objects.filter(pk=user.pk).update(assurance=level)
    user.refresh_from_db()
    return user


@pytest.mark.parametrize("level", [Assurance.NONE, Assurance.REGISTRY])
def test_wallet_refuses_below_the_verified_level(issue, citizen, level):
    permit = issue("residence_permit")
    web = Client()
    web.force_login(_at(citizen, level))
    page = web.get("/licences/wallet/")
    assert page.status_code == 403
    html = page.content.decode()
    assert "需要实名核验" in html and permit.identifier not in html
    assert "/account/#assurance-h" in html
    assert web.get(f"/licences/wallet/{permit.pk}/").status_code == 403
    assert web.get(f"/licences/wallet/{permit.pk}/pdf").status_code == 403
    api = web.get("/api/v1/licences/mine")
    assert api.status_code == 403
    assert api.json()["error"]["details"][0]["code"] == "assurance_required"
    assert web.get(f"/api/v1/licences/mine/{permit.pk}").status_code == 403


@pytest.mark.parametrize("level", [Assurance.SMS, Assurance.IN_PERSON])
def test_wallet_opens_at_the_verified_level(issue, citizen, level):
    permit = issue("residence_permit")
    web = Client()
    web.force_login(_at(citizen, level))
    page = web.get("/licences/wallet/")
    assert page.status_code == 200 and permit.identifier in page.content.decode()
    assert web.get("/api/v1/licences/mine").json()["count"] == 1


def test_enterprise_wallet_needs_the_verified_level_too(issue, enterprise_user):
    food = issue()
    web = Client()
    web.force_login(_at(enterprise_user, Assurance.REGISTRY))
    assert web.get("/licences/wallet/").status_code == 403
    web.force_login(_at(enterprise_user, Assurance.SMS))
    assert food.identifier in web.get("/licences/wallet/").content.decode()
