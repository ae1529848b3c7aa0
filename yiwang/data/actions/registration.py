"""设立登记 into the 法人库: when a registering department (登记机关, the 法人库's provider
line, 市场监管) registers a new market entity — a 个体工商户 at its 设立登记, say — the
entity enters the base registry at once, through ``apply_rows`` like every other write
(provenance, version, authority), so its licences, later applications (免证可办) and its
own 企业 account (法定代表人核验) can find it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.access import require
from yiwang.core.errors import Conflict, Forbidden
from yiwang.core.models import Department
from yiwang.data.models import DataResource, LegalEntity
from yiwang.data.registry import REGISTRIES, apply_rows, derive

REGISTRY = "legal_entity"


def entity_resource() -> DataResource | None:
    """The published 法人库 resource entities are registered through (None when the
    data standards are not set up)."""
    return (
        DataResource.objects.select_related("provider")
        .filter(registry=REGISTRY, status="published")
        .order_by("pk")
        .first()
    )


@transaction.atomic
def do_record_new_entity(
    *, actor, department: Department, row: dict[str, Any]
) -> LegalEntity | None:
    """Record a market entity ``department`` has just registered (``row``: 法人库 fields,
    ``credit_code`` its new 统一社会信用代码) as a new 法人库 record with ``department`` as
    its source. Only a department on the 法人库 provider's line registers entities, and
    staff only where they decide cases (``case.decide``); a code already in the registry
    is a ``Conflict``. Returns the record, or None when the 法人库 is not set up."""
    resource = entity_resource()
    if resource is None:
        return None
    if department.line != resource.provider.line:
        raise Forbidden(_("只有登记机关可以向法人库登记新设立的主体。"), code="not_registrar")
    if actor is not None:
        require(
            actor,
            "case.decide",
            department=department,
            message=_("您不能以%s的名义登记市场主体。") % department.name,
        )
    spec = REGISTRIES[REGISTRY]
    code = str(row.get("credit_code") or "").strip().upper()
    if not code or spec.get(code) is not None:
        raise Conflict(_("统一社会信用代码 %s 已登记。") % code, code="exists")
    apply_rows(
        registry=REGISTRY,
        rows=[derive(REGISTRY, {**row, "credit_code": code})],
        resource=resource,
        department=department,
        reason="registration",
    )
    record = spec.get(code)
    audit.record(
        actor=actor,
        action="data.registry.register_entity",
        obj=(f"data.{REGISTRY}", record.pk),
        change={"credit_code": code, "department": department.code, "fields": sorted(row)},
    )
    return record
