"""Staff pages of the licences room: home, the licences issued by one's department (list,
detail with history, seal use and lifecycle actions), issuing by hand, the 证照目录."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from yiwang.core.access import has_perm, pick
from yiwang.core.errors import status_of
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.licences import access
from yiwang.licences.actions.licences import (
    TRANSITIONS,
    do_change_status,
    do_issue_licence,
    open_transitions,
    resolve_type,
)
from yiwang.licences.actions.reads import do_record_licence_download, do_record_licence_view
from yiwang.licences.models import ENTITY_ID_TYPES, HolderIdType, Licence, LicenceType, Status
from yiwang.licences.queries import holder_shown
from yiwang.licences.views.wallet import pdf_response


def _staff(request: AuthenticatedHttpRequest, perm: str = "licence.view") -> None:
    access.require_staff_with(request.user, perm, _("该页面仅对有证照权限的工作人员开放。"))


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def home(request: HttpRequest) -> HttpResponse:
    """电子证照 home: verification for everyone, the wallet for holders, the staff areas
    for staff with licence or seal permissions."""
    user = request.user
    staff = getattr(user, "kind", "") == "staff"
    counts = {}
    if staff and has_perm(user, "licence.view"):
        qs = access.staff_licences(user)
        counts = {"total": qs.count(), "valid": qs.filter(status=Status.VALID).count()}
    return render(
        request,
        "licences/home.html",
        {
            "staff": staff,
            "can_view": staff and has_perm(user, "licence.view"),
            "can_issue": staff and has_perm(user, "licence.issue"),
            "can_seal": staff and has_perm(user, "seal.manage"),
            "holder": getattr(user, "kind", "") in ("citizen", "enterprise"),
            "counts": counts,
        },
    )


@login_required
def licence_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """已签发证照 of the departments in the staff member's scope, filterable."""
    _staff(request)
    qs = access.staff_licences(request.user).select_related("licence_type", "issuer")
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    type_slug = request.GET.get("type", "")
    if type_slug:
        qs = qs.filter(licence_type__slug=type_slug)
    q = request.GET.get("q", "").strip()[:128]
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(identifier=q.upper()) | Q(source=q))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [(lic, *holder_shown(lic)) for lic in page.object_list]
    query = "&".join(
        f"{k}={v}" for k, v in (("status", status), ("type", type_slug), ("q", q)) if v
    )
    return render(
        request,
        "licences/licence_list.html",
        {
            "page": page,
            "rows": rows,
            "statuses": Status.choices,
            "status": status,
            "types": LicenceType.objects.all(),
            "type_slug": type_slug,
            "q": q,
            "query": query,
            "can_issue": has_perm(request.user, "licence.issue"),
        },
    )


def _visible(request: HttpRequest, pk: int) -> Licence:
    return pick(
        access.staff_licences(request.user).select_related("licence_type", "issuer", "seal"), pk
    )


@login_required
def licence_detail(request: AuthenticatedHttpRequest, pk: int, *, errors=None, status: int = 200):
    """One licence: the record (holder in clear, the view logged), status history, seal
    use, and the lifecycle actions open to the staff member."""
    _staff(request)
    licence = _visible(request, pk)
    if request.method == "GET":
        do_record_licence_view(actor=request.user, licence=licence)
    labels = {f["key"]: f.get("label", f["key"]) for f in licence.licence_type.fields or []}
    return render(
        request,
        "licences/licence_detail.html",
        {
            "licence": licence,
            "rows": [(labels.get(k, k), v) for k, v in licence.data.items()],
            "events": licence.events.select_related("actor"),
            "usages": licence.seal_usages.select_related("seal"),
            "transitions": open_transitions(request.user, licence),
            "errors": errors or {},
            "id_type": HolderIdType(licence.holder_id_type).label
            if licence.holder_id_type in HolderIdType.values
            else licence.holder_id_type,
        },
        status=status,
    )


