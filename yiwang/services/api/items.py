"""政务服务事项 API under /api/v1/services/items: anyone lists, searches and reads the
published items (办事指南); department admins create, update, publish and withdraw
their department's items (and see their drafts with ``manage=true``)."""

from decimal import Decimal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from ninja.security import django_auth
from pydantic import Field

from yiwang.core.access import require
from yiwang.core.api.pagination import Mapped, Pagination
from yiwang.core.identity.tokens import BearerAuth, api_scope, require_scope
from yiwang.core.models import Department
from yiwang.services import access
from yiwang.services.actions.items import (
    CODE_RE,
    do_create_item,
    do_publish_item,
    do_update_item,
    do_withdraw_item,
)
from yiwang.services.models import ServiceItem
from yiwang.services.search import by_event, search

router = Router()


def _anyone(request):
    """Public reads: no credentials needed (a bearer token or session still counts)."""
    return "anonymous"


PUBLIC = [BearerAuth(), django_auth, _anyone]


class MaterialIn(Schema):
    name: str = Field(..., max_length=200)
    required: bool = True
    form: str = Field("electronic", max_length=12, description="original / copy / electronic")
    copies: int = Field(1, ge=1, le=99)
    source_note: str = Field("", max_length=200)
    licence_type_code: str = Field("", max_length=40, description="可替代的电子证照类型标识")
    registry_fact: str = Field("", max_length=40, description="person / legal_entity")
    generated: bool = Field(False, description="系统根据申请表自动生成（申请书）")
    note: str = Field("", max_length=2000)


class StepIn(Schema):
    name: str = Field(..., max_length=100)
    days: int = Field(0, ge=0, le=365, description="环节时限（工作日）")
    description: str = Field("", max_length=2000)


class FeeIn(Schema):
    name: str = Field(..., max_length=200)
    amount: Decimal = Field(..., ge=0, max_digits=12, decimal_places=2)
    basis: str = Field("", max_length=500)


class ItemIn(Schema):
    name: str = Field(..., max_length=200)
    kind: str = Field(..., max_length=20, description="licensing / confirmation / payment / …")
    implementer: str = Field("", max_length=200)
    legal_basis: str = Field(..., max_length=5000)
    level: str = Field(..., max_length=10, description="main / sub / handling")
    parent: str | None = Field(None, max_length=40, description="上级事项编码")
    handling: str = Field("", max_length=10, description="new / change / renewal / cancel / other")
    division: str | None = Field(
        None, max_length=12, description="实施区划代码（默认部门所在区划）"
    )
    conditions: str = Field("", max_length=5000)
    applicants: str = Field("both", max_length=10)
    statutory_days: int | None = Field(None, ge=0, le=365)
    promised_days: int | None = Field(None, ge=0, le=365)
    visits: int = Field(0, ge=0, le=10)
    fees: list[FeeIn] = Field(default_factory=list, max_length=50)
    place: str = Field("", max_length=200)
    hours: str = Field("", max_length=200)
    contact_phone: str = Field("", max_length=40)
    complaint_phone: str = Field("", max_length=40)
    online: bool = True
    form_fields: list[dict] = Field(default_factory=list, max_length=100)
    life_events: list[str] = Field(default_factory=list, max_length=20)
    enterprise_events: list[str] = Field(default_factory=list, max_length=20)
    keywords: str = Field("", max_length=200)
    licence_type_code: str = Field("", max_length=40)
    registers_entity: str = Field(
        "",
        max_length=2,
        description="设立登记主体类型：91 企业、92 个体工商户、93 农民专业合作社（办结时赋码）",
    )
    instant_rules: list[dict] = Field(default_factory=list, max_length=20)
    materials: list[MaterialIn] | None = Field(None, max_length=100, description="省略则保持不变")
    steps: list[StepIn] | None = Field(None, max_length=100, description="省略则保持不变")


class ItemCreateIn(ItemIn):
    code: str = Field(..., max_length=40)
    department: str = Field(..., max_length=32, description="主管部门编码")


