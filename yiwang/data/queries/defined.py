"""自定义名册 reads for pages: the definitions a user sees and a registry's latest
records, personal values masked by their declared kind."""

from __future__ import annotations

from typing import Any

from yiwang.data import access
from yiwang.data import defined as dr
from yiwang.data.models import RegistryDefinition

LATEST = 20


def definition_rows(user) -> list[RegistryDefinition]:
    return list(access.definitions(user).select_related("owner"))


def latest_masked(definition: RegistryDefinition) -> list[dict[str, Any]]:
    """The newest records of a defined registry, every personal value masked (脱敏)."""
    rows = dr.records(definition).order_by("-pk")[:LATEST]
    return [dr.masked(definition, dr.decode(r)) for r in rows]
