"""The base registries (基础库) seen from outside: which model backs each registry, its
natural key, how to find records by key, and the one write primitive every loader and
correction uses — ``apply_rows`` — which keeps provenance, history and authority."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils import timezone

from yiwang.core.fields import BlindIndexField, assign_row_ids, bulk_update, index_for
from yiwang.core.identifiers import id_birth_date
from yiwang.core.models import Department
from yiwang.data.models import (
    Conflict,
    CreditRecord,
    LegalEntity,
    Person,
    Place,
    RecordHistory,
    RegistryRecord,
)
from yiwang.data.standards import display


@dataclass(frozen=True)
class RegistrySpec:
    """How one registry is stored: model, natural key, and which key is blind-indexed."""

    code: str
    model: type[RegistryRecord]
    key: str
    blind_key: bool = False  # the key is encrypted: look it up through its blind index
    fk_fields: frozenset[str] = field(default_factory=frozenset)  # "division" → division_id

    def fields(self) -> list[str]:
        """Registry fields a data item may fill (the model's own, not provenance)."""
        skip = {
            "id",
            "source_resource",
            "source_department",
            "batch",
            "version",
            "sources",
            "created_at",
            "updated_at",
        }
        return [
            f.name
            for f in self.model._meta.concrete_fields
            if f.name not in skip and not f.name.endswith("_index")
        ]

    def key_filter(self, values: Iterable[str]) -> models.Q:
        values = list(values)
        if self.blind_key:
            return models.Q(
                **{f"{self.key}_index__in": [index_for(self.model, self.key, v) for v in values]}
            )
        return models.Q(**{f"{self.key}__in": values})

    def get(self, key: str):
        """The record with this natural key, or None."""
        return self.model._default_manager.filter(self.key_filter([key])).first()


REGISTRIES: dict[str, RegistrySpec] = {
    "person": RegistrySpec("person", Person, "id_number", True, frozenset({"division"})),
    "legal_entity": RegistrySpec(
        "legal_entity", LegalEntity, "credit_code", False, frozenset({"division"})
    ),
    "credit": RegistrySpec("credit", CreditRecord, "record_number"),
    "place": RegistrySpec("place", Place, "code", False, frozenset({"division"})),
}


def spec(code: str) -> RegistrySpec:
    return REGISTRIES[code]


def derive(registry: str, row: dict[str, Any]) -> dict[str, Any]:
    """Fill what the key itself says when a row leaves it out (birth date and sex from
    the ID number; entity type from the credit code)."""
    if registry == "person" and row.get("id_number"):
        idn = row["id_number"]
        if row.get("birth_date") is None:
            row["birth_date"] = id_birth_date(idn)
        if not row.get("gender"):
            row["gender"] = "1" if int(idn[16]) % 2 else "2"
    elif registry == "legal_entity" and row.get("credit_code") and not row.get("entity_type"):
        row["entity_type"] = row["credit_code"][:2]
    return row


def get_value(record, name: str) -> Any:
    """A record's value for a registry field (FK fields give their key, e.g. a code)."""
    if name in spec_of(record).fk_fields:
        return getattr(record, f"{name}_id")
    return getattr(record, name)


def spec_of(record) -> RegistrySpec:
    for s in REGISTRIES.values():
        if isinstance(record, s.model):
            return s
    raise LookupError(type(record).__name__)


def _set(record, s: RegistrySpec, name: str, value: Any) -> None:
    setattr(record, f"{name}_id" if name in s.fk_fields else name, value)


def field_source(record, name: str) -> int:
    """The department whose value ``record.<name>`` holds."""
    return int(record.sources.get(name, record.source_department_id))


@dataclass
class Authority:
    """Which department lines are authoritative for which fields of a resource: a
    department is authoritative when it is the element's source or on its line (条线)."""

    lines: dict[str, str]  # field → line of the element's source department
    departments: dict[str, int]  # field → the element's source department id
    elements: dict[str, int]  # field → element id

    @classmethod
    def for_resource(cls, resource) -> Authority:
        lines, deps, elements = {}, {}, {}
        for item in resource.items.select_related("element__source_department"):
            if not item.field:
                continue
            elements[item.field] = item.element_id
            src = item.element.source_department
            if src is not None:
                lines[item.field] = src.line
                deps[item.field] = src.id
        return cls(lines, deps, elements)

    def is_authority(self, name: str, department: Department) -> bool:
        line = self.lines.get(name)
        return line is None or department.line == line

    def is_authority_id(self, name: str, department_id: int, line_of: dict[int, str]) -> bool:
        line = self.lines.get(name)
        return line is None or line_of.get(department_id) == line


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0


def _line_map(ids: Iterable[int]) -> dict[int, str]:
    return dict(Department.objects.filter(id__in=set(ids)).values_list("id", "line"))


def _not_yet_open(registry: str, department, found: list[Conflict]) -> list[Conflict]:
    """Drop conflicts this department already has open for the same record, field and
    values: re-importing the same rows raises nothing new (values are encrypted, so the
    comparison happens here, not in SQL)."""
    if not found:
        return found
    open_ = {
        (c.record_id, c.field, c.authoritative_value, c.other_value)
        for c in Conflict.objects.filter(
            registry=registry,
            department=department,
            status=Conflict.Status.OPEN,
            record_id__in={c.record_id for c in found},
        )
    }
    return [
        c
        for c in found
        if (c.record_id, c.field, c.authoritative_value, c.other_value) not in open_
    ]


def apply_rows(
    *,
    registry: str,
    rows: list[dict[str, Any]],
    resource,
    department: Department,
    batch=None,
    authority: Authority | None = None,
    reason: str = "import",
    now=None,
) -> Outcome:
    """Upsert already-checked rows (registry field → value) by natural key, in bulk.

    New keys are created; changed fields are written when ``department`` is their
    authority or no authority holds them yet, and the old values go to history (version
    + 1); a non-authoritative value that differs from an authority's becomes a
    ``Conflict`` and the authoritative value stays. Re-applying the same rows changes
    nothing. Call inside a transaction."""
    s = REGISTRIES[registry]
    out = Outcome()
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:  # a key repeated within the chunk: the last row wins, once
        latest[display(row[s.key])] = row
    existing = {
        display(getattr(r, s.key)): r for r in s.model._default_manager.filter(s.key_filter(latest))
    }
    run = _Upsert(
        registry=registry,
        spec=s,
        resource=resource,
        department=department,
        batch=batch,
        authority=authority or Authority.for_resource(resource),
        reason=reason,
        now=now or timezone.now(),
        line_of=_line_map(
            [department.id]
            + [
                int(d)
                for r in existing.values()
                for d in (r.source_department_id, *r.sources.values())
            ]
        ),
    )
    new, changed, history = [], [], []
    for key, row in latest.items():
        record = existing.get(key)
        if record is None:
            new.append(run.new_record(row))
            continue
        old_values = run.merge(record, row)
        if not old_values:
            out.unchanged += 1
            continue
        history.append(run.history(record, old_values))
        run.restamp(record)
        changed.append(record)
    # Primary keys first, one query per table: encrypted values are bound to their rows.
    if new:
        assign_row_ids(new)
        s.model._default_manager.bulk_create(new, batch_size=500)
    if changed:
        _save_changed(s, changed)
    if history:
        assign_row_ids(history)
        RecordHistory.objects.bulk_create(history, batch_size=500)
    conflicts = _not_yet_open(registry, department, run.conflicts)
    if conflicts:
        assign_row_ids(conflicts)
        Conflict.objects.bulk_create(conflicts, batch_size=500)
    out.created, out.updated, out.conflicts = len(new), len(changed), len(conflicts)
    out.unchanged += len(rows) - len(latest)
    return out


@dataclass
class _Upsert:
    """One ``apply_rows`` call: who writes (``department`` through ``resource``, in
    ``batch``), the 权威来源 (authority) that decides each field, and the conflicts
    found so far. ``line_of`` maps department id → its 条线 (line), which the authority
    rules compare."""

    registry: str
    spec: Any
    resource: Any
    department: Department
    batch: Any
    authority: Authority
    reason: str
    now: Any
    line_of: dict[int, str]
    conflicts: list[Conflict] = field(default_factory=list)

    def new_record(self, row: dict[str, Any]) -> Any:
        """A record for a key not yet in the registry, version 1, from the row's
        non-empty values."""
        record = self.spec.model(
            source_resource=self.resource,
            source_department=self.department,
            batch=self.batch,
            version=1,
            sources={},
            created_at=self.now,
            updated_at=self.now,
        )
        for name, value in row.items():
            if value is not None:
                _set(record, self.spec, name, value)
        return record

    def merge(self, record: Any, row: dict[str, Any]) -> dict[str, str]:
        """Write the row's changed values into ``record`` where this department may
        (the field is empty, this department is its authority, or its holder is not);
        otherwise note a Conflict and keep the authoritative value. Returns the old
        values of the fields written (empty: nothing changed)."""
        old_values: dict[str, str] = {}
        for name, value in row.items():
            if value is None or name == self.spec.key:
                continue
            current = get_value(record, name)
            if display(current) == display(value):
                continue
            holder = field_source(record, name)
            if (
                current in (None, "")
                or self.authority.is_authority(name, self.department)
                or not self.authority.is_authority_id(name, holder, self.line_of)
            ):
                old_values[name] = display(current)
                _set(record, self.spec, name, value)
                record.sources[name] = self.department.id
            else:
                self.conflicts.append(
                    Conflict(
                        registry=self.registry,
                        record_id=record.pk,
                        field=name,
                        element_id=self.authority.elements.get(name),
                        authoritative_value=display(current),
                        other_value=display(value),
                        authority_id=holder,
                        department=self.department,
                        batch=self.batch,
                    )
                )
        return old_values

    def history(self, record: Any, old_values: dict[str, str]) -> RecordHistory:
        """The history entry (历史版本) keeping the values a change replaces."""
        return RecordHistory(
            registry=self.registry,
            record_id=record.pk,
            version=record.version,
            values=json.dumps(old_values, ensure_ascii=False),
            source_department_id=record.source_department_id,
            batch_id=record.batch_id,
            replaced_at=self.now,
            replaced_by=self.reason,
        )

    def restamp(self, record: Any) -> None:
        """Provenance of the record as a whole: the latest writer; per-field holders stay
        in ``sources`` (compacted: fields held by the record's department are implicit).
        The version goes up by one."""
        department_id = self.department.id
        previous = record.source_department_id
        for name in self.spec.fields():
            if name not in record.sources and previous != department_id:
                if get_value(record, name) not in (None, ""):
                    record.sources[name] = previous
        record.sources = {k: v for k, v in record.sources.items() if int(v) != department_id}
        record.source_department = self.department
        record.source_resource = self.resource
        record.batch = self.batch
        record.version += 1
        record.updated_at = self.now


def _save_changed(s: Any, changed: list) -> None:
    """Save changed records in bulk: ``fields.bulk_update`` refreshes the blind indexes
    (盲索引) and seals the encrypted values for their rows (bulk_update runs no pre_save)."""
    blind = [f for f in s.model._meta.fields if isinstance(f, BlindIndexField)]
    names = [n for n in s.fields() if n != s.key] + [f.name for f in blind]
    bulk_update(
        s.model.objects,
        changed,
        [
            *names,
            "sources",
            "source_department",
            "source_resource",
            "batch",
            "version",
            "updated_at",
        ],
        batch_size=500,
    )
