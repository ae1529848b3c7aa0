"""自定义名册: define, change and stop a registry described by a JSON Schema (the
owner department's data steward), and write its records on behalf of the owner's
systems (GovStack create, update, update-entries, update-or-create, delete). Each
definition publishes a catalogue resource (目录) whose items are the fields, so share
requests and grants work over it exactly as over the base registries; every record
change keeps the replaced values in ``RecordHistory`` and goes to the ledger."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.errors import Conflict, Forbidden, Invalid, NotFound
from yiwang.core.fields import assign_row_ids
from yiwang.core.models import Department
from yiwang.data import access
from yiwang.data import defined as dr
from yiwang.data.actions.catalogue import check_grade, minimum_level
from yiwang.data.models import (
    Catalogue,
    DataElement,
    DataItem,
    DataResource,
    DefinedRecord,
    Grade,
    RecordHistory,
    RegistryDefinition,
    ShareGrant,
)
from yiwang.data.registry import REGISTRIES

ELEMENT_TYPES = {
    "string": DataElement.DataType.STRING,
    "integer": DataElement.DataType.INTEGER,
    "number": DataElement.DataType.DECIMAL,
    "boolean": DataElement.DataType.BOOLEAN,
    "object": DataElement.DataType.STRING,
    "array": DataElement.DataType.STRING,
}
CATALOGUE = "3"  # 部门信息资源


def _element_type(f: dict) -> str:
    if f["format"] == "date":
        return DataElement.DataType.DATE
    if f["format"] == "date-time":
        return DataElement.DataType.DATETIME
    return ELEMENT_TYPES[f["type"]]


def _elements(definition: RegistryDefinition, fields: list[dict]) -> list[DataElement]:
    """One data element per field (数据元, source: the owner department), kept across
    versions by name; its grade (personal, sensitive) and masking follow the field."""
    out = []
    for i, f in enumerate(fields, start=1):
        name = f"{definition.code}·{f['name']}"[:60]
        values = {
            "name_en": f["title_en"][:60],
            "definition": f["title"],
            "data_type": _element_type(f),
            "max_length": f["max_length"],
            "validator": f["mask"] if f["mask"] in ("id_number", "mobile") else "",
            "personal": f["personal"],
            "sensitive": f["mask"] == "secret",
            "source_department": definition.owner,
            "standard": _("名册 %s") % definition.code,
        }
        element = DataElement.objects.filter(name=name).first()
        if element is None:
            code = f"ZR{definition.pk:05d}{i:03d}"
            while DataElement.objects.filter(code=code).exists():
                i += 1000
                code = f"ZR{definition.pk:05d}{i:03d}"
            element = DataElement.objects.create(code=code, name=name, **values)
        else:
            for k, v in values.items():
                setattr(element, k, v)
            element.save()
        out.append(element)
    return out


def _publish(definition: RegistryDefinition, fields: list[dict], level: int | None) -> None:
    """Publish the definition's catalogue resource, superseding its previous version."""
    elements = _elements(definition, fields)
    floor, _cause = minimum_level(elements)
    if definition.grade == Grade.GENERAL:
        level = max(level or floor, floor)
    check_grade(definition.grade, level, elements)
    code = f"{CATALOGUE}-{definition.code}"
    old = DataResource.objects.filter(code=code, status=DataResource.Status.PUBLISHED).first()
    version = (old.version + 1) if old is not None else 1
    if old is not None:
        old.status = DataResource.Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
    node = Catalogue.objects.filter(code=CATALOGUE).first() or Catalogue.objects.first()
    if node is None:
        raise Conflict(_("数据目录尚未初始化，不能发布名册。"), code="no_catalogue")
    personal = any(f["personal"] for f in fields)
    today = timezone.localdate()
    resource = DataResource.objects.create(
        code=code,
        version=version,
        status=DataResource.Status.PUBLISHED,
        catalogue=node,
        kind=node.kind,
        name=definition.name,
        provider=definition.owner,
        abstract=definition.description,
        registry=definition.code,
        share_type="conditional" if personal else "unconditional",
        share_condition=_("含个人信息，须说明用途和依据。") if personal else "",
        open_type="none",
        update_cycle=DataResource.UpdateCycle.REALTIME,
        grade=definition.grade,
        level=level if definition.grade == Grade.GENERAL else None,
        graded_at=today,
        publish_date=today,
    )
    DataItem.objects.bulk_create(
        DataItem(
            resource=resource,
            position=i,
            name=f["name"],
            data_type=e.data_type,
            element=e,
            field=f["name"],
            required=f["required"],
            is_key=f["primary"],
        )
        for i, (f, e) in enumerate(zip(fields, elements, strict=True), start=1)
    )
    definition.resource = resource


