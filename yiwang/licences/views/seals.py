"""电子印章 pages for department administrators: the seals of their department (make one,
see its image, seal data and every use, disable it)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from yiwang.core.access import pick
from yiwang.core.errors import status_of
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.licences import access
from yiwang.licences.actions.seals import do_create_seal, do_disable_seal
from yiwang.licences.models import Seal
from yiwang.licences.sealing import maker_signature_ok


def _admin(request: AuthenticatedHttpRequest) -> None:
    access.require_staff_with(request.user, "seal.manage", _("电子印章管理仅对部门管理员开放。"))


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


@login_required
def seal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The seals of the departments one manages, and the form to make a new one."""
    _admin(request)
    departments = access.issuing_departments(request.user, "seal.manage")
    form = {k: request.POST.get(k, "") for k in ("department", "kind", "name", "valid_until")}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        department = next((d for d in departments if str(d.pk) == form["department"]), None)
        until = None
        if form["valid_until"]:
            try:
                until = dt.date.fromisoformat(form["valid_until"])
            except ValueError:
                errors["valid_until"] = [_("日期格式应为 YYYY-MM-DD。")]
        if department is None:
            errors["department"] = [_("请选择用章部门。")]
        if not errors and department is not None:
            try:
                seal = do_create_seal(
                    actor=request.user,
                    department=department,
                    kind=form["kind"],
                    name=form["name"],
                    valid_until=until,
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, _("已制作电子印章：%s") % seal.code)
                return redirect("licences:seal", pk=seal.pk)
        status = 400
    seals = access.seals(request.user).select_related("owner")
    return render(
        request,
        "licences/seal_list.html",
        {
            "seals": seals,
            "departments": departments,
            "kinds": Seal.Kind.choices,
            "form": form,
            "errors": errors,
        },
        status=status,
    )


@login_required
def seal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One seal: image, seal data and the maker's signature check, its use log; POST
    disables it with a reason."""
    _admin(request)
    seal = pick(access.seals(request.user).select_related("owner"), pk)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            do_disable_seal(actor=request.user, seal=seal, reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            errors, status = _errors(exc), status_of(exc)
        else:
            messages.success(request, _("印章已停用。"))
            return redirect("licences:seal", pk=pk)
    usages = Paginator(seal.usages.select_related("licence"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "licences/seal_detail.html",
        {
            "seal": seal,
            "page": usages,
            "maker_ok": maker_signature_ok(seal.seal_data, seal.maker_signature),
            "errors": errors,
        },
        status=status,
    )


urlpatterns = [
    path("seals/", seal_list, name="seals"),
    path("seals/<int:pk>/", seal_detail, name="seal"),
]
