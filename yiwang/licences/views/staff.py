"""Staff pages of the licences room: home, the licences issued by one's department (list,
detail with history, seal use and lifecycle actions), issuing by hand, the 证照目录."""

from __future__ import annotations

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
from yiwang.core.errors import Forbidden, status_of
from yiwang.core.forms import add_errors
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
from yiwang.licences.forms import LicenceIssueForm, LicenceStatusForm, LicenceTypeForm
from yiwang.licences.models import ENTITY_ID_TYPES, HolderIdType, Licence, LicenceType, Status
from yiwang.licences.queries import data_rows, holder_shown
from yiwang.licences.views.wallet import pdf_response


def _staff(request: AuthenticatedHttpRequest, perm: str = "licence.view") -> None:
    access.require_staff_with(request.user, perm, _("该页面仅对有证照权限的工作人员开放。"))


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
def licence_detail(
    request: AuthenticatedHttpRequest,
    pk: int,
    *,
    form: LicenceStatusForm | None = None,
    status: int = 200,
):
    """One licence: the record (holder in clear, the view logged), status history, seal
    use, and the lifecycle actions open to the staff member; ``form`` is a refused
    status change shown again with its errors."""
    _staff(request)
    licence = _visible(request, pk)
    if request.method == "GET":
        do_record_licence_view(actor=request.user, licence=licence)
    transitions = open_transitions(request.user, licence)
    clear = access.may_see_holder(request.user, licence)
    holder_name, holder_id = holder_shown(licence, clear=clear)
    return render(
        request,
        "licences/licence_detail.html",
        {
            "licence": licence,
            "holder_name": holder_name,
            "holder_id": holder_id,
            "holder_clear": clear,
            "rows": data_rows(licence, clear=clear),
            "events": licence.events.select_related("actor"),
            "usages": licence.seal_usages.select_related("seal"),
            "transitions": transitions,
            "form": form or LicenceStatusForm(transitions=transitions),
            "id_type": HolderIdType(licence.holder_id_type).label
            if licence.holder_id_type in HolderIdType.values
            else licence.holder_id_type,
        },
        status=status,
    )


@login_required
def licence_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """POST: 暂扣 / 恢复 / 撤销 / 注销 / 吊销 with a reason; a refused change shows the
    licence page again with the error summary, the reason on its field and kept."""
    _staff(request, "licence.manage")
    if request.method != "POST":
        return redirect("licences:licence", pk=pk)
    licence = _visible(request, pk)
    form = LicenceStatusForm(request.POST, transitions=open_transitions(request.user, licence))
    if not form.is_valid():
        return licence_detail(request, pk, form=form, status=400)
    action = form.cleaned_data["action"]
    try:
        do_change_status(
            actor=request.user, licence=licence, action=action, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        add_errors(form, exc)
        return licence_detail(request, pk, form=form, status=status_of(exc))
    label = TRANSITIONS[action].label
    messages.success(
        request, _("已%(action)s：%(number)s") % {"action": label, "number": licence.number}
    )
    return redirect("licences:licence", pk=pk)


@login_required
def licence_pdf(request: AuthenticatedHttpRequest, pk: int):
    """The signed licence file. It carries a person holder's data in clear and cannot
    be masked, so staff need the same right as to see the holder (``may_see_holder``)."""
    _staff(request)
    licence = _visible(request, pk)
    if not access.may_see_holder(request.user, licence):
        raise Forbidden(
            _("该证照的持证人是个人，证照文件含完整个人信息，下载需要颁发部门的个人信息查看权限。"),
            code="personal_unmask_required",
        )
    do_record_licence_download(actor=request.user, licence=licence)
    return pdf_response(licence)


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


def _issue_with(
    request: AuthenticatedHttpRequest, form: LicenceIssueForm, licence_type: LicenceType
) -> Licence | int:
    """Issue what the form holds; a refusal goes onto the form. Returns the licence, or
    the status to re-render the form with."""
    if not form.is_valid():
        return 400
    data = form.cleaned_data
    try:
        return do_issue_licence(
            actor=request.user,
            licence_type=resolve_type(licence_type),
            holder_name=data["holder_name"],
            holder_id=data["holder_id"],
            holder_id_type=data["holder_id_type"],
            data=form.licence_data(),
            valid_until=data["valid_until"],
            issuer=data["issuer"],
            source=data["source"],
        )
    except ValidationError as exc:
        add_errors(form, exc)
        return status_of(exc)


@login_required
def issue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """签发电子证照 by hand (e.g. a paper licence being digitised): choose a type, fill
    the holder and its fields, choose the issuing department. A refused issue shows the
    form again with the error summary, each message on its field and the input kept."""
    _staff(request, "licence.issue")
    types = LicenceType.objects.filter(status=LicenceType.Status.ACTIVE)
    posted = request.method == "POST"
    picker = LicenceTypeForm(request.POST if posted else request.GET, types=types)
    licence_type = picker.licence_type()
    status = 200
    form = None
    if licence_type is not None:
        form = LicenceIssueForm(
            request.POST if posted else None,
            licence_type=licence_type,
            issuers=_issuers_for(request.user, licence_type),
            id_types=_holder_id_types(licence_type),
        )
        if posted:
            outcome = _issue_with(request, form, licence_type)
            if isinstance(outcome, Licence):
                messages.success(request, _("已签发：%s") % outcome.number)
                return redirect("licences:licence", pk=outcome.pk)
            status = outcome
    elif posted:
        picker.add_error("type", _("请选择证照类型。"))
        status = 400
    return render(
        request,
        "licences/issue.html",
        {"picker": picker, "licence_type": licence_type, "form": form},
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
