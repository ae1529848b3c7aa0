"""电子印章 pages for department administrators: the seals of their department (make one,
see its image, seal data and every use, disable it)."""

from __future__ import annotations

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
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.licences import access
from yiwang.licences.actions.seals import do_create_seal, do_disable_seal
from yiwang.licences.forms import SealCreateForm, SealDisableForm
from yiwang.licences.sealing import maker_signature_ok


def _admin(request: AuthenticatedHttpRequest) -> None:
    access.require_staff_with(request.user, "seal.manage", _("电子印章管理仅对部门管理员开放。"))


@login_required
def seal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The seals of the departments one manages, and the form to make a new one; a
    refused one shows the form again with the error summary, each message on its field
    and the input kept."""
    _admin(request)
    departments = access.issuing_departments(request.user, "seal.manage")
    form = SealCreateForm(
        request.POST if request.method == "POST" else None, departments=departments
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                seal = do_create_seal(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(request, _("已制作电子印章：%s") % seal.code)
                return redirect("licences:seal", pk=seal.pk)
    seals = access.seals(request.user).select_related("owner")
    return render(request, "licences/seal_list.html", {"seals": seals, "form": form}, status=status)


@login_required
def seal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One seal: image, seal data and the maker's signature check, its use log; POST
    disables it with a reason (a refused one shows the reason again, with its error)."""
    _admin(request)
    seal = pick(access.seals(request.user).select_related("owner"), pk)
    form = SealDisableForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                do_disable_seal(actor=request.user, seal=seal, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
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
            "form": form,
        },
        status=status,
    )


urlpatterns = [
    path("seals/", seal_list, name="seals"),
    path("seals/<int:pk>/", seal_detail, name="seal"),
]
