"""办件 pages for applicants: 在线申请 of an item (form from its fields, materials with
免证 marks, upload progress), 我的办件 with status and deadlines, and one application with
its timeline, 补正 / 撤回 and, when done, the licence; material downloads."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import uploads
from yiwang.core.errors import refused, split_errors, status_of
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.identity import assurance
from yiwang.core.inbox import case_events
from yiwang.core.workflow import definition_of
from yiwang.services import access, widgets
from yiwang.services.actions.applications import (
    applicant_from_account,
    check_eligible,
    do_act,
    do_apply,
    do_open_material,
    open_actions,
)
from yiwang.services.formdata import bound_fields
from yiwang.services.forms import ApplicantStepForm, SentForm
from yiwang.services.materials import (
    REGISTRY_LABELS,
    Need,
    current_materials,
    max_bytes,
    resolve_materials,
)
from yiwang.services.models import Application, Material, ServiceItem
from yiwang.services.prefill import known_answers
from yiwang.services.queries import (
    application_row,
    decided_rule_name,
    licence_links,
    status_label,
    with_case,
)

ACCEPT = ".pdf,.ofd,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
# The applicant's own steps on an open application: 补正 and 撤回.
STEPS = ("resubmit", "withdraw")


MAIN_PATH = ("submitted", "reviewing", "deciding", "completed")
PATH_POSITION = {"submitted": 0, "correction": 0, "reviewing": 1, "deciding": 2}


def progress_steps(app: Application) -> list[dict]:
    """办理进度 for the applicant: 申请 → 审查 → 决定 → 办结, the current step marked
    (补正 shown in place of 申请; the outcome on the last step)."""
    d = definition_of(app.flow.workflow)
    if any(code not in d.states for code in MAIN_PATH):
        return []
    state = app.flow.state
    pos = PATH_POSITION.get(state, len(MAIN_PATH) - 1)
    steps = []
    for i, code in enumerate(MAIN_PATH):
        name = d.state_name("correction" if (i == 0 and state == "correction") else code)
        if i == len(MAIN_PATH) - 1 and app.outcome:
            name = status_label(app)
        done = i < pos or (app.outcome and i == pos)
        steps.append(
            {"name": name, "status": "done" if done else ("current" if i == pos else "todo")}
        )
    return steps


def material_plain(m: Material) -> str:
    """What a material's source means, in words an applicant reads (免提交): the e-licence
    used or the base registry that confirmed them, never the stored reference itself
    (an e-licence identifier, ``person:1@v1``), which stays one click away."""
    if m.source == Material.Source.LICENCE:
        return _("使用您的电子%(name)s") % {"name": m.name}
    if m.source == Material.Source.REGISTRY:
        fact = m.reference.split(":", 1)[0]
        return _("已通过%(registry)s核验") % {"registry": REGISTRY_LABELS.get(fact, _("基础库"))}
    return ""


def material_rows(app: Application) -> list[dict]:
    """The current materials (newest per spec) with their source in words, the download
    link and, for 技术信息, the stored reference or digest."""
    rows = []
    for m in current_materials(app):
        rows.append(
            {
                "m": m,
                "url": reverse("services:material", args=[m.pk]) if m.file else "",
                "source": m.get_source_display(),
                "plain": material_plain(m),
                "reference": m.reference,
            }
        )
    return rows


def need_rows(needs: list[Need], errors: dict[str, list[str]], received=()) -> list[dict]:
    received = {str(r) for r in received}
    return [
        {
            "need": n,
            "spec": n.spec,
            "key": n.key,
            "errors": errors.get(n.key, []),
            "received": str(n.spec.pk) in received,
        }
        for n in needs
    ]


def input_errors(field_errors: dict[str, list[str]], item: ServiceItem) -> dict[str, list[str]]:
    """The messages of a refusal for the item's 申请表 and its materials, keyed by the id
    of their input (``f-<name>``, ``material_<pk>``) so the error summary links each."""
    names = {f.get("name") for f in item.form_fields or []}
    out: dict[str, list[str]] = {}
    for key, msgs in field_errors.items():
        if key in names:
            out[f"f-{key}"] = msgs
        elif key.startswith("material_"):
            out[key] = msgs
    return out


def upload_context() -> dict:
    return {"accept": ACCEPT, "max_mb": max_bytes() // (1024 * 1024)}


def _published_item(code: str) -> ServiceItem:
    item = (
        ServiceItem.objects.select_related("department", "division")
        .filter(code=code, level=ServiceItem.Level.HANDLING, status=ServiceItem.Status.PUBLISHED)
        .first()
    )
    if item is None:
        raise Http404(_("未找到该事项，或它尚未发布。"))
    return item


def _applicant_user(request: AuthenticatedHttpRequest) -> None:
    access.require_applicant(request.user)


@login_required
def apply(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """在线申请: the item's form and materials; 免证 materials are not asked for. Errors
    are shown per field in Chinese and nothing is saved until everything is right."""
    _applicant_user(request)
    item = _published_item(code)
    if not assurance.is_verified(request.user):
        return assurance.refusal_page(request, _("在线申请"))
    applicant = applicant_from_account(request.user)
    summary: list[str] = []
    field_errors: dict[str, list[str]] = {}
    status = 200
    blocked = ""
    try:
        check_eligible(item, applicant.kind, "online")
    except ValidationError as exc:
        blocked = exc.messages[0]
    posted = request.method == "POST"
    sent = widgets.collapse(item.form_fields, request.POST) if posted else None
    refresh = posted and widgets.is_refresh(request.POST)
    if posted and not blocked and not refresh:
        try:
            app = do_apply(actor=request.user, item=item, form_data=sent, uploads=request.FILES)
        except ValidationError as exc:
            summary, field_errors, status = refused(exc)
        else:
            if app.outcome == Application.Outcome.APPROVED:
                messages.success(request, _("申请已提交并秒批通过，办件编号 %s。") % app.number)
            else:
                messages.success(
                    request,
                    _("申请已提交，办件编号 %(n)s，承诺 %(due)s 前办结。")
                    % {"n": app.number, "due": app.flow.case_due or "—"},
                )
            return redirect("services:my-application", number=app.number)
    elif posted and not refresh:
        status = 400
    needs = resolve_materials(item, id_type=applicant.id_type, id_number=applicant.id_number)
    known = {} if posted else known_answers(request.user, item, item.form_fields)
    values = sent if posted else {name: k.value for name, k in known.items()}
    context = {
        "item": item,
        "applicant": applicant,
        "fields": widgets.decorate(bound_fields(item.form_fields, values, field_errors), known),
        "prefilled": bool(known),
        "needs": need_rows(needs, field_errors),
        "summary": summary,
        "blocked": blocked,
        "instant": bool(item.instant_rules),
        **upload_context(),
    }
    return render(request, "services/applications/apply.html", context, status=status)


@login_required
def my_applications(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的办件: my applications (open first), status, deadlines, overdue marks; and my
    一件事 submissions."""
    _applicant_user(request)
    qs = with_case(access.own_applications(request.user)).order_by(
        F("completed_at").desc(nulls_first=True), "-submitted_at", "-id"
    )
    status = request.GET.get("status", "")
    if status == "open":
        qs = qs.filter(outcome="")
    elif status == "done":
        qs = qs.exclude(outcome="")
    else:
        status = ""
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    today = timezone.localdate()
    from yiwang.services.views.bundles import bundle_rows

    return render(
        request,
        "services/applications/my_list.html",
        {
            "page": page,
            "rows": [application_row(a, today) for a in page.object_list],
            "status": status,
            "query": f"status={status}" if status else "",
            "bundles": bundle_rows(access.bundle_applications(request.user)[:20]),
        },
    )