def _check_change(definition: RegistryDefinition, fields: list[dict], key: str) -> None:
    """A schema change may not re-grade or re-key stored values: refuse turning a field
    with records personal or plain, or moving the primary key, once records exist."""
    if not dr.records(definition).exists():
        return
    if key != definition.primary_key:
        raise Conflict(_("名册已有记录，不能更换主键字段。"), code="key_changed")
    before = {f["name"]: f["personal"] for f in definition.fields}
    for f in fields:
        if f["name"] in before and before[f["name"]] != f["personal"]:
            raise Conflict(
                _("名册已有记录，字段“%s”的个人信息分级不能改变。") % f["name"],
                code="regraded",
            )


@dataclass
class Definition:
    """What ``do_define_registry`` was given, besides the schema."""

    code: str
    name: str = ""
    name_en: str = ""
    description: str = ""
    group_name: str = ""
    catalog_name: str = ""
    grade: str = Grade.GENERAL
    level: int | None = None


@transaction.atomic
def do_define_registry(
    *, actor, values: Definition, schema: dict, owner: Department | None = None
) -> RegistryDefinition:
    """定义名册 (GovStack ``database/modify``): create the registry ``values.code`` for
    ``owner`` or change its schema (the owner's data steward, ``data.manage`` there; the
    platform's base registries are not changed this way). A change moves the version on
    and publishes a new catalogue version; records are kept."""
    code = (values.code or "").strip()
    if not dr.CODE_RE.match(code) or code in REGISTRIES:
        raise Invalid({"code": _("名册代码须为 2–16 位字母、数字、- 或 _，以字母开头。")})
    fields, key = dr.parse_schema(schema)
    definition = RegistryDefinition.objects.select_for_update().filter(code=code).first()
    if definition is not None:
        access.require_define(actor, definition.owner)
        if definition.builtin:
            raise Forbidden(_("平台基础库的结构不能修改。"), code="builtin")
        if definition.archived_at is not None:
            raise Conflict(_("该名册已停用。"), code="archived")
        if owner is not None and owner.pk != definition.owner_id:
            raise Forbidden(_("名册的所属部门不能更改。"), code="owner_changed")
        _check_change(definition, fields, key)
        before = definition.version
        definition.version = dr.next_version(definition.version)
    else:
        owner = owner or access.department_of(actor)
        if owner is None:
            raise Invalid({"owner": _("请选择名册的所属部门。")})
        access.require_define(actor, owner)
        before = None
        definition = RegistryDefinition(code=code, owner=owner, created_by=actor)
    definition.name = (values.name or definition.name or code)[:200]
    definition.name_en = (values.name_en or definition.name_en)[:200]
    definition.description = values.description or definition.description
    definition.group_name = (values.group_name or definition.group_name)[:100]
    definition.catalog_name = (values.catalog_name or definition.catalog_name)[:100]
    if values.grade not in Grade.values:
        raise Invalid({"grade": _("请选择数据级别（核心/重要/一般）。")})
    definition.grade = values.grade
    definition.schema, definition.fields, definition.primary_key = schema, fields, key
    definition.modified_by = actor
    definition.save()
    _publish(definition, fields, values.level)
    definition.save(update_fields=["resource"])
    audit.record(
        actor=actor,
        action="data.registry.define" if before is None else "data.registry.modify",
        obj=definition,
        change={
            "code": code,
            "owner": definition.owner.code,
            "grade": definition.grade,
            "version": [before, definition.version],
            "fields": [f["name"] for f in fields],
            "personal": definition.personal_fields(),
        },
    )
    return definition


