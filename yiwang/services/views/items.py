"""网上办事大厅 pages: the service hall home (search, departments, life and enterprise
events), search results, the 办事指南 of an item; and the staff pages where department
admins keep their items (list, create/edit with materials, steps and fees, publish and
withdraw)."""

from __future__ import annotations

import json
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from yiwang.core.access import departments_in_scope, has_perm, require
from yiwang.core.errors import status_of
from yiwang.core.models import Department, Division
from yiwang.services import access, hall
from yiwang.services.actions.items import (
    CODE_RE,
    REGISTRY_FACTS,
    do_create_item,
    do_publish_item,
    do_update_item,
    do_withdraw_item,
)
from yiwang.services.events import ENTERPRISE_EVENTS, LIFE_EVENTS, event_label
from yiwang.services.forms import ItemOpForm
from yiwang.services.formspec import FIELD_TYPES
from yiwang.services.models import ItemKind, MaterialSpec, ServiceItem
from yiwang.services.search import by_event, search

PAGE_SIZE = 20
CITY = "410800"
Level = ServiceItem.Level
Status = ServiceItem.Status
# Names of the e-licence types, when the licences room cannot say (not installed yet).
LICENCE_NAMES = {
    "business_licence": "营业执照",
    "food_business": "食品经营许可证",
    "residence_permit": "居住证",
    "marriage": "结婚证",
    "property": "不动产权证书",
    "social_security_card": "社会保障卡",
}


def licence_name(slug: str, cache: dict | None = None) -> str:
    """The Chinese name of an e-licence type by its slug (电子证照类型)."""
    if not slug:
        return ""
    if cache is not None and slug in cache:
        return cache[slug]
    name = LICENCE_NAMES.get(slug, slug)
    try:
        from yiwang.licences.public import licence_type_by_slug
    except ImportError:  # pragma: no cover - the licences room is optional
        pass
    else:
        t = licence_type_by_slug(slug)
        if t is not None:
            name = t.name
    if cache is not None:
        cache[slug] = name
    return name


def _department_field(form: forms.Form) -> forms.ModelChoiceField:
    """The item form's 实施部门 field, a model choice whose departments a page narrows."""
    return cast(forms.ModelChoiceField, form.fields["department"])


def _window_url(user, item: ServiceItem) -> str:
    """一窗受理 of the item, for a window clerk (staff do not apply online)."""
    if not access.is_window_clerk(user):
        return ""
    return reverse("services:window") + "?" + urlencode({"item": item.code})


def apply_url(item: ServiceItem) -> str:
    """在线申请 of an item: ``/services/items/<code>/apply/``."""
    return reverse("services:item", args=[item.code]) + "apply/"


# --- public service hall ---


def _hall_items() -> QuerySet:
    return access.public_items().filter(level=Level.HANDLING)


def home(request: HttpRequest) -> HttpResponse:
    """网上办事大厅: search, browse by department, 个人/企业生命周期事件, 一件事."""
    items = _hall_items()
    by_dept = dict(items.values_list("department").annotate(n=Count("pk")).order_by())
    depts = Department.objects.filter(pk__in=by_dept).select_related("division")
    city_depts = [(d, by_dept[d.pk]) for d in depts if d.division_id == CITY]
    county: dict[str, list] = {}
    for d in depts:
        if d.division_id != CITY:
            county.setdefault(d.division.name, []).append((d, by_dept[d.pk]))
    life, enterprise = hall.events_with_items(hall.event_counts(items))
    context = {
        "city_departments": sorted(city_depts, key=lambda x: x[0].code),
        "county_departments": sorted(county.items()),
        "life_events": life,
        "enterprise_events": enterprise,
        "popular": hall.popular(),
        "bundles_url": reverse("services:bundles"),
        "total": sum(by_dept.values()),
        "can_manage": has_perm(request.user, "service.manage"),
    }
    return render(request, "services/home.html", context)


class SearchForm(forms.Form):
    q = forms.CharField(label=_l("搜索事项"), required=False, max_length=100)
    department = forms.CharField(label=_l("部门"), required=False, max_length=32)
    event = forms.CharField(label=_l("事件"), required=False, max_length=40)
    division = forms.CharField(label=_l("区划"), required=False, max_length=12)


