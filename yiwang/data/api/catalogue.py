"""政务数据目录 API under /api/v1/data/catalogue: browse and search resources, draft,
edit, submit, review and version them, export the catalogue as Excel; list data elements
and claim an element's single authoritative source (一数一源)."""

import datetime as dt

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from yiwang.core.access import pick, require
from yiwang.core.api.pagination import Mapped, Pagination
from yiwang.core.identity.tokens import api_scope, require_scope
from yiwang.core.models import Department
from yiwang.data import access
from yiwang.data.actions.catalogue import (
    CASE_STATUS,
    do_draft_resource,
    do_new_version,
    do_review_resource,
    do_submit_resource,
    do_sync_resource_with_case,
    do_update_draft,
    grade_review_cutoff,
)
from yiwang.data.actions.standards import do_claim_element
from yiwang.data.export import catalogue_workbook
from yiwang.data.models import DataElement, DataResource
from yiwang.data.search import search

router = Router()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ItemIn(Schema):
    name: str = Field(..., max_length=100)
    element: str = Field(..., max_length=20, description="数据元编码")
    data_type: str = Field("", max_length=16, description="留空则取数据元的类型")
    field: str = Field("", max_length=40)
    required: bool = False
    is_key: bool = False


class ResourceIn(Schema):
    provider: str = Field(..., max_length=32, description="提供方部门编码")
    catalogue: str = Field(..., max_length=20, description="目录分类编码")
    name: str = Field(..., max_length=200)
    abstract: str = Field("", max_length=5000)
    format: str = Field("数据库", max_length=40)
    registry: str = Field("", max_length=16)
    share_type: str = Field(..., max_length=16)
    share_condition: str = Field("", max_length=2000)
    share_method: str = Field("接口", max_length=40)
    no_share_basis: str = Field("", max_length=2000)
    open_type: str = Field(..., max_length=16)
    open_condition: str = Field("", max_length=2000)
    update_cycle: str = Field(..., max_length=12)
    grade: str = Field(..., max_length=12)
    level: int | None = Field(None, ge=1, le=4)
    items: list[ItemIn] = Field(..., max_length=500)


class ReviewIn(Schema):
    action: str = Field(..., max_length=16, description="publish / return")
    comment: str = Field("", max_length=2000)


class ClaimIn(Schema):
    department: str = Field(..., max_length=32, description="部门编码")


class ItemOut(Schema):
    position: int
    name: str
    data_type: str
    element: str
    element_name: str
    field: str
    required: bool
    is_key: bool


class ResourceOut(Schema):
    id: int
    code: str
    version: int
    status: str
    name: str
    catalogue: str
    kind: str
    provider: str
    provider_name: str
    abstract: str
    format: str
    registry: str
    share_type: str
    share_condition: str
    share_method: str
    no_share_basis: str
    open_type: str
    open_condition: str
    update_cycle: str
    grade: str
    level: int | None
    graded_at: dt.date | None
    needs_regrade: bool
    publish_date: dt.date | None
    case: str | None


class VersionOut(Schema):
    id: int
    version: int
    status: str
    publish_date: dt.date | None


class ResourceDetailOut(ResourceOut):
    items: list[ItemOut]
    versions: list[VersionOut]
    related: list[str]


class ElementOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    definition: str
    data_type: str
    max_length: int | None
    pattern: str
    validator: str
    code_list: dict[str, str]
    personal: bool
    sensitive: bool
    standard: str
    source_department: str | None
    source_department_name: str | None


class ElementDetailOut(ElementOut):
    used_by: list[str]


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict]


class ErrorOut(Schema):
    error: ErrorBody


def resource_out(r: DataResource, cutoff: dt.date | None = None) -> dict:
    cutoff = cutoff or grade_review_cutoff()
    return {
        "id": r.pk,
        "code": r.code,
        "version": r.version,
        "status": r.status,
        "name": r.name,
        "catalogue": r.catalogue.code,
        "kind": r.kind,
        "provider": r.provider.code,
        "provider_name": r.provider.name,
        "abstract": r.abstract,
        "format": r.format,
        "registry": r.registry,
        "share_type": r.share_type,
        "share_condition": r.share_condition,
        "share_method": r.share_method,
        "no_share_basis": r.no_share_basis,
        "open_type": r.open_type,
        "open_condition": r.open_condition,
        "update_cycle": r.update_cycle,
        "grade": r.grade,
        "level": r.level,
        "graded_at": r.graded_at,
        "needs_regrade": bool(r.graded_at and r.graded_at < cutoff),
        "publish_date": r.publish_date,
        "case": r.case.number if r.case is not None else None,
    }