@transaction.atomic
def do_archive_registry(*, actor, definition: RegistryDefinition) -> RegistryDefinition:
    """停用名册 (GovStack ``DELETE database/{id}``): the owner's steward stops the
    registry; its catalogue resource is withdrawn and its grants revoked. Records stay
    (nothing is lost) but are served no more."""
    definition = RegistryDefinition.objects.select_for_update().get(pk=definition.pk)
    access.require_define(actor, definition.owner)
    if definition.builtin:
        raise Forbidden(_("平台基础库不能删除。"), code="builtin")
    if definition.archived_at is not None:
        raise Conflict(_("该名册已停用。"), code="archived")
    now = timezone.now()
    definition.archived_at = now
    definition.modified_by = actor
    definition.save(update_fields=["archived_at", "modified_by", "modified_at"])
    DataResource.objects.filter(
        registry=definition.code, status=DataResource.Status.PUBLISHED
    ).update(status=DataResource.Status.WITHDRAWN)
    ShareGrant.objects.filter(resource__registry=definition.code, revoked_at=None).update(
        revoked_at=now
    )
    audit.record(
        actor=actor,
        action="data.registry.archive",
        obj=definition,
        change={"code": definition.code, "records": dr.records(definition).count()},
    )
    return definition


# --- records ---------------------------------------------------------------------------


def _history(definition, record: DefinedRecord, old: dict[str, Any], reason: str, now):
    return RecordHistory(
        registry=definition.code,
        record_id=record.pk,
        version=record.version,
        values=json.dumps(old, ensure_ascii=False, default=str),
        source_department_id=record.source_department_id,
        replaced_at=now,
        replaced_by=reason[:64],
    )


def _require_writer(grant: ShareGrant, definition: RegistryDefinition) -> None:
    """Only the owner department's own systems write a registry's records."""
    if grant.consumer_id != definition.owner_id:
        raise Forbidden(_("只有名册所属部门的系统可以写入。"), code="not_authoritative")


def _granted(grant_fields: set[str], content: dict[str, Any]) -> None:
    refused = [k for k in content if k not in grant_fields]
    if refused:
        raise Forbidden(
            _("以下信息项不在共享授权范围内：%s") % "、".join(str(r)[:40] for r in refused[:10]),
            code="field_not_granted",
        )


def _create(definition, values: dict[str, Any], department, now, reason: str) -> DefinedRecord:
    key = definition.primary_key
    if values.get(key) in (None, ""):
        definition.next_number += 1
        values[key] = f"{definition.code}{definition.next_number}"
        RegistryDefinition.objects.filter(pk=definition.pk).update(
            next_number=definition.next_number
        )
    if dr.records(definition).filter(key_index=dr.index_of(definition, "key", values[key])):
        raise Conflict(_("该记录已存在。"), code="exists")
    record = DefinedRecord(
        definition=definition, source_department=department, created_at=now, updated_at=now
    )
    dr.encode(definition, record, values)
    assign_row_ids([record])
    record.save(force_insert=True)
    return record


def _update(definition, record: DefinedRecord, write: dict[str, Any], now, reason) -> bool:
    """Write ``write`` into ``record``; the replaced values go to history. False when
    nothing changed."""
    current = dr.decode(record)
    old = {k: current.get(k) for k, v in write.items() if current.get(k) != v}
    if not old:
        return False
    key = definition.primary_key
    if key in old:
        clash = dr.records(definition).filter(key_index=dr.index_of(definition, "key", write[key]))
        if clash.exclude(pk=record.pk).exists():
            raise Conflict(_("该主键已被其他记录使用。"), code="exists")
    hist = _history(definition, record, old, reason, now)
    assign_row_ids([hist])
    hist.save(force_insert=True)
    dr.encode(definition, record, {**current, **write})
    record.version += 1
    record.updated_at = now
    record.save()
    return True


@dataclass
class Written:
    """What a record write did: the records written (created or changed) and counts."""

    records: list[DefinedRecord]
    created: int = 0
    updated: int = 0
    deleted: int = 0


def _match(definition, query: dict[str, Any]):
    if not query:
        raise Invalid({"query": _("请提供查询条件。")})
    return dr.records(definition).filter(dr.match_q(definition, query)).order_by("pk")


def _one(definition, query: dict[str, Any]) -> DefinedRecord | None:
    found = list(_match(definition, query)[:2])
    if len(found) > 1:
        raise Conflict(_("查询条件匹配到多条记录，请提供主键。"), code="ambiguous")
    return found[0] if found else None