def search_items(params, home: Division | None = None) -> tuple[QuerySet, dict]:
    """Published 业务办理项 matching the query, department, event and division; with no
    division asked for, those a resident of ``home`` (their county) applies for."""
    form = SearchForm(params)
    f = form.cleaned_data if form.is_valid() else {}
    qs = _hall_items().select_related("department", "division")
    chosen: dict = {"q": f.get("q", "")}
    if home is not None and "division" not in params:
        qs = hall.around(qs, home)
        chosen["home"] = home
    if f.get("department"):
        dept = Department.objects.filter(code=f["department"]).first()
        qs = qs.filter(department=dept) if dept else qs.none()
        chosen["department"] = dept
    if f.get("division"):
        division = Division.objects.filter(pk=f["division"]).first()
        qs = qs.filter(division__path__startswith=division.path) if division else qs.none()
        chosen["division"] = division
    if f.get("event"):
        qs = by_event(qs, f["event"])
        chosen["event"] = (f["event"], event_label(f["event"]) or f["event"])
    qs = search(qs, f.get("q"))
    if not f.get("q"):
        qs = qs.order_by("code")
    return qs, chosen


def item_list(request: HttpRequest) -> HttpResponse:
    """事项检索: results of a search (jieba; partial words match), a department or an
    event."""
    qs, chosen = search_items(request.GET, hall.home_county(request.user))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    divisions = Division.objects.filter(Q(pk=CITY) | Q(parent_id=CITY)).order_by("code")
    widen = params.copy()
    widen["division"] = ""
    life, enterprise = hall.events_with_items(hall.event_counts())
    return render(
        request,
        "services/items.html",
        {
            "page": page,
            "chosen": chosen,
            "query": params.urlencode(),
            "widen_query": widen.urlencode(),
            "bundles": hall.bundles_for(chosen.get("q")) if page.number == 1 else [],
            "divisions": divisions,
            "life_events": [(c, label) for c, label, _n in life],
            "enterprise_events": [(c, label) for c, label, _n in enterprise],
        },
    )


def _material_rows(item: ServiceItem, cache: dict) -> list[dict]:
    rows = []
    for m in item.materials.all():
        rows.append(
            {
                "m": m,
                "licence": licence_name(m.licence_type_code, cache),
                "registry": REGISTRY_FACTS.get(m.registry_fact, ""),
            }
        )
    return rows


def _visible_item(request: HttpRequest, code: str) -> ServiceItem:
    if not CODE_RE.fullmatch(code):
        raise Http404(_("未找到该事项，或它已停用。"))
    item = (
        access.visible_items(request.user)
        .select_related("department", "division", "parent", "parent__parent")
        .filter(code=code)
        .first()
    )
    if item is None:
        raise Http404(_("未找到该事项，或它已停用。"))
    return item


def item_guide(request: HttpRequest, code: str) -> HttpResponse:
    """办事指南: the six basic elements and, for a 业务办理项, its implementation list
    (conditions, materials with 免证可办 marks, steps with time limits, fees, time
    limits, visits, place, hours, contacts) and the 在线申请 button."""
    item = _visible_item(request, code)
    chain: list[ServiceItem] = []
    node = item.parent
    while node is not None and len(chain) < 3:
        chain.insert(0, node)
        node = node.parent
    children = access.public_items(item.children.all()).order_by("code")
    handling = item.level == Level.HANDLING
    steps = list(item.steps.all()) if handling else []
    names: dict = {}
    context = {
        "item": item,
        "chain": chain,
        "children": children,
        "handling": handling,
        "materials": _material_rows(item, names) if handling else [],
        "steps": steps,
        "step_days": sum(s.days for s in steps),
        "fees": item.fees or [],
        "form_fields": [
            {**f, "type_label": FIELD_TYPES.get(f.get("type"), f.get("type"))}
            for f in item.form_fields or []
        ],
        "events": [
            event_label(e) for e in (item.life_events or []) + (item.enterprise_events or [])
        ],
        "issues": licence_name(item.licence_type_code, names),
        "online": handling and item.status == Status.PUBLISHED and item.online,
        "can_apply": handling
        and item.status == Status.PUBLISHED
        and item.online
        and access.may_apply(request.user),
        "window_url": _window_url(request.user, item),
        "apply_url": apply_url(item),
        "instant": bool(item.instant_rules),
        "can_manage": access.may_manage(request.user, item.department)
        if request.user.is_authenticated
        else False,
    }
    return render(request, "services/guide.html", context)


# --- staff: keeping the department's items ---


def manageable_departments(user) -> QuerySet:
    """Departments whose items the user keeps (``service.manage``)."""
    return departments_in_scope(user, "service.manage")


