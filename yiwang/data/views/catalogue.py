"""政务数据目录 pages: browse and search the catalogue (classification tree, filters),
a resource with its items, elements, versions and review case; drafting and editing
with an items formset; submit, review (publish/return), new version; Excel export; and
the 数据元 pages (一数一源一标准) with the bureau's define / claim / release."""

from __future__ import annotations

from typing import cast

from django import forms
from django.conf import settings
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
from django.utils.translation import gettext_lazy as _l

from yiwang.core.access import departments_in_scope, has_perm, pick, require
from yiwang.core.errors import refused
from yiwang.core.inbox import case_events
from yiwang.core.models import Department
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
from yiwang.data.models import Catalogue, DataElement, DataResource, Grade, OpenType, ShareType
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


class CatalogueFilter(forms.Form):
    q = forms.CharField(label=_l("关键词"), required=False, max_length=100)
    node = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_l("目录类别"), required=False, choices=[("", _l("全部")), *Catalogue.Kind.choices]
    )
    provider = forms.ModelChoiceField(
        label=_l("提供方"),
        required=False,
        queryset=Department.objects.none(),
        empty_label=_l("全部"),
    )
    share_type = forms.ChoiceField(
        label=_l("共享属性"), required=False, choices=[("", _l("全部")), *ShareType.choices]
    )
    open_type = forms.ChoiceField(
        label=_l("开放属性"), required=False, choices=[("", _l("全部")), *OpenType.choices]
    )
    grade = forms.ChoiceField(
        label=_l("数据级别"), required=False, choices=[("", _l("全部")), *Grade.choices]
    )
    status = forms.ChoiceField(
        label=_l("状态"),
        required=False,
        choices=[
            ("", _l("已发布")),
            ("all", _l("全部（含草稿和历史版本）")),
            *DataResource.Status.choices,
        ],
    )

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.fields["provider"].queryset = Department.objects.filter(
            pk__in=DataResource.objects.values("provider")
        ).order_by("code")


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


def _post_resource(request: HttpRequest, resource: DataResource) -> tuple[str, DataResource]:
    op = request.POST.get("op", "")
    user = request.user
    comment = request.POST.get("comment", "")
    if op == "submit":
        r = do_submit_resource(actor=user, resource=resource)
        return _("已提交大数据局审核。"), r
    if op == "review":
        action = request.POST.get("action", "")
        r = do_review_resource(actor=user, resource=resource, action=action, comment=comment)
        return (_("已发布。") if action == "publish" else _("已退回修改。")), r
    if op == "withdraw":
        r = do_withdraw_resource(actor=user, resource=resource, comment=comment)
        return _("已撤回。"), r
    if op == "new_version":
        r = do_new_version(actor=user, resource=resource)
        return _("已新建草稿 v%s，发布后替代当前版本。") % r.version, r
    raise ValidationError(_("未知的操作。"))


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
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            done, target = _post_resource(request, resource)
        except ValidationError as exc:
            errors, _fields, status = refused(exc)
        else:
            messages.success(request, done)
            return redirect("data:resource", pk=target.pk)
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
        "errors": errors,
    }
    return render(request, "data/catalogue/detail.html", context, status=status)


# --- drafting ---