def _apply(definition, mode, query, write, department, now) -> Written:
    """The write itself, by mode (see ``do_write_defined``)."""
    reason = f"exchange.{mode}"
    if mode == "create":
        values = dr.check_content(definition, write, partial=False)
        return Written([_create(definition, values, department, now, reason)], created=1)
    if mode == "delete":
        record = _one(definition, query)
        if record is None:
            raise NotFound(_("未找到该记录。"), code="absent")
        hist = _history(definition, record, dr.decode(record), "exchange.delete", now)
        assign_row_ids([hist])
        hist.save(force_insert=True)
        record.delete()
        return Written([], deleted=1)
    values = dr.check_content(definition, write, partial=True)
    if mode == "update_entries":
        matched = list(_match(definition, query)[: access.BULK_MAX + 1])
        if len(matched) > access.BULK_MAX:
            raise Invalid({"query": _("一次最多更新 %s 条记录。") % access.BULK_MAX})
        changed = [r for r in matched if _update(definition, r, values, now, reason)]
        return Written(matched, updated=len(changed))
    record = _one(definition, query) if query else None
    if record is None and mode == "update":
        raise NotFound(_("未找到该记录。"), code="absent")
    if record is None:  # update_or_create, nothing found: create from the write content
        full = dr.check_content(definition, write, partial=False)
        return Written([_create(definition, full, department, now, reason)], created=1)
    return Written([record], updated=int(_update(definition, record, values, now, reason)))


@transaction.atomic
def do_write_defined(
    *,
    actor,
    grant: ShareGrant,
    definition: RegistryDefinition,
    mode: str,
    query: dict[str, Any],
    write: dict[str, Any],
    granted: set[str],
    client_id: str,
) -> Written:
    """Write records of a defined registry for a system of its owner department:
    ``create`` (write), ``update`` (the one record matching query), ``update_entries``
    (every match, at most ``BULK_MAX``), ``update_or_create`` and ``delete`` (the one
    match; its values go to history). Fields outside the grant are refused."""
    _require_writer(grant, definition)
    _granted(granted, {**query, **write})
    definition = RegistryDefinition.objects.select_for_update().get(pk=definition.pk)
    out = _apply(definition, mode, query, write, grant.consumer, timezone.now())
    audit.record(
        actor=actor,
        action=f"data.exchange.{mode}",
        obj=(f"data.{definition.code}", out.records[0].pk if out.records else "-"),
        purpose=grant.purpose[:200],
        change={
            "grant": grant.pk,
            "fields": sorted({*query, *write}),
            "client": client_id,
            "created": out.created,
            "updated": out.updated,
            "deleted": out.deleted,
        },
    )
    return out


_JSON_TYPES = {
    "integer": "integer",
    "decimal": "number",
    "boolean": "boolean",
}


def seed_builtin_definitions() -> int:
    """The base registries' own definitions (``builtin``): their schema read from their
    published resource's items, owned by its provider, so the GovStack database API lists
    them beside the defined ones. Idempotent; returns how many were added."""
    added = 0
    for code, spec in REGISTRIES.items():
        resource = (
            DataResource.objects.filter(registry=code, status=DataResource.Status.PUBLISHED)
            .select_related("provider")
            .first()
        )
        if resource is None or RegistryDefinition.objects.filter(code=code).exists():
            continue
        props: dict[str, Any] = {}
        for item in resource.items.select_related("element").exclude(field=""):
            e = item.element
            prop: dict[str, Any] = {
                "type": _JSON_TYPES.get(e.data_type, "string"),
                "title": item.name,
                "x-title-en": e.name_en or item.field,
            }
            if e.data_type in ("date", "datetime"):
                prop["format"] = "date" if e.data_type == "date" else "date-time"
            if e.personal:
                prop["x-personal"] = True
                prop["x-mask"] = e.mask_kind()
            if item.field == spec.key:
                prop["primaryKey"] = True
            props[item.field] = prop
        schema = {
            "type": "object",
            "properties": props,
            "required": [i.field for i in resource.items.all() if i.required and i.field],
        }
        fields, key = dr.parse_schema(schema)
        RegistryDefinition.objects.create(
            code=code,
            name=str(resource.name),
            name_en=str(DataResource.Registry(code).label),
            description=resource.abstract,
            owner=resource.provider,
            grade=resource.grade,
            schema=schema,
            fields=fields,
            primary_key=key,
            builtin=True,
            resource=resource,
        )
        added += 1
    return added
