"""自定义名册 pages for data stewards: the registries defined by schema (and the base
registries beside them), a form to define or change one from a JSON Schema with its
owner department, data grade and masking per field, a registry's fields and latest
records (personal values masked), and stopping it."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.access import departments_in_scope
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.data import access
from yiwang.data.actions.defined import Definition, do_archive_registry, do_define_registry
from yiwang.data.forms import RegistryDefineForm
from yiwang.data.models import RegistryDefinition
from yiwang.data.queries.defined import definition_rows, latest_masked


def _staff(request: AuthenticatedHttpRequest) -> None:
    access.require_data_staff(request.user, _("名册仅对数据专员和审核人员开放。"))


def _visible(request: AuthenticatedHttpRequest, pk: int) -> RegistryDefinition:
    found = access.definitions(request.user).select_related("owner").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@login_required
def definitions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """名册: every registry the user sees, with who owns it and its grade."""
    _staff(request)
    rows = definition_rows(request.user)
    may = departments_in_scope(request.user, "data.manage").exists()
    return render(request, "data/defined/index.html", {"rows": rows, "may_define": may})


def _form_page(request, form, definition=None) -> HttpResponse:
    return render(request, "data/defined/form.html", {"form": form, "definition": definition})


@login_required
def define(request: AuthenticatedHttpRequest, pk: int | None = None) -> HttpResponse:
    """定义名册 or change one (the owner department's data steward)."""
    _staff(request)
    definition = _visible(request, pk) if pk is not None else None
    if definition is not None and not access.may_define(request.user, definition.owner):
        raise PermissionDenied(_("您不是该名册所属部门的数据专员。"))
    departments = departments_in_scope(request.user, "data.manage")
    initial = {}
    if definition is not None:
        initial = {
            "code": definition.code,
            "name": definition.name,
            "name_en": definition.name_en,
            "description": definition.description,
            "owner": definition.owner_id,
            "grade": definition.grade,
            "schema": json.dumps(definition.schema, ensure_ascii=False, indent=2),
        }
    form = RegistryDefineForm(request.POST or None, initial=initial, departments=departments)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            saved = do_define_registry(
                actor=request.user,
                values=Definition(
                    code=definition.code if definition else c["code"],
                    name=c["name"],
                    name_en=c["name_en"],
                    description=c["description"],
                    grade=c["grade"],
                ),
                schema=c["schema"],
                owner=c["owner"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return _form_page(request, form, definition)
        return redirect("data:definition", pk=saved.pk)
    return _form_page(request, form, definition)


@login_required
def definition(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One registry: its fields (grade, masking) and latest records, masked."""
    _staff(request)
    d = _visible(request, pk)
    records = [] if d.builtin else latest_masked(d)
    columns = [f["name"] for f in d.fields]
    rows = [[r.get(c, "") for c in columns] for r in records]
    return render(
        request,
        "data/defined/detail.html",
        {
            "d": d,
            "rows": rows,
            "columns": columns,
            "may_define": access.may_define(request.user, d.owner),
        },
    )


@login_required
@require_POST
def stop(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """停用名册 (its owner's steward); records are kept."""
    _staff(request)
    do_archive_registry(actor=request.user, definition=_visible(request, pk))
    return redirect("data:definitions")


urlpatterns = [
    path("definitions/", definitions, name="definitions"),
    path("definitions/new/", define, name="definition-new"),
    path("definitions/<int:pk>/", definition, name="definition"),
    path("definitions/<int:pk>/edit/", define, name="definition-edit"),
    path("definitions/<int:pk>/stop/", stop, name="definition-stop"),
]