def _own(request: HttpRequest, number: str) -> Application:
    app = with_case(access.own_applications(request.user)).filter(number=number).first()
    if app is None:
        raise Http404(_("未找到该办件，或它不属于您。"))
    return app


@login_required
def my_application(request: AuthenticatedHttpRequest, number: str) -> HttpResponse:
    """One of my applications: facts, timeline, materials; 补正 (new uploads) and 撤回
    while open; the issued licence once approved."""
    _applicant_user(request)
    app = _own(request, number)
    summary: list[str] = []
    field_errors: dict[str, list[str]] = {}
    status = 200
    posted = ""
    if request.method == "POST":
        posted = SentForm(request.POST, names=STEPS, field="action").sent
    steps = {
        step: ApplicantStepForm(request.POST if posted == step else None, step=step)
        for step in STEPS
    }
    if request.method == "POST":
        status = 400
        form = steps.get(posted)
        if form is None:
            summary = [_("未知的操作。")]
        elif form.is_valid():
            try:
                do_act(
                    actor=request.user,
                    application=app,
                    action=posted,
                    comment=form.cleaned_data["comment"],
                    uploads=request.FILES if posted == "resubmit" else None,
                )
            except ValidationError as exc:
                add_errors(form, exc)
                field_errors = split_errors(exc)[1]
                status = status_of(exc)
            else:
                messages.success(
                    request,
                    _("补正材料已提交，等待重新受理。")
                    if posted == "resubmit"
                    else _("申请已撤回。"),
                )
                return redirect("services:my-application", number=app.number)
        app = _own(request, number)
    actions = {a["code"]: a for a in open_actions(request.user, app)}
    correction_note = ""
    if app.flow.state == "correction":
        last = app.flow.events.filter(action="request_correction").order_by("-at", "-id").first()
        correction_note = last.comment if last else ""
    context = {
        "app": app,
        "row": application_row(app),
        "rule_name": decided_rule_name(app),
        "steps": progress_steps(app),
        "events": case_events(app.flow),
        "materials": material_rows(app),
        "can_resubmit": "resubmit" in actions,
        "can_withdraw": "withdraw" in actions,
        "correction_note": correction_note,
        "specs": need_rows([Need(s) for s in app.item.materials.all()], field_errors),
        "fields": _form_rows(app),
        "licence": licence_links(app.licence_identifier),
        "summary": summary,
        "input_errors": input_errors(field_errors, app.item),
        "resubmit_form": steps["resubmit"],
        "withdraw_form": steps["withdraw"],
        **upload_context(),
    }
    return render(request, "services/applications/my_detail.html", context, status=status)


