"""基础库 reads shared by the pages and the API: which registries a user may search, the
records matching a natural key, one record with its provenance and the history of every
value — personal values masked (脱敏) unless the caller passes the clear values that
``do_reveal_record`` logged — and the places of 空间地理库 for a map."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from yiwang.core.fields import index_for
from yiwang.core.masking import mask_address, mask_id_number, mask_name, mask_phone
from yiwang.core.models import Department
from yiwang.core.paging import capped_count, estimated_rows
from yiwang.data import access, geo
from yiwang.data.actions.objections import field_label, live_resource, registry_label
from yiwang.data.models import ImportBatch, RecordHistory
from yiwang.data.registry import REGISTRIES, field_source, get_value
from yiwang.data.standards import display

MAX_POINTS = 5000


def _mask_date(v: str) -> str:
    return v[:4] + "-**-**" if v else ""


def _mask_all(v: str) -> str:
    return "*" * len(v or "")


# Personal fields per registry and how each is masked (脱敏) by default.
PERSONAL: dict[str, dict[str, Callable[[str], str]]] = {
    "person": {
        "id_number": mask_id_number,
        "name": mask_name,
        "address": mask_address,
        "phone": mask_phone,
        "birth_date": _mask_date,
        "ethnicity": _mask_all,
    },
    "legal_entity": {"legal_rep_name": mask_name, "legal_rep_id": mask_id_number},
}


def mask_value(registry: str, field: str, value: str) -> str:
    """A registry value as shown by default: personal fields masked."""
    masker = PERSONAL.get(registry, {}).get(field)
    return masker(value) if masker and value else value


def visible_registry(user, registry: str) -> str:
    """The registry code if this user may see it; the same 404 as an unknown one."""
    if registry not in REGISTRIES or registry not in access.registry_codes(user):
        raise Http404(_("未找到该记录，或您无权查看。"))
    return registry


# The 基础库 index counts each registry's records up to here (a few milliseconds); a
# registry larger than that is told by the database's estimate of its size, or "100000+"
# for a reach that is only part of it.
SIZE_CAP = 100_000


def registry_size(user, registry: str) -> tuple[int, bool]:
    """(records, exact): counted up to ``SIZE_CAP``; beyond, the table's estimated size
    when the user reads the whole registry, else ``SIZE_CAP``."""
    counted = capped_count(access.registry_records(user, registry), SIZE_CAP)
    if not counted.more:
        return counted.n, True
    estimate = None
    if access.reads_whole_registry(user, registry):
        estimate = estimated_rows(REGISTRIES[registry].model)
    return max(estimate or 0, SIZE_CAP), False


def registry_rows(user) -> list[dict[str, Any]]:
    """The registries this user may look into, with their names and sizes (exact, or
    ``exact`` False: about so many, see ``registry_size``)."""
    codes = access.registry_codes(user)
    rows = []
    for code in REGISTRIES:
        if code not in codes:
            continue
        count, exact = registry_size(user, code)
        rows.append({"code": code, "name": registry_label(code), "count": count, "exact": exact})
    return rows


# Search results, newest change first (then id): each searchable registry has an index
# on (updated_at, id), so a page is read in order from its cursor.
SEARCH_ORDER = ("updated_at",)
CREDIT_CODE = re.compile(r"[0-9A-Z]{18}")
PLACE_CODE = re.compile(r"[0-9A-Za-z]+")


def search(user, registry: str, q: str) -> QuerySet:
    """Records matching ``q`` by natural key: an ID number through its blind index, a
    credit code, record number or place code exactly (each a unique index) — or, for
    text that is not a code, entities and places whose name contains it. A name search
    cannot use an index: it reads the registry's names newest first until a page is
    full (a rare word reads the whole registry's names, never more)."""
    visible_registry(user, registry)
    s = REGISTRIES[registry]
    qs = access.registry_records(user, registry)
    q = (q or "").strip()[:200]
    if not q:
        return qs if registry != "person" else qs.none()
    if registry == "person":
        return qs.filter(id_number_index=index_for(s.model, "id_number", q.upper()))
    if registry == "legal_entity":
        if CREDIT_CODE.fullmatch(q.upper()):
            return qs.filter(credit_code=q.upper())
        return qs.filter(name__icontains=q)
    if registry == "credit":
        return qs.filter(Q(record_number=q) | Q(subject_code=q.upper()))
    if PLACE_CODE.fullmatch(q):
        return qs.filter(code=q)
    return qs.filter(name__icontains=q)


def get_record(user, registry: str, pk: int):
    """One record the user may see, or 404."""
    visible_registry(user, registry)
    record = access.registry_records(user, registry).filter(pk=pk).first()
    if record is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    return record


def summary(registry: str, record, crs: str = geo.WGS84) -> dict[str, Any]:
    """A record as lists show it (masked): key, a title and when it last changed."""
    s = REGISTRIES[registry]
    key = display(get_value(record, s.key))
    title = {
        "person": lambda r: mask_name(r.name),
        "legal_entity": lambda r: r.name,
        "credit": lambda r: f"{r.subject_name} · {r.title}",
        "place": lambda r: r.name,
    }[registry](record)
    out = {
        "id": record.pk,
        "key": mask_value(registry, s.key, key),
        "title": title,
        "version": record.version,
        "updated_at": record.updated_at,
    }
    if registry == "place":
        out["longitude"], out["latitude"] = geo.to_crs(record.longitude, record.latitude, crs)
    return out


def _departments(ids) -> dict[int, str]:
    return dict(Department.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


def _code_lists(registry: str) -> dict[str, dict[str, str]]:
    """field → its data element's code list (代码表), to show 2 as 2（女）."""
    resource = live_resource(registry)
    if resource is None:
        return {}
    return {
        item.field: item.element.code_list
        for item in resource.items.select_related("element")
        if item.field and isinstance(item.element.code_list, dict) and item.element.code_list
    }


def _value_row(
    registry: str,
    record,
    name: str,
    crs: str,
    codes: dict,
    deps: dict,
    clear: dict[str, str] | None,
) -> dict[str, Any]:
    """One field of a record as shown: place coordinates in the asked reference system,
    a code with its meaning from the code list (代码表), a personal field masked (脱敏)
    unless revealed (``clear`` holds the revealed values, None when nothing is), and the
    department the value came from."""
    personal = PERSONAL.get(registry, {})
    raw = display(get_value(record, name))
    if name in ("longitude", "latitude") and registry == "place":
        lon, lat = geo.to_crs(record.longitude, record.latitude, crs)
        raw = display(lon if name == "longitude" else lat)
    is_personal = name in personal
    if raw and name in codes and not is_personal and raw in codes[name]:
        raw = f"{raw}（{codes[name][raw]}）"
    revealed = clear is not None
    return {
        "field": name,
        "label": field_label(registry, name),
        "value": clear.get(name, raw)
        if is_personal and clear is not None  # revealed
        else (mask_value(registry, name, raw)),
        "personal": is_personal,
        "masked": is_personal and not revealed and bool(raw),
        "source": deps.get(field_source(record, name), ""),
    }


def _history(registry: str, record, *, revealed: bool) -> list[dict[str, Any]]:
    """The record's 历史版本, newest first: the values each change replaced (personal
    ones masked unless ``revealed``), who supplied them, and when and why they went."""
    personal = PERSONAL.get(registry, {})
    history = []
    rows = list(RecordHistory.objects.filter(registry=registry, record_id=record.pk))
    hist_deps = _departments(h.source_department_id for h in rows)
    for h in reversed(rows):
        try:
            old = json.loads(h.values or "{}")
        except ValueError:
            old = {}
        history.append(
            {
                "version": h.version,
                "values": [
                    {
                        "field": k,
                        "label": field_label(registry, k),
                        "value": v
                        if (revealed or k not in personal)
                        else mask_value(registry, k, v),
                    }
                    for k, v in old.items()
                ],
                "department": hist_deps.get(h.source_department_id, ""),
                "batch": h.batch_id,
                "replaced_at": h.replaced_at,
                "reason": h.replaced_by,
            }
        )
    return history


def detail(
    registry: str, record, *, clear: dict[str, str] | None = None, crs: str = geo.WGS84
) -> dict[str, Any]:
    """Values, provenance and history of one record: personal values masked (脱敏), or
    in clear when ``clear`` is given — the values ``do_reveal_record`` returned after
    logging the reveal, so this read itself writes nothing."""
    s = REGISTRIES[registry]
    revealed = clear is not None
    clear = clear or {}
    codes = _code_lists(registry)
    deps = _departments([record.source_department_id, *map(int, record.sources.values())])
    values = [
        _value_row(registry, record, name, crs, codes, deps, clear if revealed else None)
        for name in s.fields()
    ]
    batch = (
        ImportBatch.objects.filter(pk=record.batch_id).values("pk", "created_at").first()
        if record.batch_id
        else None
    )
    history = _history(registry, record, revealed=revealed)
    return {
        "registry": registry,
        "registry_name": registry_label(registry),
        "id": record.pk,
        "crs": crs,
        "revealed": revealed,
        "values": values,
        "provenance": {
            "resource": str(record.source_resource) if record.source_resource_id else "",
            "department": deps.get(record.source_department_id, ""),
            "batch": batch["pk"] if batch else None,
            "version": record.version,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        },
        "history": history,
    }


def places_points(user, crs: str) -> list[list]:
    """[lon, lat, name] of visible places in ``crs``, for the scatter chart."""
    visible_registry(user, "place")
    out = []
    for lon, lat, name in access.registry_records(user, "place").values_list(
        "longitude", "latitude", "name"
    )[:MAX_POINTS]:
        x, y = geo.to_crs(lon, lat, crs)
        out.append([round(x, 6), round(y, 6), name])
    return out
