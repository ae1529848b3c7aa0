"""Writes through the exchange: an authoritative provider system creates or updates
registry records (GovStack create/update) through ``apply_rows``, so provenance, history,
authority and conflicts apply exactly as for imports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.errors import Conflict, NotFound
from yiwang.data.models import ShareGrant
from yiwang.data.registry import REGISTRIES, apply_rows, derive
from yiwang.data.standards import check_value, display


class NotAuthoritative(Exception):
    """The calling system's department does not provide this registry."""


def is_provider_system(grant: ShareGrant) -> bool:
    """Only the resource's own provider department writes through the exchange."""
    return grant.consumer_id == grant.resource.provider_id


def clean_row(grant: ShareGrant, registry: str, content: dict[str, Any]) -> dict[str, Any]:
    """Check each value against its data element; fields outside the grant are refused."""
    items = {i.field: i for i in grant.resource.items.select_related("element") if i.field}
    allowed = {i.field for i in items.values() if i.name in set(grant.fields)}
    errors: dict[str, list[str]] = {}
    row: dict[str, Any] = {}
    for name, raw in content.items():
        if name not in allowed:
            errors.setdefault(name, []).append(_("该信息项不在共享授权范围内。"))
            continue
        try:
            row[name] = check_value(items[name].element, raw)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
    key = REGISTRIES[registry].key
    if not row.get(key):
        errors.setdefault(key, []).append(_("缺少记录主键。"))
    if errors:
        raise ValidationError(errors, code="invalid")
    return derive(registry, row)


@transaction.atomic
def do_write_record(
    *, actor, grant: ShareGrant, registry: str, content: dict[str, Any], mode: str, client_id: str
) -> Any:
    """Create (``mode="create"``, the key must be new) or update (``"update"``, the key
    must exist) one registry record on behalf of an authoritative provider system."""
    if not is_provider_system(grant):
        raise NotAuthoritative
    s = REGISTRIES[registry]
    row = clean_row(grant, registry, content)
    existing = s.get(display(row[s.key]))
    if mode == "create" and existing is not None:
        raise Conflict(_("该记录已存在。"), code="exists")
    if mode == "update" and existing is None:
        raise NotFound(_("未找到该记录。"), code="absent")
    outcome = apply_rows(
        registry=registry,
        rows=[row],
        resource=grant.resource,
        department=grant.consumer,
        reason=f"exchange.{mode}",
    )
    record = s.get(display(row[s.key]))
    audit.record(
        actor=actor,
        action=f"data.exchange.{mode}",
        obj=(f"data.{registry}", record.pk),
        purpose=grant.purpose[:200],
        change={
            "grant": grant.pk,
            "fields": sorted(row),
            "client": client_id,
            "created": outcome.created,
            "updated": outcome.updated,
            "conflicts": outcome.conflicts,
        },
    )
    return record


@dataclass
class Updated:
    """What ``do_update_entries`` changed: the records it wrote and how many changed."""

    records: list
    updated: int


@transaction.atomic
def do_update_entries(
    *,
    actor,
    grant: ShareGrant,
    registry: str,
    keys: list[str],
    write: dict[str, Any],
    client_id: str,
) -> Updated:
    """GovStack update-entries over a base registry: write ``write`` into every record
    of ``keys`` (found by the caller's query), all or none, each through ``apply_rows``
    so authority, history and conflicts apply as for a single update."""
    if not is_provider_system(grant):
        raise NotAuthoritative
    s = REGISTRIES[registry]
    records, updated = [], 0
    for key in keys:
        row = clean_row(grant, registry, {**write, s.key: key})
        outcome = apply_rows(
            registry=registry,
            rows=[row],
            resource=grant.resource,
            department=grant.consumer,
            reason="exchange.update_entries",
        )
        updated += outcome.updated
        records.append(s.get(display(row[s.key])))
    audit.record(
        actor=actor,
        action="data.exchange.update_entries",
        obj=(f"data.{registry}", records[0].pk if records else "-"),
        purpose=grant.purpose[:200],
        change={
            "grant": grant.pk,
            "fields": sorted(write),
            "client": client_id,
            "updated": updated,
        },
    )
    return Updated(records, updated)
