"""基础库 pages for staff: search a registry by its natural key, read one record with its
provenance and the history of every value — personal values masked unless revealed for
a stated purpose (logged) — and the places of 空间地理库 on a scatter chart."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from yiwang.core.access import has_perm
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.paging import KeysetPaginator
from yiwang.data import access, geo
from yiwang.data.actions.objections import registry_label
from yiwang.data.actions.reads import do_reveal_record
from yiwang.data.forms import ObjectionForm, RevealForm
from yiwang.data.queries.registries import (
    PERSONAL,
    SEARCH_ORDER,
    detail,
    get_record,
    places_points,
    registry_rows,
    search,
    summary,
    visible_registry,
)

SEARCH_HINTS = {
    "person": _lazy("公民身份号码（精确匹配）"),
    "legal_entity": _lazy("统一社会信用代码或名称"),
    "credit": _lazy("记录编号或主体统一社会信用代码"),
    "place": _lazy("地名地址编码或名称"),
}


def _crs(request: HttpRequest) -> str:
    crs = request.GET.get("crs", geo.WGS84)
    return crs if crs in geo.CRS_CHOICES else geo.WGS84


def _staff(request: AuthenticatedHttpRequest) -> None:
    access.require_data_staff(request.user, _("基础库仅对数据专员和审核人员开放。"))


@login_required
def registries(request: AuthenticatedHttpRequest) -> HttpResponse:
    """基础库 index: the registries this user may look into, with their size."""
    _staff(request)
    rows = [{**row, "hint": SEARCH_HINTS[row["code"]]} for row in registry_rows(request.user)]
    return render(request, "data/registries/index.html", {"rows": rows})


@login_required
def registry(request: AuthenticatedHttpRequest, registry: str) -> HttpResponse:
    """Search one registry by natural key, newest change first, paged by cursor;
    places also on a scatter chart."""
    _staff(request)
    visible_registry(request.user, registry)
    q = request.GET.get("q", "").strip()[:200]
    crs = _crs(request)
    page = KeysetPaginator(
        search(request.user, registry, q),
        sorts={"updated": SEARCH_ORDER},
        default="-updated",
        per_page=50,
    ).get_page(request.GET)
    rows = [summary(registry, r, crs) for r in page.object_list]
    context = {
        "registry": registry,
        "name": registry_label(registry),
        "hint": SEARCH_HINTS[registry],
        "q": q,
        "crs": crs,
        "page": page,
        "rows": rows,
        "points": places_points(request.user, crs) if registry == "place" else None,
    }
    return render(request, "data/registries/search.html", context)


@login_required
def record(request: AuthenticatedHttpRequest, registry: str, pk: int) -> HttpResponse:
    """One record: values masked by default; POST a purpose to reveal (logged)."""
    _staff(request)
    obj = get_record(request.user, registry, pk)
    form = RevealForm(request.POST if request.method == "POST" else None)
    status = 200
    clear = None
    if request.method == "POST":
        if form.is_valid():  # without personal.unmask, reveal's refusal is a 403 page
            clear = do_reveal_record(
                actor=request.user,
                registry=registry,
                record=obj,
                purpose=form.cleaned_data["purpose"],
            )
        else:
            status = 400
    info = detail(registry, obj, clear=clear, crs=_crs(request))
    can_object = has_perm(request.user, "data.manage")
    context = {
        **info,
        "record": obj,
        "form": form,
        "can_reveal": bool(PERSONAL.get(registry)) and has_perm(request.user, "personal.unmask"),
        "has_personal": bool(PERSONAL.get(registry)),
        "can_object": can_object,
        "objection_form": ObjectionForm(
            initial={"registry": registry, "record": obj.pk}, registry=registry, auto_id="obj-%s"
        )
        if can_object
        else None,
    }
    return render(request, "data/registries/record.html", context, status=status)


urlpatterns = [
    path("registries/", registries, name="registries"),
    path("registries/<slug:registry>/", registry, name="registry"),
    path("registries/<slug:registry>/<int:pk>/", record, name="record"),
]