def detail_out(user, r: DataResource) -> dict:
    visible = access.resources(user)
    return {
        **resource_out(r),
        "items": [
            {
                "position": i.position,
                "name": i.name,
                "data_type": i.data_type,
                "element": i.element.code,
                "element_name": i.element.name,
                "field": i.field,
                "required": i.required,
                "is_key": i.is_key,
            }
            for i in r.items.select_related("element")
        ],
        "versions": [
            {"id": v.pk, "version": v.version, "status": v.status, "publish_date": v.publish_date}
            for v in visible.filter(code=r.code).order_by("-version")
        ],
        "related": [x.code for x in r.related.filter(pk__in=visible.values("pk"))],
    }


def element_out(e: DataElement) -> dict:
    dept = e.source_department
    return {
        "id": e.pk,
        "code": e.code,
        "name": e.name,
        "name_en": e.name_en,
        "definition": e.definition,
        "data_type": e.data_type,
        "max_length": e.max_length,
        "pattern": e.pattern,
        "validator": e.validator,
        "code_list": {str(k): str(v) for k, v in (e.code_list or {}).items()},
        "personal": e.personal,
        "sensitive": e.sensitive,
        "standard": e.standard,
        "source_department": dept.code if dept else None,
        "source_department_name": dept.name if dept else None,
    }


def _staff(request, write: bool = False) -> None:
    require_scope(request, "write" if write else "read")
    require(request.user, "data.view")


def _resource(request, pk: int) -> DataResource:
    qs = access.resources(request.user).select_related("provider", "catalogue", "case")
    r = pick(qs, pk)
    if r.case and CASE_STATUS.get(r.case.state, r.status) != r.status:
        r = do_sync_resource_with_case(actor=request.user, resource=r)
    return r


def _payload_values(payload: ResourceIn) -> tuple[dict, list[dict]]:
    data = payload.dict()
    items = data.pop("items")
    for k in ("provider", "catalogue"):
        data.pop(k)
    return data, items


class ResourceFilter(Schema):
    q: str = Field("", max_length=100, description="关键词（名称、摘要、信息项）")
    catalogue: str = Field("", max_length=20, description="目录分类编码（含下级）")
    kind: str = Field("", max_length=12)
    provider: str = Field("", max_length=32, description="提供方部门编码")
    share_type: str = Field("", max_length=16)
    open_type: str = Field("", max_length=16)
    grade: str = Field("", max_length=12)
    status: str = Field("published", max_length=12, description="状态；all 为全部版本")


def _filtered(request, f: ResourceFilter):
    qs = access.resources(request.user).select_related("provider", "catalogue", "case")
    if f.status != "all":
        qs = qs.filter(status=f.status)
    if f.catalogue:
        qs = qs.filter(catalogue__code__startswith=f.catalogue)
    if f.provider:
        qs = qs.filter(provider__code=f.provider)
    for name in ("kind", "share_type", "open_type", "grade"):
        value = getattr(f, name)
        if value:
            qs = qs.filter(**{name: value})
    return search(qs, f.q).order_by("code", "-version")


@router.get("/resources", response=list[ResourceOut], url_name="data-catalogue-resources")
@paginate(Pagination, page_size=50)
@api_scope("read")
def list_resources(request, filters: Query[ResourceFilter]):
    """政务数据目录: the published resources (or the user's drafts and history), filtered
    and searched."""
    _staff(request)
    cutoff = grade_review_cutoff()
    return Mapped(_filtered(request, filters), lambda r: resource_out(r, cutoff))


@router.get(
    "/resources/{int:pk}",
    response={200: ResourceDetailOut, 404: ErrorOut},
    url_name="data-resource",
)
@api_scope("read")
def get_resource(request, pk: int):
    _staff(request)
    return Status(200, detail_out(request.user, _resource(request, pk)))