class ResourceForm(forms.Form):
    provider = forms.ModelChoiceField(label=_l("提供方"), queryset=Department.objects.none())
    catalogue = forms.ModelChoiceField(
        label=_l("目录分类"), queryset=Catalogue.objects.all(), to_field_name="code"
    )
    name = forms.CharField(label=_l("资源名称"), max_length=200)
    abstract = forms.CharField(
        label=_l("资源摘要"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    format = forms.CharField(label=_l("资源格式"), max_length=40, initial="数据库")
    registry = forms.ChoiceField(
        label=_l("对应基础库"), choices=DataResource.Registry.choices, required=False
    )
    share_type = forms.ChoiceField(label=_l("共享属性"), choices=ShareType.choices)
    share_condition = forms.CharField(
        label=_l("共享条件"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    share_method = forms.CharField(label=_l("共享方式"), max_length=40, initial="接口")
    no_share_basis = forms.CharField(
        label=_l("不予共享依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    open_type = forms.ChoiceField(label=_l("开放属性"), choices=OpenType.choices)
    open_condition = forms.CharField(
        label=_l("开放条件"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    update_cycle = forms.ChoiceField(label=_l("更新周期"), choices=DataResource.UpdateCycle.choices)
    grade = forms.ChoiceField(label=_l("数据级别"), choices=Grade.choices, initial=Grade.GENERAL)
    level = forms.TypedChoiceField(
        label=_l("一般数据分级"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), (1, _l("1 级")), (2, _l("2 级")), (3, _l("3 级")), (4, _l("4 级"))],
    )


class ItemForm(forms.Form):
    name = forms.CharField(label=_l("信息项名称"), max_length=100)
    element = forms.ModelChoiceField(
        label=_l("数据元"), queryset=DataElement.objects.all(), required=False
    )
    field = forms.CharField(label=_l("基础库字段"), max_length=40, required=False)
    required = forms.BooleanField(label=_l("必填"), required=False)
    is_key = forms.BooleanField(label=_l("主键"), required=False)


ItemFormSet = forms.formset_factory(ItemForm, extra=3, can_delete=True, max_num=200)


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
    errors: list[str] = []
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
                errors, _fields, status = refused(exc)
            else:
                messages.success(request, _("已保存草稿 %s。") % resource.code)
                return redirect("data:resource", pk=resource.pk)
        else:
            status = 400
            errors = [_("请检查标红的内容。")]
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
        {"form": form, "formset": formset, "resource": resource, "errors": errors},
        status=status,
    )


# --- data elements ---


class ElementForm(forms.Form):
    code = forms.RegexField(label=_l("数据元编码"), regex=r"^[A-Za-z0-9_-]{1,20}$", max_length=20)
    name = forms.CharField(label=_l("中文名称"), max_length=60)
    name_en = forms.CharField(label=_l("英文名称"), max_length=60, required=False)
    definition = forms.CharField(
        label=_l("定义"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    data_type = forms.ChoiceField(label=_l("数据类型"), choices=DataElement.DataType.choices)
    max_length = forms.IntegerField(
        label=_l("最大长度"), required=False, min_value=1, max_value=100000
    )
    pattern = forms.CharField(label=_l("格式（正则）"), max_length=200, required=False)
    validator = forms.CharField(label=_l("校验规则"), max_length=40, required=False)
    personal = forms.BooleanField(label=_l("个人信息"), required=False)
    sensitive = forms.BooleanField(label=_l("敏感个人信息"), required=False)
    standard = forms.CharField(label=_l("依据标准"), max_length=100, required=False)

    def clean_pattern(self):
        import re

        text = self.cleaned_data["pattern"]
        try:
            re.compile(text)
        except re.error:
            raise forms.ValidationError(_("不是有效的正则表达式。")) from None
        return text

    def clean_validator(self):
        from yiwang.data.standards import VALIDATORS

        name = self.cleaned_data["validator"].strip()
        if name and name not in VALIDATORS:
            raise forms.ValidationError(
                _("未知的校验规则，可用：%s") % "、".join(sorted(VALIDATORS))
            )
        return name


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


def _post_element(request: HttpRequest, element: DataElement) -> str:
    op = request.POST.get("op", "")
    if op == "claim":
        dept = Department.objects.filter(pk=request.POST.get("department") or 0).first()
        if dept is None:
            raise ValidationError({"department": _("请选择部门。")})
        do_claim_element(actor=request.user, element=element, department=dept)
        return _("已认定%s为权威来源部门。") % dept.name
    if op == "release":
        do_release_element(
            actor=request.user, element=element, reason=request.POST.get("reason", "")
        )
        return _("已解除权威来源部门。")
    raise ValidationError(_("未知的操作。"))


@login_required
def element_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """数据元详情: its standard, code list, source department and the resources using it;
    the bureau claims or releases its single source here."""
    require(request.user, "data.view")
    element = pick(visible_elements(request.user), pk)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        try:
            done = _post_element(request, element)
        except ValidationError as exc:
            errors, _fields, status = refused(exc)
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
            "departments": Department.objects.filter(
                division_id=settings.YIWANG["CITY_DIVISION"]
            ).order_by("code")
            if has_perm(request.user, "data.review")
            else [],
            "can_review": has_perm(request.user, "data.review"),
            "errors": errors,
        },
        status=status,
    )


@login_required
def element_form(request: HttpRequest) -> HttpResponse:
    """定义数据元 (bureau only): a new element's standard."""
    require(request.user, "data.review")
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = ElementForm(request.POST)
        if form.is_valid():
            values = dict(form.cleaned_data)
            code = values.pop("code")
            if DataElement.objects.filter(code=code).exists():
                errors, status = [_("数据元编码 %s 已存在。") % code], 409
            else:
                try:
                    element = do_define_element(actor=request.user, code=code, values=values)
                except ValidationError as exc:
                    errors, status = exc.messages, 400
                else:
                    messages.success(request, _("已定义数据元 %s。") % element.name)
                    return redirect("data:element", pk=element.pk)
        else:
            status = 400
    else:
        form = ElementForm()
    return render(
        request, "data/elements/form.html", {"form": form, "errors": errors}, status=status
    )


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