class WithdrawIn(Schema):
    reason: str = Field("", max_length=500)


class MaterialOut(Schema):
    position: int
    name: str
    required: bool
    form: str
    copies: int
    source_note: str
    licence_type_code: str
    registry_fact: str
    generated: bool
    note: str


class StepOut(Schema):
    position: int
    name: str
    days: int
    description: str


class ItemOut(Schema):
    code: str
    name: str
    kind: str
    level: str
    handling: str
    parent: str | None
    department: str
    department_name: str
    division: str
    status: str
    statutory_days: int | None
    promised_days: int | None
    visits: int
    online: bool
    life_events: list[str]
    enterprise_events: list[str]
    licence_type_code: str
    instant: bool
    url: str


class ItemDetailOut(ItemOut):
    registers_entity: str
    implementer: str
    legal_basis: str
    conditions: str
    applicants: str
    fees: list[dict]
    place: str
    hours: str
    contact_phone: str
    complaint_phone: str
    keywords: str
    form_fields: list[dict]
    instant_rules: list[dict]
    materials: list[MaterialOut]
    steps: list[StepOut]
    children: list[str]


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict]


class ErrorOut(Schema):
    error: ErrorBody


def item_out(i: ServiceItem) -> dict:
    return {
        "code": i.code,
        "name": i.name,
        "kind": i.kind,
        "level": i.level,
        "handling": i.handling,
        "parent": i.parent.code if i.parent is not None else None,
        "department": i.department.code,
        "department_name": i.department.name,
        "division": i.division_id,
        "status": i.status,
        "statutory_days": i.statutory_days,
        "promised_days": i.promised_days,
        "visits": i.visits,
        "online": i.online,
        "life_events": list(i.life_events or []),
        "enterprise_events": list(i.enterprise_events or []),
        "licence_type_code": i.licence_type_code,
        "instant": bool(i.instant_rules),
        "url": f"/services/items/{i.code}/",
    }


def detail_out(i: ServiceItem) -> dict:
    return {
        **item_out(i),
        "registers_entity": i.registers_entity,
        "implementer": i.implementer,
        "legal_basis": i.legal_basis,
        "conditions": i.conditions,
        "applicants": i.applicants,
        "fees": list(i.fees or []),
        "place": i.place,
        "hours": i.hours,
        "contact_phone": i.contact_phone,
        "complaint_phone": i.complaint_phone,
        "keywords": i.keywords,
        "form_fields": list(i.form_fields or []),
        "instant_rules": list(i.instant_rules or []),
        "materials": [
            {
                "position": m.position,
                "name": m.name,
                "required": m.required,
                "form": m.form,
                "copies": m.copies,
                "source_note": m.source_note,
                "licence_type_code": m.licence_type_code,
                "registry_fact": m.registry_fact,
                "generated": m.generated,
                "note": m.note,
            }
            for m in i.materials.all()
        ],
        "steps": [
            {"position": s.position, "name": s.name, "days": s.days, "description": s.description}
            for s in i.steps.all()
        ],
        "children": list(
            access.public_items(i.children.all()).order_by("code").values_list("code", flat=True)
        ),
    }


def _payload(payload: ItemIn) -> tuple[dict, list | None, list | None]:
    data = payload.dict()
    materials = data.pop("materials")
    steps = data.pop("steps")
    data.pop("code", None)
    data.pop("department", None)
    data["fees"] = [{**f, "amount": str(f["amount"])} for f in data["fees"]]
    return data, materials, steps


def _code(code: str) -> str:
    """An item code from the path; anything that cannot be one names no item (404)."""
    if not CODE_RE.fullmatch(code or ""):
        raise Http404(_("未找到该事项，或它已停用。"))
    return code


def _managed(request, code: str) -> ServiceItem:
    require_scope(request, "write")
    require(request.user, "service.manage")
    item = access.manageable_items(request.user).filter(code=_code(code)).first()
    if item is None:
        raise Http404(_("未找到该事项，或您无权修改。"))
    return item