@router.post("/resources", response={201: ResourceDetailOut, 404: ErrorOut, 422: ErrorOut})
@api_scope("write")
def create_resource(request, payload: ResourceIn):
    """编目: a data steward drafts a resource of their department."""
    _staff(request, write=True)
    require(request.user, "data.manage")
    provider = Department.objects.filter(code=payload.provider).first()
    if provider is None:
        raise Http404(_("未找到该部门。"))
    values, items = _payload_values(payload)
    r = do_draft_resource(
        actor=request.user,
        provider=provider,
        catalogue=payload.catalogue,
        values=values,
        items=items,
    )
    return Status(201, detail_out(request.user, r))


@router.put(
    "/resources/{int:pk}",
    response={200: ResourceDetailOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
@api_scope("write")
def update_resource(request, pk: int, payload: ResourceIn):
    """Edit a draft or returned version (submitted and published ones: 409)."""
    _staff(request, write=True)
    r = pick(access.manageable_resources(request.user), pk)
    values, items = _payload_values(payload)
    r = do_update_draft(
        actor=request.user, resource=r, values=values, items=items, catalogue=payload.catalogue
    )
    return Status(200, detail_out(request.user, r))


@router.post(
    "/resources/{int:pk}/submit",
    response={200: ResourceDetailOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
@api_scope("write")
def submit_resource(request, pk: int):
    """提交审核 (starts the bureau's review)."""
    _staff(request, write=True)
    r = pick(access.manageable_resources(request.user), pk)
    return Status(200, detail_out(request.user, do_submit_resource(actor=request.user, resource=r)))


@router.post(
    "/resources/{int:pk}/review",
    response={200: ResourceDetailOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
@api_scope("write")
def review_resource(request, pk: int, payload: ReviewIn):
    """大数据局审核: publish or return (with comment)."""
    _staff(request, write=True)
    require(request.user, "data.review")
    r = _resource(request, pk)
    r = do_review_resource(
        actor=request.user, resource=r, action=payload.action, comment=payload.comment
    )
    return Status(200, detail_out(request.user, r))


@router.post(
    "/resources/{int:pk}/new-version",
    response={201: ResourceDetailOut, 404: ErrorOut, 409: ErrorOut},
)
@api_scope("write")
def new_version(request, pk: int):
    """新建版本: a draft v+1 copied from the published version."""
    _staff(request, write=True)
    r = pick(access.manageable_resources(request.user), pk)
    return Status(201, detail_out(request.user, do_new_version(actor=request.user, resource=r)))


@router.get("/export.xlsx", url_name="data-catalogue-export")
@api_scope("read")
def export(request, filters: Query[ResourceFilter]):
    """目录导出 (Excel, .xlsx): one sheet of resources, one of data items."""
    _staff(request)
    data = catalogue_workbook(_filtered(request, filters))
    response = HttpResponse(data, content_type=XLSX)
    name = f"政务数据目录-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@router.get("/elements", response=list[ElementOut], url_name="data-elements")
@paginate(Pagination, page_size=100)
@api_scope("read")
def list_elements(request, q: str = Query("", max_length=60)):
    """数据元 (一数一源一标准)."""
    _staff(request)
    qs = DataElement.objects.select_related("source_department").order_by("code")
    q = " ".join(q.split())
    if q:
        qs = qs.filter(name__icontains=q) | qs.filter(code__icontains=q)
    return Mapped(qs, element_out)


def _element(pk: int) -> DataElement:
    return pick(DataElement.objects.select_related("source_department"), pk)


@router.get("/elements/{int:pk}", response={200: ElementDetailOut, 404: ErrorOut})
@api_scope("read")
def get_element(request, pk: int):
    _staff(request)
    e = _element(pk)
    used = (
        access.resources(request.user)
        .filter(items__element=e, status="published")
        .values_list("code", flat=True)
        .distinct()
    )
    return Status(200, {**element_out(e), "used_by": sorted(set(used))})


@router.post(
    "/elements/{int:pk}/claim",
    response={200: ElementOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
)
@api_scope("write")
def claim_element(request, pk: int, payload: ClaimIn):
    """认定权威来源部门 (bureau); a second department's claim is a 409."""
    _staff(request, write=True)
    require(request.user, "data.review")
    e = _element(pk)
    dept = Department.objects.filter(code=payload.department).first()
    if dept is None:
        raise Http404(_("未找到该部门。"))
    e = do_claim_element(actor=request.user, element=e, department=dept)
    return Status(200, element_out(e))
