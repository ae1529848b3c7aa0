"""Demo data room seeding: registries filled from the synthetic city, places inside 焦作,
stewards and catalogue entries in progress; deterministic and idempotent."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_seed_data_demo_populates_registries(city):
    from yiwang.core.models import User
    from yiwang.core.synth import CitySynth
    from yiwang.data.demo import seed_data_demo, steward_username
    from yiwang.data.models import CreditRecord, DataResource, LegalEntity, Person, Place
    from yiwang.data.registry import REGISTRIES

    synth = CitySynth(7)
    seen: list[tuple[str, int]] = []
    counts = seed_data_demo(
        synth=synth, people=30, enterprises=12, progress=lambda r, n: seen.append((r, n))
    )
    assert Person.objects.count() == 30 and LegalEntity.objects.count() == 12
    assert counts["people"] == 30 and ("person", 30) in seen
    first = next(CitySynth(7).people(1))
    person = REGISTRIES["person"].get(first["id_number"])
    assert person is not None and person.name == first["full_name"]
    assert person.source_department.line == "public_security"
    assert CreditRecord.objects.count() == 3  # every fourth enterprise
    assert Place.objects.count() >= 20
    for p in Place.objects.all():
        assert 35.1 <= p.latitude <= 35.4 and 112.6 <= p.longitude <= 113.6
    steward = User.objects.get(username=steward_username("public_security"))
    assert steward.role_assignments.filter(role="data_steward").exists()
    assert DataResource.objects.filter(status="submitted").count() >= 1
    assert DataResource.objects.filter(status="draft").count() >= 2
    # Re-running adds nothing.
    before = DataResource.objects.count()
    seed_data_demo(synth=CitySynth(7), people=30, enterprises=12)
    assert Person.objects.count() == 30 and DataResource.objects.count() == before
    assert DataResource.objects.filter(name="流动人口居住登记信息").count() == 1
