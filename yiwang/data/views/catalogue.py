"""政务数据目录 pages: browse and search the catalogue (classification tree, filters),
a resource with its items, elements, versions and review case; drafting and editing
with an items formset; submit, review (publish/return), new version; Excel export; and
the 数据元 pages (一数一源一标准) with the bureau's define / claim / release."""

from __future__ import annotations

from functools import partial
from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from yiwang.core.access import departments_in_scope, has_perm, pick, require
from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.core.inbox import case_events
from yiwang.core.workflow import definition_of
from yiwang.data import access
from yiwang.data.actions.catalogue import (
    CASE_STATUS,
    do_draft_resource,
    do_new_version,
    do_review_resource,
    do_submit_resource,
    do_sync_resource_with_case,
    do_update_draft,
    do_withdraw_resource,
    grade_review_cutoff,
)
from yiwang.data.actions.standards import do_claim_element, do_define_element, do_release_element
from yiwang.data.export import catalogue_workbook
from yiwang.data.forms import (
    CatalogueFilter,
    ElementClaimForm,
    ElementForm,
    ElementReleaseForm,
    ItemFormSet,
    NoQuestions,
    ResourceForm,
    ResourceReviewForm,
    ResourceWithdrawForm,
    Steps,
)
from yiwang.data.models import Catalogue, DataElement, DataResource
from yiwang.data.search import search

PAGE_SIZE = 30
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _provider_field(form: forms.Form) -> forms.ModelChoiceField:
    """The resource form's 提供部门 field, a model choice the page narrows to the user's."""
    return cast(forms.ModelChoiceField, form.fields["provider"])


def manageable_departments(user) -> QuerySet:
    """Departments the user keeps the catalogue of (``data.manage`` in scope)."""
    return departments_in_scope(user, "data.manage")


# --- catalogue browsing ---


def filtered_resources(user, params) -> tuple[QuerySet, CatalogueFilter]:
    """The user's visible resources narrowed by the catalogue filters in ``params``."""
    form = CatalogueFilter(params)
    qs = access.resources(user).select_related("provider", "catalogue")
    if not form.is_valid():
        return qs.filter(status="published"), form
    f = form.cleaned_data
    status = f["status"]
    if not status:
        qs = qs.filter(status="published")
    elif status != "all":
        qs = qs.filter(status=status)
    if f["node"]:
        qs = qs.filter(catalogue__code__startswith=f["node"])
    for name in ("kind", "share_type", "open_type", "grade"):
        if f[name]:
            qs = qs.filter(**{name: f[name]})
    if f["provider"]:
        qs = qs.filter(provider=f["provider"])
    return search(qs, f["q"]), form


def _tree(user) -> list[dict]:
    """The classification tree with the number of published resources under each node."""
    counts: dict[str, int] = {}
    for code, n in (
        access.resources(user)
        .filter(status="published")
        .values_list("catalogue__code")
        .annotate(n=Count("pk"))
    ):
        counts[code] = n
    nodes = list(Catalogue.objects.all())
    out = []
    for c in nodes:
        total = sum(n for code, n in counts.items() if code.startswith(c.code))
        out.append({"node": c, "count": total, "indent": c.level - 1})
    return out


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """目录浏览与检索: classification tree, filters, search and pages of resources."""
    require(request.user, "data.view")
    qs, form = filtered_resources(request.user, request.GET)
    page = Paginator(qs.order_by("code", "-version"), PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "data/catalogue/list.html",
        {
            "form": form,
            "page": page,
            "query": params.urlencode(),
            "tree": _tree(request.user),
            "node": request.GET.get("node", ""),
            "cutoff": grade_review_cutoff(),
            "can_draft": manageable_departments(request.user).exists()
            and has_perm(request.user, "data.manage"),
            "error": "" if form.is_valid() else _("筛选条件有误，已显示全部已发布资源。"),
        },
        status=200 if form.is_valid() else 400,
    )


@login_required
def catalogue_export(request: HttpRequest) -> HttpResponse:
    """目录导出 (Excel): the filtered catalogue, a sheet of resources and one of items."""
    require(request.user, "data.view")
    qs, _form = filtered_resources(request.user, request.GET)
    data = catalogue_workbook(qs)
    name = f"政务数据目录-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


# --- resource detail and operations ---


RESOURCE_STEPS = {
    "submit": NoQuestions,
    "review": ResourceReviewForm,
    "withdraw": ResourceWithdrawForm,
    "new_version": NoQuestions,
}


def _resource_button(user, resource: DataResource, op: str) -> tuple[str, DataResource] | None:
    """提交审核 and 新建版本, buttons alone: nothing to re-render, so a refusal is
    ``RefusalMiddleware``'s to answer. None for the other steps."""
    if op == "submit":
        r = do_submit_resource(actor=user, resource=resource)
        return _("已提交大数据局审核。"), r
    if op == "new_version":
        r = do_new_version(actor=user, resource=resource)
        return _("已新建草稿 v%s，发布后替代当前版本。") % r.version, r
    return None