@login_required
def manage_list(request: HttpRequest) -> HttpResponse:
    """我的事项: the items of the departments the user keeps, any status."""
    require(request.user, "service.manage")
    qs = access.manageable_items(request.user).select_related("department", "parent")
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    level = request.GET.get("level", "")
    if level in Level.values:
        qs = qs.filter(level=level)
    qs = search(qs, request.GET.get("q"))
    if not request.GET.get("q"):
        qs = qs.order_by("code")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "services/manage/list.html",
        {
            "page": page,
            "query": params.urlencode(),
            "q": request.GET.get("q", ""),
            "status": status,
            "level": level,
            "statuses": Status.choices,
            "levels": Level.choices,
        },
    )


class JSONListField(forms.CharField):
    """A JSON array typed into a textarea (申请表字段, 秒批规则)."""

    widget = forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"})

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        if not text:
            return []
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(
                _("不是有效的 JSON（第 %(line)s 行第 %(col)s 列附近）。")
                % {"line": getattr(exc, "lineno", "?"), "col": getattr(exc, "colno", "?")}
            ) from None
        if not isinstance(data, list):
            raise forms.ValidationError(_("应为 JSON 数组，形如 [ {...}, {...} ]。"))
        return data

    def prepare_value(self, value):
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, indent=1) if value else ""
        return value