@login_required
def licence_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """POST: 暂扣 / 恢复 / 撤销 / 注销 / 吊销 with a reason."""
    _staff(request, "licence.manage")
    if request.method != "POST":
        return redirect("licences:licence", pk=pk)
    licence = _visible(request, pk)
    action = request.POST.get("action", "")
    try:
        do_change_status(
            actor=request.user,
            licence=licence,
            action=action,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        return licence_detail(request, pk, errors=_errors(exc), status=status_of(exc))
    label = TRANSITIONS[action].label
    messages.success(
        request, _("已%(action)s：%(number)s") % {"action": label, "number": licence.number}
    )
    return redirect("licences:licence", pk=pk)


@login_required
def licence_pdf(request: AuthenticatedHttpRequest, pk: int):
    _staff(request)
    licence = _visible(request, pk)
    do_record_licence_download(actor=request.user, licence=licence)
    return pdf_response(licence)


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _issuers_for(user, licence_type: LicenceType | None) -> list:
    """The 颁发机构 the user may issue in the name of, narrowed to the type's line."""
    departments = access.issuing_departments(user)
    if licence_type is not None:
        departments = [d for d in departments if d.line == licence_type.line]
    return departments


def _holder_id_types(licence_type: LicenceType | None) -> list:
    """The kinds of 持证主体代码 to offer: those of 法人或其他组织 or of 自然人 when the
    type is for one kind of holder only, else all."""
    id_types = HolderIdType.choices
    if licence_type is not None and licence_type.holder_kind != "any":
        entity = licence_type.holder_kind == "entity"
        id_types = [(v, label) for v, label in id_types if (v in ENTITY_ID_TYPES) == entity]
    return id_types


def _data_fields(licence_type: LicenceType | None, posted: dict) -> list[dict]:
    """The type's 照面信息 fields with the values posted so far."""
    if licence_type is None:
        return []
    return [{**f, "value": posted.get(f["key"], "")} for f in licence_type.fields]


@login_required
def issue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """签发电子证照 by hand (e.g. a paper licence being digitised): choose a type, fill
    the holder and its fields, choose the issuing department."""
    _staff(request, "licence.issue")
    types = LicenceType.objects.filter(status=LicenceType.Status.ACTIVE)
    slug = request.POST.get("type") or request.GET.get("type", "")
    licence_type = types.filter(slug=slug).first() if slug else None
    departments = _issuers_for(request.user, licence_type)
    form: dict[str, Any] = {
        k: request.POST.get(k, "")
        for k in ("holder_name", "holder_id", "holder_id_type", "valid_until", "issuer", "source")
    }
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST" and licence_type is not None:
        data = {f["key"]: request.POST.get(f"data_{f['key']}", "") for f in licence_type.fields}
        issuer = next((d for d in departments if str(d.pk) == form["issuer"]), None)
        if form["valid_until"] and _date(form["valid_until"]) is None:
            errors["valid_until"] = [_("日期格式应为 YYYY-MM-DD。")]
        elif issuer is None:
            errors["issuer"] = [_("请选择颁发机构。")]
        else:
            try:
                licence = do_issue_licence(
                    actor=request.user,
                    licence_type=resolve_type(licence_type),
                    holder_name=form["holder_name"],
                    holder_id=form["holder_id"],
                    holder_id_type=form["holder_id_type"],
                    data=data,
                    valid_until=_date(form["valid_until"]),
                    issuer=issuer,
                    source=form["source"],
                )
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, _("已签发：%s") % licence.number)
                return redirect("licences:licence", pk=licence.pk)
        status = 400
        form["data"] = data
    id_types = _holder_id_types(licence_type)
    fields = _data_fields(licence_type, form.get("data", {}))
    return render(
        request,
        "licences/issue.html",
        {
            "types": types,
            "licence_type": licence_type,
            "departments": departments,
            "fields": fields,
            "id_types": id_types,
            "form": form,
            "errors": errors,
        },
        status=status,
    )


def catalogue(request: HttpRequest) -> HttpResponse:
    """证照目录 (public): every licence type, its code, definer, issuing line, validity
    and fields; staff also see how many valid licences of each their scope holds."""
    types = LicenceType.objects.select_related("department").order_by("code")
    counts: dict[int, int] = {}
    user = request.user
    if getattr(user, "kind", "") == "staff" and has_perm(user, "licence.view"):
        counts = dict(
            access.staff_licences(user)
            .filter(status=Status.VALID)
            .values("licence_type")
            .annotate(n=Count("pk"))
            .values_list("licence_type", "n")
        )
    rows = [(t, counts.get(t.pk)) for t in types]
    return render(
        request,
        "licences/catalogue.html",
        {"rows": rows, "show_counts": bool(counts) or has_perm(user, "licence.view")},
    )


urlpatterns = [
    path("", home, name="home"),
    path("types/", catalogue, name="catalogue"),
    path("issued/", licence_list, name="licences"),
    path("issued/<int:pk>/", licence_detail, name="licence"),
    path("issued/<int:pk>/status", licence_status, name="licence-status"),
    path("issued/<int:pk>/pdf", licence_pdf, name="licence-pdf"),
    path("issue/", issue, name="issue"),
]