def _resource_step(user, resource: DataResource, op: str, data: dict) -> tuple[str, DataResource]:
    """审核 (publish or return) or 撤回, with the form's opinion."""
    if op == "review":
        r = do_review_resource(actor=user, resource=resource, **data)
        return (_("已发布。") if data["action"] == "publish" else _("已退回修改。")), r
    r = do_withdraw_resource(actor=user, resource=resource, **data)
    return _("已撤回。"), r


def _resource_actions(user, resource: DataResource) -> dict[str, bool]:
    """Which buttons the resource page offers: the provider's data stewards edit and
    submit a draft or returned resource, withdraw a submitted or returned one, and start
    a new version of a published one (unless one is already on the way); reviewers
    review (审核) a submitted one."""
    manage = access.may_manage(user, resource.provider) and has_perm(user, "data.manage")
    st = DataResource.Status
    return {
        "can_edit": manage and resource.status in (st.DRAFT, st.RETURNED),
        "can_submit": manage and resource.status in (st.DRAFT, st.RETURNED),
        "can_withdraw": manage and resource.status in (st.SUBMITTED, st.RETURNED),
        "can_new_version": manage
        and resource.status == st.PUBLISHED
        and not DataResource.objects.filter(
            code=resource.code, status__in=(st.DRAFT, st.SUBMITTED, st.RETURNED)
        ).exists(),
        "can_review": has_perm(user, "data.review") and resource.status == st.SUBMITTED,
    }


@login_required
def resource_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """数据资源详情: metadata, items with their elements, versions, and the review case
    with the operations open to the user."""
    require(request.user, "data.view")
    visible = access.resources(request.user)
    resource = pick(visible.select_related("provider", "catalogue", "case"), pk)
    if resource.case and CASE_STATUS.get(resource.case.state, resource.status) != resource.status:
        resource = do_sync_resource_with_case(actor=request.user, resource=resource)
    steps = Steps(request.POST if request.method == "POST" else None, RESOURCE_STEPS)
    status = 200
    if request.method == "POST":
        status = 400
        done = _resource_button(request.user, resource, steps.op)
        form = steps.sent
        if done is None and form is not None and form.is_valid():
            try:
                done = _resource_step(request.user, resource, steps.op, form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
        if done is not None:
            messages.success(request, done[0])
            return redirect("data:resource", pk=done[1].pk)
    user = request.user
    case = resource.case
    context = {
        "r": resource,
        "items": resource.items.select_related("element", "element__source_department"),
        "versions": visible.filter(code=resource.code).order_by("-version"),
        "related": resource.related.filter(pk__in=visible.values("pk")),
        "case": case,
        "case_state": definition_of(case.workflow).state_name(case.state) if case else "",
        "events": case_events(case) if case else [],
        **_resource_actions(user, resource),
        "needs_regrade": bool(resource.graded_at and resource.graded_at < grade_review_cutoff()),
        "steps": steps,
    }
    return render(request, "data/catalogue/detail.html", context, status=status)


# --- drafting ---


def _form_values(form: ResourceForm) -> dict:
    d = dict(form.cleaned_data)
    d.pop("provider", None)
    d.pop("catalogue", None)
    return d


def _form_items(formset) -> list[dict]:
    out = []
    for f in formset.forms:
        d = getattr(f, "cleaned_data", None) or {}
        if not d or d.get("DELETE") or not (d.get("name") or "").strip():
            continue
        out.append(
            {
                "name": d["name"],
                "element": d.get("element"),
                "field": d.get("field", ""),
                "required": d.get("required", False),
                "is_key": d.get("is_key", False),
            }
        )
    return out


def _initial(resource: DataResource) -> tuple[dict, list[dict]]:
    data = {k: getattr(resource, k) for k in ResourceForm.base_fields}
    data["provider"] = resource.provider_id
    data["catalogue"] = resource.catalogue.code
    items = [
        {
            "name": i.name,
            "element": i.element_id,
            "field": i.field,
            "required": i.required,
            "is_key": i.is_key,
        }
        for i in resource.items.all()
    ]
    return data, items


@login_required
def resource_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """编目表单: draft a new resource or edit a draft/returned version, with its items."""
    require(request.user, "data.manage")
    departments = manageable_departments(request.user).order_by("code")
    resource = None
    if pk is not None:
        resource = pick(access.manageable_resources(request.user), pk)
        if resource.status not in (DataResource.Status.DRAFT, DataResource.Status.RETURNED):
            messages.error(request, _("已提交或已发布的版本不能直接修改；请新建版本。"))
            return redirect("data:resource", pk=resource.pk)
    status = 200
    if request.method == "POST":
        form = ResourceForm(request.POST)
        _provider_field(form).queryset = departments
        formset = ItemFormSet(request.POST, prefix="items")
        if form.is_valid() and formset.is_valid():
            try:
                if resource is None:
                    resource = do_draft_resource(
                        actor=request.user,
                        provider=form.cleaned_data["provider"],
                        catalogue=form.cleaned_data["catalogue"],
                        values=_form_values(form),
                        items=_form_items(formset),
                    )
                else:
                    resource = do_update_draft(
                        actor=request.user,
                        resource=resource,
                        catalogue=form.cleaned_data["catalogue"],
                        values=_form_values(form),
                        items=_form_items(formset),
                    )
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(request, _("已保存草稿 %s。") % resource.code)
                return redirect("data:resource", pk=resource.pk)
        else:
            status = 400
    else:
        data, items = _initial(resource) if resource else ({}, [])
        form = ResourceForm(initial=data)
        _provider_field(form).queryset = departments
        first = departments.first() if resource is None else None
        if first is not None:
            form.fields["provider"].initial = first.pk
        formset = ItemFormSet(initial=items, prefix="items")
    return render(
        request,
        "data/catalogue/form.html",
        {"form": form, "formset": formset, "resource": resource},
        status=status,
    )


# --- data elements ---


def visible_elements(user) -> QuerySet:
    """数据元 are the city's shared standards: every holder of ``data.view`` sees them."""
    if not has_perm(user, "data.view"):
        return DataElement.objects.none()
    return DataElement.objects.select_related("source_department")


@login_required
def elements(request: HttpRequest) -> HttpResponse:
    """数据元 list: type, format, source department and how many resources use each."""
    require(request.user, "data.view")
    qs = visible_elements(request.user).annotate(
        uses=Count("items__resource", filter=Q(items__resource__status="published"), distinct=True)
    )
    q = " ".join(request.GET.get("q", "").split())[:60]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(name_en__icontains=q))
    if request.GET.get("unsourced"):
        qs = qs.filter(source_department__isnull=True)
    page = Paginator(qs.order_by("code"), 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "data/elements/list.html",
        {
            "page": page,
            "q": q,
            "query": params.urlencode(),
            "can_define": has_perm(request.user, "data.review"),
        },
    )