def _form_rows(app: Application, values: dict | None = None) -> list[tuple[str, Any]]:
    """(label, value) of the submitted form in the item's field order: ``values`` as the
    viewer may see them (``masking.masked_mapping``), else the form as submitted — for
    the applicant, who sees their own data in full."""
    labels = {f.get("name"): f for f in app.item.form_fields or []}
    out = []
    for name, value in (app.form_data if values is None else values).items():
        spec = labels.get(name, {})
        if isinstance(value, bool):
            value = _("是") if value else _("否")
        elif spec.get("type") == "select":
            value = dict((str(c[0]), c[1]) for c in spec.get("choices") or []).get(
                str(value), value
            )
        out.append((spec.get("label", name), value))
    return out


@login_required
def material_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Download a material: the applicant, the clerk who took it in, or staff who can see
    the case; decrypted and its SM3 digest checked first."""
    material = (
        Material.objects.select_related("application")
        .filter(pk=pk, application__in=access.applications(request.user))
        .first()
    )
    if material is None:
        raise Http404(_("未找到该材料，或您无权查看。"))
    data = do_open_material(actor=request.user, material=material)  # altered file: 409
    ext = uploads.EXTENSION.get(material.content_type, "")
    return uploads.download(material, data, filename=f"{material.name}{ext}")


urlpatterns = [
    path("items/<str:code>/apply/", apply, name="apply"),
    path("my/", my_applications, name="my-applications"),
    path("my/<str:number>/", my_application, name="my-application"),
    path("materials/<int:pk>/", material_file, name="material"),
]
