"""Fixtures for the data room: the city with its data standards and base resources."""

from __future__ import annotations

import pytest


@pytest.fixture
def data_city(city):
    """``city`` plus data elements, the classification tree and the four published base
    resources; ``data_city.resource("person")`` gives the resource behind a registry."""
    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import DataResource

    do_seed_data_standards(actor=None)

    class DataCity(city):
        @staticmethod
        def resource(registry: str) -> DataResource:
            return DataResource.objects.get(registry=registry, status="published")

    return DataCity


@pytest.fixture
def steward(make_staff, data_city):
    """steward("public_security") → a data steward of that city department."""

    def make(line: str = "public_security", division: str = "410800", **kw):
        return make_staff("data_steward", division, line, **kw)

    return make