def _element_steps(request: HttpRequest, element: DataElement) -> Steps:
    """认定 (claim) and 解除 (release) of the element's source, the claim form showing
    the present source."""
    claim = partial(ElementClaimForm, initial={"department": element.source_department_id})
    return Steps(
        request.POST if request.method == "POST" else None,
        {"claim": claim, "release": ElementReleaseForm},
    )


def _element_step(user, element: DataElement, op: str, data: dict) -> str:
    """Claim or release the element's source; what to tell the user."""
    if op == "claim":
        do_claim_element(actor=user, element=element, department=data["department"])
        return _("已认定%s为权威来源部门。") % data["department"].name
    do_release_element(actor=user, element=element, reason=data["reason"])
    return _("已解除权威来源部门。")


@login_required
def element_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """数据元详情: its standard, code list, source department and the resources using it;
    the bureau claims or releases its single source here."""
    require(request.user, "data.view")
    element = pick(visible_elements(request.user), pk)
    steps = _element_steps(request, element)
    status = 200
    if request.method == "POST":
        status = 400
        form = steps.sent
        if form is not None and form.is_valid():
            try:
                done = _element_step(request.user, element, steps.op, form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(request, done)
                return redirect("data:element", pk=element.pk)
    used_by = (
        access.resources(request.user)
        .filter(items__element=element, status="published")
        .select_related("provider")
        .distinct()
        .order_by("code")
    )
    return render(
        request,
        "data/elements/detail.html",
        {
            "e": element,
            "used_by": used_by,
            "can_review": has_perm(request.user, "data.review"),
            "steps": steps,
        },
        status=status,
    )


@login_required
def element_form(request: HttpRequest) -> HttpResponse:
    """定义数据元 (bureau only): a new element's standard."""
    require(request.user, "data.review")
    status = 200
    if request.method == "POST":
        form = ElementForm(request.POST)
        status = 400
        if form.is_valid():
            values = dict(form.cleaned_data)
            code = values.pop("code")
            if DataElement.objects.filter(code=code).exists():
                form.add_error("code", _("数据元编码 %s 已存在。") % code)
                status = 409
            else:
                try:
                    element = do_define_element(actor=request.user, code=code, values=values)
                except ValidationError as exc:
                    add_errors(form, exc)
                    status = status_of(exc)
                else:
                    messages.success(request, _("已定义数据元 %s。") % element.name)
                    return redirect("data:element", pk=element.pk)
    else:
        form = ElementForm()
    return render(request, "data/elements/form.html", {"form": form}, status=status)


urlpatterns: list = [
    path("catalogue/", catalogue, name="catalogue"),
    path("catalogue/export.xlsx", catalogue_export, name="catalogue-export"),
    path("catalogue/new/", resource_form, name="resource-new"),
    path("catalogue/<int:pk>/", resource_detail, name="resource"),
    path("catalogue/<int:pk>/edit/", resource_form, name="resource-edit"),
    path("elements/", elements, name="elements"),
    path("elements/new/", element_form, name="element-new"),
    path("elements/<int:pk>/", element_detail, name="element"),
]
