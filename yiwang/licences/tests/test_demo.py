"""Demo licences: catalogue, seals for every issuing department, licences for the first
demo accounts with every status shown; idempotent."""

from __future__ import annotations

import pytest

from yiwang.licences import verify
from yiwang.licences.models import Licence, LicenceType, Seal

pytestmark = pytest.mark.django_db


def test_seed_demo_licences(settings, tmp_path):
    from yiwang.core.actions.demo import do_seed_demo
    from yiwang.core.models import User
    from yiwang.licences.access import own_licences
    from yiwang.licences.demo import seed_demo_licences

    settings.MEDIA_ROOT = tmp_path / "media"
    do_seed_demo(actor=None, people=4, enterprises=3)
    counts = seed_demo_licences()
    assert counts["types"] == 6 and LicenceType.objects.count() == 6
    assert {
        "business_licence",
        "food_business",
        "residence_permit",
        "marriage",
        "property",
        "social_security_card",
    } == set(LicenceType.objects.values_list("slug", flat=True))
    # Every department on an issuing line has a seal: the county market bureaus too.
    assert Seal.objects.filter(owner__code="410823-market", status="active").exists()
    assert counts["licences"] == Licence.objects.count() >= 12
    statuses = set(Licence.objects.values_list("status", flat=True))
    assert {"01", "02", "03"} <= statuses
    first = User.objects.get(username="citizen001")
    mine = own_licences(first)
    assert {lic.licence_type.slug for lic in mine} >= {
        "social_security_card",
        "residence_permit",
        "property",
    }
    qiye = User.objects.get(username="qiye01")
    assert (
        own_licences(qiye)
        .filter(licence_type__slug="business_licence", number=qiye.credit_code)
        .exists()
    )
    lic = mine.first()
    with lic.pdf.open("rb") as fh:
        assert verify.verify_pdf(fh.read()).result == "valid"
    again = seed_demo_licences()
    assert again["licences"] == 0 and again["types"] == 0 and again["seals"] == 0
    assert Licence.objects.count() == counts["licences"]