class ItemFilter(Schema):
    q: str = Field("", max_length=100, description="关键词（名称、关键词、部门、事件；支持部分词）")
    department: str = Field("", max_length=32, description="部门编码")
    division: str = Field("", max_length=12, description="区划代码（含下级）")
    event: str = Field("", max_length=40, description="生命周期事件代码")
    level: str = Field("handling", max_length=10, description="main / sub / handling / all")
    manage: bool = Field(False, description="true：本人管理的全部事项（含草稿、停用）")


@router.get("/items", response=list[ItemOut], auth=PUBLIC, url_name="services-items")
@paginate(Pagination, page_size=20)
def list_items(request, filters: Query[ItemFilter]):
    """事项清单与检索: published items (or, with ``manage=true``, the items the caller
    keeps), by keyword (jieba; part of a word matches), department, division, event."""
    if filters.manage:
        require_scope(request, "read")
        require(request.user, "service.manage")
        qs = access.manageable_items(request.user)
    else:
        qs = access.public_items()
    for name in ("department", "division", "event", "level"):
        setattr(filters, name, getattr(filters, name).replace("\x00", ""))
    qs = qs.select_related("department", "parent")
    if filters.level != "all":
        qs = qs.filter(level=filters.level)
    if filters.department:
        qs = qs.filter(department__code=filters.department)
    if filters.division:
        qs = qs.filter(division__path__contains=f"/{filters.division}/")
    qs = by_event(qs, filters.event)
    qs = search(qs, filters.q)
    if not filters.q:
        qs = qs.order_by("code")
    return Mapped(qs, item_out)


@router.get(
    "/items/{code}",
    response={200: ItemDetailOut, 404: ErrorOut},
    auth=PUBLIC,
    url_name="services-item",
)
def get_item(request, code: str):
    """办事指南 data of one item (drafts only for those who keep them)."""
    item = (
        access.visible_items(request.user)
        .select_related("department", "parent")
        .filter(code=_code(code))
        .first()
    )
    if item is None:
        raise Http404(_("未找到该事项，或它已停用。"))
    return Status(200, detail_out(item))


@router.post(
    "/items",
    response={201: ItemDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
def create_item(request, payload: ItemCreateIn):
    """编制事项 (草稿) of a department the caller keeps."""
    require_scope(request, "write")
    require(request.user, "service.manage")
    department = (
        Department.objects.select_related("division")
        .filter(code=payload.department.replace("\x00", ""))
        .first()
    )
    if department is None:
        raise Http404(_("未找到该部门。"))
    values, materials, steps = _payload(payload)
    item = do_create_item(
        actor=request.user,
        department=department,
        code=payload.code,
        values=values,
        materials=materials,
        steps=steps,
    )
    return Status(201, detail_out(item))


@router.put(
    "/items/{code}",
    response={200: ItemDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
@api_scope("write")
def update_item(request, code: str, payload: ItemIn):
    """修改事项: every element is replaced; materials and steps only when given."""
    item = _managed(request, code)
    values, materials, steps = _payload(payload)
    item = do_update_item(
        actor=request.user, item=item, values=values, materials=materials, steps=steps
    )
    return Status(200, detail_out(item))


@router.post(
    "/items/{code}/publish",
    response={200: ItemDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
@api_scope("write")
def publish_item(request, code: str):
    """发布 to the service hall."""
    item = do_publish_item(actor=request.user, item=_managed(request, code))
    return Status(200, detail_out(item))


@router.post(
    "/items/{code}/withdraw",
    response={200: ItemDetailOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
@api_scope("write")
def withdraw_item(request, code: str, payload: WithdrawIn | None = None):
    """停用 (with its published lower-level items)."""
    item = do_withdraw_item(
        actor=request.user, item=_managed(request, code), reason=payload.reason if payload else ""
    )
    return Status(200, detail_out(item))
