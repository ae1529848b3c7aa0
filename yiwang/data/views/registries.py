"""基础库 pages for staff: search a registry by its natural key, read one record with its
provenance and the history of every value — personal values masked unless revealed for
a stated purpose (logged) — and the places of 空间地理库 on a scatter chart."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from yiwang.core import audit
from yiwang.core.access import has_perm
from yiwang.core.fields import index_for
from yiwang.core.masking import mask_address, mask_id_number, mask_name, mask_phone, reveal
from yiwang.core.models import Department
from yiwang.data import access, geo
from yiwang.data.actions.objections import field_label, registry_label
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

SEARCH_HINTS = {
    "person": _lazy("公民身份号码（精确匹配）"),
    "legal_entity": _lazy("统一社会信用代码或名称"),
    "credit": _lazy("记录编号或主体统一社会信用代码"),
    "place": _lazy("地名地址编码或名称"),
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


def search(user, registry: str, q: str) -> QuerySet:
    """Records matching ``q`` by natural key (ID numbers through their blind index)."""
    visible_registry(user, registry)
    s = REGISTRIES[registry]
    qs = access.registry_records(user, registry).order_by("-updated_at", "-id")
    q = (q or "").strip()[:200]
    if not q:
        return qs if registry != "person" else qs.none()
    if registry == "person":
        return qs.filter(id_number_index=index_for(s.model, "id_number", q.upper()))
    if registry == "legal_entity":
        return qs.filter(Q(credit_code=q.upper()) | Q(name__icontains=q))
    if registry == "credit":
        return qs.filter(Q(record_number=q) | Q(subject_code=q.upper()))
    return qs.filter(Q(code=q) | Q(name__icontains=q))


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
    from yiwang.data.actions.objections import live_resource

    resource = live_resource(registry)
    if resource is None:
        return {}
    return {
        item.field: item.element.code_list
        for item in resource.items.select_related("element")
        if item.field and isinstance(item.element.code_list, dict) and item.element.code_list
    }


def detail(
    user, registry: str, record, *, purpose: str = "", crs: str = geo.WGS84
) -> dict[str, Any]:
    """Values (masked, or clear for every personal field when ``purpose`` is given and
    allowed — each reveal logged), provenance and history of one record."""
    s = REGISTRIES[registry]
    personal = PERSONAL.get(registry, {})
    clear: dict[str, str] = {}
    if purpose:
        for name in personal:
            clear[name] = display(reveal(user, record, name, purpose))
    names = s.fields()
    codes = _code_lists(registry)
    deps = _departments([record.source_department_id, *map(int, record.sources.values())])
    values = []
    for name in names:
        raw = display(get_value(record, name))
        if name in ("longitude", "latitude") and registry == "place":
            lon, lat = geo.to_crs(record.longitude, record.latitude, crs)
            raw = display(lon if name == "longitude" else lat)
        is_personal = name in personal
        if raw and name in codes and not is_personal and raw in codes[name]:
            raw = f"{raw}（{codes[name][raw]}）"
        values.append(
            {
                "field": name,
                "label": field_label(registry, name),
                "value": clear.get(name, raw)
                if is_personal and purpose
                else (mask_value(registry, name, raw)),
                "personal": is_personal,
                "masked": is_personal and not purpose and bool(raw),
                "source": deps.get(field_source(record, name), ""),
            }
        )
    batch = (
        ImportBatch.objects.filter(pk=record.batch_id).values("pk", "created_at").first()
        if record.batch_id
        else None
    )
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
                        if (purpose or k not in personal)
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
    if purpose and history:
        audit.record(
            actor=user,
            action="data.registry.history_unmask",
            obj=(f"data.{s.model._meta.model_name}", record.pk),
            purpose=purpose,
        )
    return {
        "registry": registry,
        "registry_name": registry_label(registry),
        "id": record.pk,
        "crs": crs,
        "revealed": bool(purpose),
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


def _crs(request: HttpRequest) -> str:
    crs = request.GET.get("crs", geo.WGS84)
    return crs if crs in geo.CRS_CHOICES else geo.WGS84


def _staff(request: HttpRequest) -> None:
    if request.user.kind != "staff" or not has_perm(request.user, "data.view"):
        raise PermissionDenied(_("基础库仅对数据专员和审核人员开放。"))


@login_required
def registries(request: HttpRequest) -> HttpResponse:
    """基础库 index: the registries this user may look into, with their size."""
    _staff(request)
    codes = access.registry_codes(request.user)
    rows = [
        {
            "code": code,
            "name": registry_label(code),
            "count": access.registry_records(request.user, code).count(),
            "hint": SEARCH_HINTS[code],
        }
        for code in REGISTRIES
        if code in codes
    ]
    return render(request, "data/registries/index.html", {"rows": rows})


@login_required
def registry(request: HttpRequest, registry: str) -> HttpResponse:
    """Search one registry by natural key; places also on a scatter chart."""
    _staff(request)
    visible_registry(request.user, registry)
    q = request.GET.get("q", "").strip()[:200]
    crs = _crs(request)
    page = Paginator(search(request.user, registry, q), 50).get_page(request.GET.get("page"))
    rows = [summary(registry, r, crs) for r in page.object_list]
    context = {
        "registry": registry,
        "name": registry_label(registry),
        "hint": SEARCH_HINTS[registry],
        "q": q,
        "crs": crs,
        "page": page,
        "rows": rows,
        "query": f"q={q}&crs={crs}" if q else f"crs={crs}",
        "points": places_points(request.user, crs) if registry == "place" else None,
    }
    return render(request, "data/registries/search.html", context)


@login_required
def record(request: HttpRequest, registry: str, pk: int) -> HttpResponse:
    """One record: values masked by default; POST a purpose to reveal (logged)."""
    _staff(request)
    obj = get_record(request.user, registry, pk)
    purpose = ""
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        purpose = request.POST.get("purpose", "").strip()[:200]
        if not purpose:
            errors.append(_("查看完整个人信息须说明用途。"))
            status = 400
    crs = _crs(request)
    try:
        info = detail(request.user, registry, obj, purpose=purpose if not errors else "", crs=crs)
    except PermissionDenied as exc:
        errors.append(str(exc))
        status = 403
        info = detail(request.user, registry, obj, crs=crs)
    can_object = has_perm(request.user, "data.manage")
    context = {
        **info,
        "record": obj,
        "errors": errors,
        "can_reveal": bool(PERSONAL.get(registry)) and has_perm(request.user, "personal.unmask"),
        "has_personal": bool(PERSONAL.get(registry)),
        "can_object": can_object,
        "objectable": [v for v in info["values"] if v["field"] != REGISTRIES[registry].key],
    }
    return render(request, "data/registries/record.html", context, status=status)


urlpatterns = [
    path("registries/", registries, name="registries"),
    path("registries/<slug:registry>/", registry, name="registry"),
    path("registries/<slug:registry>/<int:pk>/", record, name="record"),
]
