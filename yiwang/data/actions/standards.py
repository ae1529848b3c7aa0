"""Writes to the data standards: data elements (数据元) and their single authoritative
source (一数一源), and seeding the classification tree and base resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.errors import Conflict
from yiwang.core.models import Department
from yiwang.data import access
from yiwang.data.actions.catalogue import check_grade
from yiwang.data.models import Catalogue, DataElement, DataItem, DataResource

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ELEMENT_FIELDS = (
    "name",
    "name_en",
    "definition",
    "data_type",
    "max_length",
    "pattern",
    "validator",
    "code_list",
    "personal",
    "sensitive",
    "standard",
)


def _city_department(line: str) -> Department | None:
    city = settings.YIWANG["CITY_DIVISION"]
    return Department.objects.filter(code=f"{city}-{line}").first()


@transaction.atomic
def do_claim_element(*, actor, element: DataElement, department: Department) -> DataElement:
    """Make ``department`` the authoritative source (权威来源) of ``element``. An element
    has exactly one source: a second department's claim is refused until the bureau
    releases the first (一数一源)."""
    access.require_review(actor, _("只有大数据局可以认定数据元的权威来源部门。"))
    element = DataElement.objects.select_for_update().get(pk=element.pk)
    holder_id = element.source_department_id
    if holder_id not in (None, department.id) and element.source_department is not None:
        raise Conflict(
            _("数据元“%(e)s”已由%(d)s作为权威来源，不能由第二个部门认领。")
            % {"e": element.name, "d": element.source_department.name},
            code="element_has_source",
        )
    if element.source_department_id != department.id:
        element.source_department = department
        element.save(update_fields=["source_department"])
        audit.record(
            actor=actor,
            action="data.element.claim",
            obj=element,
            change={"source_department": department.code},
        )
    return element


@transaction.atomic
def do_release_element(*, actor, element: DataElement, reason: str) -> DataElement:
    """Remove an element's authoritative source (e.g. after a reorganisation), with reason."""
    access.require_review(actor, _("只有大数据局可以变更数据元的权威来源部门。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请说明变更原因。")})
    previous = element.source_department.code if element.source_department else ""
    element.source_department = None
    element.save(update_fields=["source_department"])
    audit.record(
        actor=actor,
        action="data.element.release",
        obj=element,
        purpose=reason[:200],
        change={"previous": previous},
    )
    return element


@transaction.atomic
def do_define_element(*, actor, code: str, values: dict[str, Any]) -> DataElement:
    """Create or update a data element's standard (not its source: see claim)."""
    access.require_review(actor, _("只有大数据局可以维护数据元标准。"))
    clean = {k: values[k] for k in ELEMENT_FIELDS if k in values}
    element, created = DataElement.objects.get_or_create(code=code, defaults=clean)
    if not created:
        for k, v in clean.items():
            setattr(element, k, v)
    element.full_clean(exclude=["source_department"])
    element.save()
    audit.record(
        actor=actor,
        action="data.element.define",
        obj=element,
        change={"code": code, "created": created, **{k: str(v) for k, v in clean.items()}},
    )
    return element


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text("utf-8"))


@transaction.atomic
def do_seed_data_standards(*, actor) -> dict[str, int]:
    """Load the shipped data elements, classification tree and the four base resources
    (人口/法人/信用/空间地理) as published catalogue entries; re-running changes nothing."""
    counts = {"elements": 0, "catalogue": 0, "resources": 0}
    for e in _load("elements.json")["elements"]:
        values = {k: e[k] for k in ELEMENT_FIELDS if k in e}
        element, created = DataElement.objects.get_or_create(code=e["code"], defaults=values)
        counts["elements"] += created
        if element.source_department_id is None and e.get("source"):
            source = _city_department(e["source"])
            if source is not None:
                element.source_department = source
                element.save(update_fields=["source_department"])
    data = _load("catalogue.json")
    for c in data["catalogue"]:
        _, created = Catalogue.objects.get_or_create(
            code=c["code"],
            defaults={
                "name": c["name"],
                "level": c["level"],
                "kind": c["kind"],
                "parent": Catalogue.objects.filter(code=c.get("parent", "")).first(),
            },
        )
        counts["catalogue"] += created
    today = timezone.localdate()
    elements = {e.code: e for e in DataElement.objects.all()}
    for r in data["resources"]:
        provider = _city_department(r["provider"])
        if provider is None or DataResource.objects.filter(code=r["code"]).exists():
            continue
        check_grade(r["grade"], r.get("level"), [elements[i[1]] for i in r["items"]])
        catalogue = Catalogue.objects.get(code=r["catalogue"])
        resource = DataResource.objects.create(
            code=r["code"],
            version=1,
            status=DataResource.Status.PUBLISHED,
            catalogue=catalogue,
            kind=catalogue.kind,
            name=r["name"],
            provider=provider,
            abstract=r.get("abstract", ""),
            registry=r.get("registry", ""),
            share_type=r["share_type"],
            share_condition=r.get("share_condition", ""),
            open_type=r["open_type"],
            open_condition=r.get("open_condition", ""),
            update_cycle=r["update_cycle"],
            grade=r["grade"],
            level=r.get("level"),
            graded_at=today,
            publish_date=today,
        )
        DataItem.objects.bulk_create(
            DataItem(
                resource=resource,
                position=i,
                name=name,
                data_type=elements[code].data_type,
                element=elements[code],
                field=field,
                required=required,
                is_key=key,
            )
            for i, (name, code, field, required, key) in enumerate(r["items"], start=1)
        )
        counts["resources"] += 1
    from yiwang.data.actions.defined import seed_builtin_definitions

    counts["registries"] = seed_builtin_definitions()
    audit.record(
        actor=actor, action="data.standards.seed", obj=("data", "standards"), change=counts
    )
    return counts
