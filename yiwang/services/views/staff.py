"""Staff pages for 办件: 一窗受理 (a window clerk picks any item, enters the applicant, the
form and the materials received), the list of applications in my jurisdiction with
overdue marks, and one application with its actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import masking
from yiwang.core.errors import refused, split_errors, status_of
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.identity import assurance
from yiwang.core.inbox import case_events
from yiwang.core.paging import KeysetPaginator
from yiwang.services import access, widgets
from yiwang.services.actions import routing
from yiwang.services.actions.applications import (
    do_act,
    do_window_intake,
    open_actions,
)
from yiwang.services.actions.reads import do_window_prefill
from yiwang.services.formdata import bound_fields
from yiwang.services.forms import RevealForm, SentForm, StaffActForm, WindowIntakeForm
from yiwang.services.materials import Need
from yiwang.services.models import Application, ServiceItem
from yiwang.services.queries import (
    LIST_ORDERS,
    application_list,
    application_row,
    decided_rule_name,
    licence_links,
    with_case,
)
from yiwang.services.views.applications import (
    _form_rows,
    input_errors,
    material_rows,
    need_rows,
    upload_context,
)

STATUS_FILTERS = ("open", "overdue", "done", "mine")


def _staff(request: AuthenticatedHttpRequest) -> None:
    access.require_case_staff(request.user, _("办件管理仅对工作人员开放。"))


def _items(q: str):
    qs = ServiceItem.objects.filter(
        level=ServiceItem.Level.HANDLING, status=ServiceItem.Status.PUBLISHED
    ).select_related("department", "division")
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q) | Q(keywords__icontains=q))
    return qs.order_by("division_id", "department__code", "code")


PREFILL = "_prefill"  # the 读取已知信息 button: look the applicant up (免填写), file nothing


@login_required
def window(request: HttpRequest) -> HttpResponse:
    """一窗受理: pick any department's item, enter the applicant (linked to their account
    when they have one), the form and the materials scanned or received on paper. With
    the applicant's 证件号码 entered, 读取已知信息 fills in what the platform knows of
    them (免填写, as on their own online form) without filing anything."""
    access.require_window_clerk(request.user)
    form = WindowIntakeForm(request.POST if request.method == "POST" else None)
    sent = form.cleaned_data if form.is_bound and form.is_valid() else {}
    received = sent.get("received", [])
    code = sent.get("item") or request.GET.get("item", "")
    q = request.GET.get("q", "")
    item = None
    if code:
        item = _items("").filter(code=code).first()
        if item is None:
            raise Http404(_("未找到该事项，或它尚未发布。"))
    context: dict = {"q": q, "item": item, "form": form, **upload_context()}
    if item is None:
        context["results"] = list(_items(q)[:50])
        return render(request, "services/applications/window.html", context)
    shown = _WindowForm(
        form, widgets.collapse(item.form_fields, request.POST) if form.is_bound else None
    )
    if form.is_bound and PREFILL in request.POST:
        shown = _window_prefill(request, shown, item)
    elif form.is_bound and not widgets.is_refresh(request.POST):
        shown.status = 400
        if form.is_valid():
            try:
                app = do_window_intake(
                    actor=request.user,
                    item=item,
                    **form.applicant(),
                    form_data=shown.values,
                    uploads=request.FILES,
                    received=received,
                )
            except ValidationError as exc:
                add_errors(form, exc)
                shown.errors = split_errors(exc)[1]
                shown.status = status_of(exc)
            else:
                messages.success(
                    request,
                    _("已受理并转 %(dept)s 办理，办件编号 %(n)s。")
                    % {"dept": item.department.name, "n": app.number},
                )
                _warn_if_unattended(request, app)
                return redirect("services:staff-application", number=app.number)
    context.update(
        form=shown.form,
        input_errors=input_errors(shown.errors, item),
        fields=widgets.decorate(
            bound_fields(item.form_fields, shown.values, shown.errors), shown.known
        ),
        prefilled=shown.prefilled,
        needs=need_rows([Need(s) for s in item.materials.all()], shown.errors, received),
    )
    return render(request, "services/applications/window.html", context, status=shown.status)


class _WindowForm:
    """What the 一窗受理 page shows of its form: the applicant form, the 申请表 values
    (the pickers' choices collapsed), the errors per field, what the platform knew
    (免填写) and the status."""

    def __init__(self, form: WindowIntakeForm, values) -> None:
        self.form = form
        self.values = values
        self.errors: dict[str, list[str]] = {}
        self.known: dict = {}
        self.prefilled = False
        self.status = 200


def _window_prefill(request: HttpRequest, shown: _WindowForm, item: ServiceItem) -> _WindowForm:
    """读取已知信息: fill each empty answer the platform knows for the applicant the clerk
    identified (what the clerk typed stays), and their name and phone when left empty;
    an identifier that does not check out is named on its field."""
    form = shown.form
    try:
        found = do_window_prefill(actor=request.user, item=item, **form.applicant())
    except ValidationError as exc:
        add_errors(form, exc)
        shown.status = status_of(exc)
        return shown
    values = shown.values
    shown.known = {
        name: k for name, k in found.known.items() if not str(values.get(name) or "").strip()
    }
    for name, k in shown.known.items():
        values.setlist(name, [k.value])
    data = request.POST.copy()
    notes = {}
    for name, k in (("applicant_name", found.name), ("applicant_phone", found.phone)):
        if k is not None:
            data.setlist(name, [k.value])
            notes[name] = k.note
    if notes:
        shown.form = WindowIntakeForm(data)
        for name, note in notes.items():  # before the form is cleaned: bound fields keep it
            shown.form.fields[name].help_text = note + _("，可修改")
        shown.form.is_valid()
    shown.prefilled = bool(shown.known or notes)
    return shown


def _warn_if_unattended(request: HttpRequest, app: Application) -> None:
    """Tell the clerk when the case they took in waits for a step nobody can take (the
    bureau has been alerted): they can tell the applicant, or hand it over in person."""
    missing = routing.unattended(app)
    if missing:
        messages.warning(
            request,
            _("注意：%(dept)s目前没有%(roles)s，办件 %(n)s 暂时无人办理，已告警并通知管理部门。")
            % {"dept": app.department.name, "roles": routing.roles_text(missing), "n": app.number},
        )


def filtered(user, status: str, q: str = ""):
    """Applications in my jurisdiction (or taken in by me), filtered."""
    if status == "mine":
        qs = access.applications(user).filter(clerk=user)
    else:
        qs = access.staff_applications(user)
    return application_list(qs, status, q)


@login_required
def staff_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """办件 of my jurisdiction: status, deadlines (working days), overdue marks; paged by
    cursor (下一页/上一页) in the status's order, whatever the backlog."""
    _staff(request)
    status = request.GET.get("status", "open")
    status = status if status in STATUS_FILTERS else ""
    q = request.GET.get("q", "")
    fields, descending = LIST_ORDERS[status]
    page = KeysetPaginator(
        filtered(request.user, status, q),
        sorts={"list": fields},
        default="-list" if descending else "list",
        per_page=50,
        split=None if status == "mine" else access.staff_split(request.user),
    ).get_page(request.GET)
    today = timezone.localdate()
    return render(
        request,
        "services/applications/staff_list.html",
        {
            "page": page,
            "rows": [application_row(a, today) for a in page.object_list],
            "status": status,
            "q": q,
            "is_clerk": access.is_window_clerk(request.user),
        },
    )


def _visible(request: HttpRequest, number: str) -> Application:
    app = with_case(access.applications(request.user)).filter(number=number).first()
    if app is None:
        raise Http404(_("未找到该办件，或您无权查看。"))
    return app


def _masked_form(user, app: Application) -> dict:
    """The 申请表 as staff see it: fields typed 身份证号码 / 手机 / 姓名 / 地址 masked."""
    return masking.masked_mapping(
        user, app.item.form_fields, app.form_data, owner_id=app.applicant_id
    )


def _reveal(user, app: Application, purpose: str) -> tuple[dict, dict]:
    """显示完整信息: the applicant's name, ID number and phone and the personal fields of
    the form in clear, for a stated purpose (logged; refused without ``personal.unmask``
    over the application's place)."""
    allowed = access.may_reveal_application(user, app)
    subject = app.applicant_id_number
    revealed = masking.reveal_fields(
        user,
        app,
        ("applicant_name", "applicant_id_number", "contact_phone"),
        purpose,
        allowed=allowed,
        subject=subject,
    )
    form = masking.reveal_mapping(
        user, app, app.item.form_fields, app.form_data, purpose, allowed=allowed, subject=subject
    )
    return revealed, form


@login_required
def staff_application(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """One application for staff: applicant (masked; full values on a stated purpose,
    logged), form, materials, timeline and the actions open to me."""
    _staff(request)
    app = _visible(request, number)
    can_reveal = access.may_reveal_application(request.user, app)
    sent = SentForm(request.POST, names=["reveal", "act"]).sent if request.method == "POST" else ""
    reveal = RevealForm(request.POST if sent == "reveal" else None, purpose=_("办件审查"))
    form = StaffActForm(request.POST if request.method == "POST" and sent != "reveal" else None)
    field_errors: dict[str, list[str]] = {}
    status = 200
    revealed: dict[str, str] = {}
    form_values = _masked_form(request.user, app)
    if sent == "reveal" and reveal.is_valid():
        try:
            revealed, form_values = _reveal(request.user, app, reveal.cleaned_data["purpose"])
        except PermissionDenied as exc:
            # Without the role the refusal is the form's; with it, the purpose said too little.
            reveal.add_error("purpose" if can_reveal else None, str(exc))
            status = refused(exc).status
    elif form.is_bound:
        status = 400
        if form.is_valid():
            try:
                do_act(
                    actor=request.user,
                    application=app,
                    action=form.cleaned_data["action"],
                    comment=form.cleaned_data["comment"],
                    uploads=request.FILES or None,
                )
            except ValidationError as exc:
                add_errors(form, exc)
                field_errors = split_errors(exc)[1]
                status = status_of(exc)
            except PermissionDenied as exc:
                # A guard further down (签发 under the department's name, say): shown
                # here like any refusal, with the opinion typed kept in its box.
                form.add_error(None, str(exc) or _("您没有执行此操作的权限。"))
                status = refused(exc).status
            else:
                messages.success(request, _("已办理。"))
                return redirect("services:staff-application", number=app.number)
        app = _visible(request, number)
        form_values = _masked_form(request.user, app)
    actions = open_actions(request.user, app)
    context = {
        "app": app,
        "row": application_row(app),
        "rule_name": decided_rule_name(app),
        "events": case_events(app.flow),
        "materials": material_rows(app),
        "fields": _form_rows(app, form_values),
        "actions": actions,
        "primary_action": next((a["code"] for a in actions if not a["comment_required"]), ""),
        "licence": licence_links(app.licence_identifier),
        "form": form,
        "reveal_form": reveal,
        "input_errors": input_errors(field_errors, app.item),
        "applicant": {
            "name": revealed.get("applicant_name") or masking.mask_name(app.applicant_name),
            "id_number": revealed.get("applicant_id_number")
            or masking.mask_id_number(app.applicant_id_number),
            "phone": revealed.get("contact_phone") or masking.mask_phone(app.contact_phone),
            "revealed": bool(revealed),
            "assurance": _assurance_label(app.applicant),
        },
        "can_reveal": can_reveal,
        "resubmit_specs": need_rows([Need(s) for s in app.item.materials.all()], field_errors)
        if any(a["code"] == "resubmit" for a in actions)
        else [],
        **upload_context(),
    }
    return render(request, "services/applications/staff_detail.html", context, status=status)


def _assurance_label(account) -> str:
    """The 实名等级 the applicant's account has reached (empty for window 代办 without
    an account), so the approver knows how far the applicant proved who they are."""
    if account is None:
        return ""
    return assurance.label(assurance.level_of(account), account.kind)


urlpatterns = [
    path("window/", window, name="window"),
    path("staff/", staff_list, name="staff-applications"),
    path("staff/<str:number>/", staff_application, name="staff-application"),
]
