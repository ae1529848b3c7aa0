"""在线申请 in the account's own name (its registry facts and licences standing in for
materials, 免证可办) needs a 实名 account: below it, pages and API refuse and say how
to reach the level, and nothing is read or saved."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from yiwang.core.errors import error_codes
from yiwang.core.models import Assurance, User
from yiwang.services.actions.applications import applicant_from_account, do_apply
from yiwang.services.models import Application
from yiwang.services.tests.test_applications import FOOD_FORM

pytestmark = pytest.mark.django_db


def _at(user: User, level: int) -> User:
    User.objects.filter(pk=user.pk).update(assurance=level)
    user.refresh_from_db()
    return user


def test_apply_needs_the_verified_level(client, food_item, enterprise_user):
    user = _at(enterprise_user, Assurance.REGISTRY)
    with pytest.raises(ValidationError) as exc:
        applicant_from_account(user)
    assert "assurance_required" in error_codes(exc.value)
    with pytest.raises(ValidationError):
        do_apply(actor=user, item=food_item, form_data=FOOD_FORM, uploads={})
    client.force_login(user)
    url = reverse("services:apply", args=[food_item.code])
    page = client.get(url)
    assert page.status_code == 403 and "需要实名核验" in page.content.decode()
    assert client.post(url, FOOD_FORM).status_code == 403
    api = client.post("/api/v1/services/applications", {"item": food_item.code})
    assert api.status_code == 403
    assert api.json()["error"]["details"][0]["code"] == "assurance_required"
    assert not Application.objects.exists()


def test_apply_page_opens_once_verified(client, food_item, enterprise_user):
    client.force_login(_at(enterprise_user, Assurance.SMS))
    page = client.get(reverse("services:apply", args=[food_item.code]))
    assert page.status_code == 200