class ItemForm(forms.Form):
    code = forms.CharField(label=_l("事项编码"), max_length=40)
    department = forms.ModelChoiceField(label=_l("主管部门"), queryset=Department.objects.none())
    name = forms.CharField(label=_l("事项名称"), max_length=200)
    kind = forms.ChoiceField(label=_l("事项类型"), choices=ItemKind.choices)
    level = forms.ChoiceField(label=_l("层级"), choices=Level.choices, initial=Level.HANDLING)
    parent = forms.CharField(
        label=_l("上级事项编码"),
        max_length=40,
        required=False,
        help_text=_l("子项挂在主项下，业务办理项挂在主项或子项下；主项留空。"),
    )
    handling = forms.ChoiceField(
        label=_l("办理项类型"),
        choices=[("", "—"), *ServiceItem.Handling.choices],
        required=False,
    )
    division = forms.CharField(
        label=_l("实施区划代码"),
        max_length=12,
        required=False,
        help_text=_l("留空为部门所在区划。"),
    )
    implementer = forms.CharField(label=_l("实施主体"), max_length=200, required=False)
    legal_basis = forms.CharField(label=_l("设定依据"), widget=forms.Textarea(attrs={"rows": 3}))
    conditions = forms.CharField(
        label=_l("受理条件"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    applicants = forms.ChoiceField(label=_l("服务对象"), choices=ServiceItem.Applicants.choices)
    statutory_days = forms.IntegerField(
        label=_l("法定办结时限（工作日）"), required=False, min_value=0, max_value=365
    )
    promised_days = forms.IntegerField(
        label=_l("承诺办结时限（工作日）"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_l("不得超过法定办结时限。"),
    )
    visits = forms.IntegerField(label=_l("到办事现场次数"), min_value=0, max_value=10, initial=0)
    place = forms.CharField(label=_l("办理地点"), max_length=200, required=False)
    hours = forms.CharField(label=_l("办理时间"), max_length=200, required=False)
    contact_phone = forms.CharField(label=_l("咨询电话"), max_length=40, required=False)
    complaint_phone = forms.CharField(label=_l("监督投诉电话"), max_length=40, required=False)
    online = forms.BooleanField(label=_l("可网上办理"), required=False, initial=True)
    keywords = forms.CharField(label=_l("关键词"), max_length=200, required=False)
    licence_type_code = forms.CharField(
        label=_l("办结发放电子证照类型"),
        max_length=40,
        required=False,
        help_text=_l("证照类型标识，如 food_business。"),
    )
    registers_entity = forms.ChoiceField(
        label=_l("设立登记主体类型"),
        choices=ServiceItem.Registers.choices,
        required=False,
        help_text=_l(
            "设立登记办结时为新设立的主体赋统一社会信用代码，记入法人库，电子证照核发给该主体。"
        ),
    )
    life_events = forms.MultipleChoiceField(
        label=_l("个人生命周期事件"),
        choices=LIFE_EVENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    enterprise_events = forms.MultipleChoiceField(
        label=_l("企业生命周期事件"),
        choices=ENTERPRISE_EVENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    form_fields = JSONListField(
        label=_l("申请表字段（JSON）"),
        required=False,
        help_text=_l(
            '例如 [{"name": "shop_name", "label": "店铺名称", "type": "text", "required": true}]'
        ),
    )
    instant_rules = JSONListField(
        label=_l("秒批规则（JSON）"),
        required=False,
        help_text=_l(
            '例如 [{"code": "adult", "name": "年满16周岁", "basis": "……", '
            '"when": [{"field": "applicant.age", "op": "ge", "value": 16}]}]'
        ),
    )

    BASIC = ("code", "department", "name", "kind", "level", "parent", "handling", "division")
    ELEMENTS = ("implementer", "legal_basis", "applicants", "keywords")
    LIST = (
        "conditions",
        "statutory_days",
        "promised_days",
        "visits",
        "place",
        "hours",
        "contact_phone",
        "complaint_phone",
        "online",
        "licence_type_code",
        "registers_entity",
    )

    def group(self, names):
        return [self[n] for n in names if n in self.fields]

    def basic_fields(self):
        return self.group(self.BASIC + self.ELEMENTS)

    def list_fields(self):
        return self.group(self.LIST)


class MaterialForm(forms.Form):
    name = forms.CharField(label=_l("材料名称"), max_length=200, required=False)
    required = forms.BooleanField(label=_l("必要"), required=False, initial=True)
    form = forms.ChoiceField(label=_l("形式"), choices=MaterialSpec.Form.choices)
    copies = forms.IntegerField(label=_l("份数"), min_value=1, max_value=99, initial=1)
    licence_type_code = forms.CharField(label=_l("可用电子证照"), max_length=40, required=False)
    registry_fact = forms.ChoiceField(
        label=_l("可由基础库核验"),
        required=False,
        choices=[("", "—"), *REGISTRY_FACTS.items()],
    )
    source_note = forms.CharField(label=_l("来源渠道"), max_length=200, required=False)
    note = forms.CharField(label=_l("填报说明"), max_length=2000, required=False)


class StepForm(forms.Form):
    name = forms.CharField(label=_l("环节名称"), max_length=100, required=False)
    days = forms.IntegerField(label=_l("时限（工作日）"), min_value=0, max_value=365, initial=0)
    description = forms.CharField(label=_l("环节说明"), max_length=2000, required=False)


class FeeForm(forms.Form):
    name = forms.CharField(label=_l("收费项目"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_l("金额（元）"), min_value=0, max_digits=12, decimal_places=2, required=False
    )
    basis = forms.CharField(label=_l("收费依据"), max_length=500, required=False)


MaterialFormSet = forms.formset_factory(MaterialForm, extra=2, can_delete=True, max_num=100)
StepFormSet = forms.formset_factory(StepForm, extra=2, can_delete=True, max_num=100)
FeeFormSet = forms.formset_factory(FeeForm, extra=1, can_delete=True, max_num=50)


def _rows(formset, keys: tuple[str, ...]) -> list[dict]:
    out = []
    for f in formset.forms:
        d = getattr(f, "cleaned_data", None) or {}
        if not d or d.get("DELETE") or not (d.get("name") or "").strip():
            continue
        out.append({k: d.get(k) for k in keys})
    return out


MATERIAL_KEYS = (
    "name",
    "required",
    "form",
    "copies",
    "licence_type_code",
    "registry_fact",
    "source_note",
    "note",
)


def _values(form: ItemForm, fees: list[dict]) -> dict:
    d = dict(form.cleaned_data)
    for k in ("code", "department"):
        d.pop(k, None)
    d["fees"] = [
        {
            "name": f["name"],
            "amount": str(f["amount"] if f["amount"] is not None else 0),
            "basis": f["basis"],
        }
        for f in fees
    ]
    return d


def _initial(item: ServiceItem) -> tuple[dict, list, list, list]:
    data = {k: getattr(item, k) for k in ItemForm.base_fields if hasattr(item, k)}
    data["department"] = item.department_id
    data["parent"] = item.parent.code if item.parent is not None else ""
    data["division"] = item.division_id
    mats = [{k: getattr(m, k) for k in MATERIAL_KEYS} for m in item.materials.all()]
    steps = [
        {"name": s.name, "days": s.days, "description": s.description} for s in item.steps.all()
    ]
    fees = [
        {"name": f.get("name", ""), "amount": f.get("amount"), "basis": f.get("basis", "")}
        for f in item.fees or []
    ]
    return data, mats, steps, fees


def _attach_errors(exc: ValidationError, form: ItemForm) -> list[str]:
    """Put an action's field errors on the form's fields too; return every message for
    the summary at the top of the page."""
    if not hasattr(exc, "error_dict"):
        return exc.messages
    top: list[str] = []
    for field, msgs in exc.message_dict.items():
        if field in form.fields and not form.fields[field].disabled:
            for m in msgs:
                form.add_error(field, m)
        top += msgs
    return top


def _managed_item(request: HttpRequest, code: str) -> ServiceItem:
    item = None
    if CODE_RE.fullmatch(code):
        item = access.manageable_items(request.user).filter(code=code).first()
    if item is None:
        raise Http404(_("未找到该事项，或您无权修改。"))
    return item


@login_required
def item_form(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """编制/修改事项: basic elements, hierarchy and the implementation list, with rows of
    materials, steps and fees and JSON for the form fields and 秒批 rules."""
    require(request.user, "service.manage")
    departments = manageable_departments(request.user).order_by("code")
    item = None
    if code is not None:
        item = _managed_item(request, code)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        fixed = {"code": item.code, "department": item.department_id} if item else {}
        form = ItemForm(request.POST, initial=fixed)
        _department_field(form).queryset = departments
        if item is not None:  # code and department are kept as they are
            form.fields["code"].disabled = True
            form.fields["department"].disabled = True
            _department_field(form).queryset = Department.objects.filter(pk=item.department_id)
        mats = MaterialFormSet(request.POST, prefix="materials")
        steps = StepFormSet(request.POST, prefix="steps")
        fees = FeeFormSet(request.POST, prefix="fees")
        valid = all([form.is_valid(), mats.is_valid(), steps.is_valid(), fees.is_valid()])
        if valid:
            values = _values(form, _rows(fees, ("name", "amount", "basis")))
            kw: dict[str, Any] = {
                "values": values,
                "materials": _rows(mats, MATERIAL_KEYS),
                "steps": _rows(steps, ("name", "days", "description")),
            }
            try:
                if item is None:
                    item = do_create_item(
                        actor=request.user,
                        department=form.cleaned_data["department"],
                        code=form.cleaned_data["code"],
                        **kw,
                    )
                else:
                    item = do_update_item(actor=request.user, item=item, **kw)
            except ValidationError as exc:
                if item is not None and item.pk is None:
                    item = None
                errors = _attach_errors(exc, form)
                status = status_of(exc)
            else:
                messages.success(request, _("已保存事项 %s。") % item.code)
                return redirect("services:manage-edit", code=item.code)
        else:
            status = 400
            errors = [_("请检查标红的内容。")]
    else:
        if item is not None:
            data, m_init, s_init, f_init = _initial(item)
        else:
            data, m_init, s_init, f_init = {"online": True, "visits": 0}, [], [], []
            dept = departments.first()
            if dept is not None:
                data["department"] = dept.pk
                data["implementer"] = dept.name
        form = ItemForm(initial=data)
        _department_field(form).queryset = departments
        mats = MaterialFormSet(initial=m_init, prefix="materials")
        steps = StepFormSet(initial=s_init, prefix="steps")
        fees = FeeFormSet(initial=f_init, prefix="fees")
    if item is not None:
        form.fields["code"].disabled = True
        form.fields["department"].disabled = True
    parents = (
        access.manageable_items(request.user)
        .filter(level__in=(Level.MAIN, Level.SUB))
        .only("code", "name", "level")
        .order_by("code")[:500]
    )
    return render(
        request,
        "services/manage/form.html",
        {
            "form": form,
            "materials": mats,
            "steps": steps,
            "fees": fees,
            "item": item,
            "errors": errors,
            "withdraw_form": ItemOpForm(),
            "parents": parents,
            "field_types": FIELD_TYPES,
        },
        status=status,
    )


@login_required
@require_POST
def item_op(request: HttpRequest, code: str, op: str) -> HttpResponse:
    """发布 / 停用 an item (from the list or the edit page). A refusal (a parent not yet
    published, an item already in that state) is answered by its kind, with its
    messages, by ``RefusalMiddleware``."""
    require(request.user, "service.manage")
    item = _managed_item(request, code)
    form = ItemOpForm(request.POST)
    if op not in ("publish", "withdraw") or not form.is_valid():
        raise Http404(_("未知的操作。"))
    if op == "publish":
        do_publish_item(actor=request.user, item=item)
        messages.success(request, _("已发布：%s") % item.name)
    else:
        do_withdraw_item(actor=request.user, item=item, reason=form.cleaned_data["reason"])
        messages.success(request, _("已停用：%s") % item.name)
    if form.cleaned_data["next"] == "list":
        return redirect("services:manage")
    return redirect("services:manage-edit", code=item.code)


urlpatterns: list = [
    path("", home, name="home"),
    path("items/", item_list, name="items"),
    path("items/<str:code>/", item_guide, name="item"),
    path("manage/items/", manage_list, name="manage"),
    path("manage/items/new/", item_form, name="manage-new"),
    path("manage/items/<str:code>/edit/", item_form, name="manage-edit"),
    path("manage/items/<str:code>/<str:op>/", item_op, name="manage-op"),
]
