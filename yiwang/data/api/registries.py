"""API: 基础库 for staff — search a registry by natural key, read one record (personal
values masked; reveal with a purpose, logged), places in WGS84 or GCJ-02."""

import datetime as dt
from typing import Literal

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from yiwang.core.api.pagination import Keyed, KeysetPagination
from yiwang.core.identity.tokens import require_scope
from yiwang.data import access
from yiwang.data.actions.reads import do_reveal_record
from yiwang.data.queries import registries as reg

router = Router()

Crs = Literal["wgs84", "gcj02"]


class RegistryOut(Schema):
    code: str
    name: str
    count: int = Field(description="记录数；exact 为 false 时是估算（超过 10 万条不再逐条计数）")
    exact: bool = True


class RecordSummaryOut(Schema):
    id: int
    key: str
    title: str
    version: int
    updated_at: dt.datetime
    longitude: float | None = None
    latitude: float | None = None


class ValueOut(Schema):
    field: str
    label: str
    value: str
    personal: bool
    masked: bool
    source: str


class ProvenanceOut(Schema):
    resource: str
    department: str
    batch: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class HistoryValueOut(Schema):
    field: str
    label: str
    value: str


class HistoryOut(Schema):
    version: int
    values: list[HistoryValueOut]
    department: str
    batch: int | None
    replaced_at: dt.datetime
    reason: str


class RecordOut(Schema):
    registry: str
    registry_name: str
    id: int
    crs: str
    revealed: bool
    values: list[ValueOut]
    provenance: ProvenanceOut
    history: list[HistoryOut]


class SearchIn(Schema):
    q: str = Field("", max_length=200, description="自然主键（身份证号、信用代码、编号或地名）")
    crs: Crs = "wgs84"


class CrsIn(Schema):
    crs: Crs = "wgs84"


class RevealIn(Schema):
    purpose: str = Field(..., min_length=2, max_length=200, description="查看用途（记入审计账本）")
    crs: Crs = "wgs84"


class PointOut(Schema):
    longitude: float
    latitude: float
    name: str


def _staff(request) -> None:
    access.require_data_staff(request.user, _("基础库仅对数据专员和审核人员开放。"))


@router.get("", response=list[RegistryOut])
def list_registries(request):
    """基础库 the caller may look into, with their record counts (``exact`` false: an
    estimate, for registries past 100,000 records)."""
    require_scope(request, "read")
    _staff(request)
    return reg.registry_rows(request.user)


@router.get("/places/points", response=list[PointOut])
def place_points(request, params: Query[CrsIn]):
    """空间地理库 points for a map, in WGS84 (stored) or GCJ-02 (converted here)."""
    require_scope(request, "read")
    _staff(request)
    return [
        {"longitude": x, "latitude": y, "name": n}
        for x, y, n in reg.places_points(request.user, params.crs)
    ]


@router.get("/{registry}/records", response=list[RecordSummaryOut])
@paginate(KeysetPagination, page_size=50, max_page_size=200)
def search_records(request, registry: str, params: Query[SearchIn]):
    """Search one registry by natural key (ID numbers through their blind index), newest
    change first; masked. Read on with the answer's ``next`` cursor (``count`` stops at
    1000: ``count_capped``)."""
    require_scope(request, "read")
    _staff(request)
    return Keyed(
        reg.search(request.user, registry, params.q),
        lambda r: reg.summary(registry, r, params.crs),
        fields=reg.SEARCH_ORDER,
        descending=True,
    )


@router.get("/{registry}/records/{record_id}", response=RecordOut)
def read_record(request, registry: str, record_id: int, params: Query[CrsIn]):
    """One record: values (personal ones masked), provenance and history."""
    require_scope(request, "read")
    _staff(request)
    record = reg.get_record(request.user, registry, record_id)
    return reg.detail(registry, record, crs=params.crs)


@router.post("/{registry}/records/{record_id}/reveal", response=RecordOut)
def reveal_record(request, registry: str, record_id: int, payload: RevealIn):
    """One record with personal values in clear, for a stated purpose (needs
    ``personal.unmask``; every field revealed is logged in the audit ledger)."""
    require_scope(request, "read")
    _staff(request)
    record = reg.get_record(request.user, registry, record_id)
    clear = do_reveal_record(
        actor=request.user, registry=registry, record=record, purpose=payload.purpose
    )
    return reg.detail(registry, record, clear=clear, crs=payload.crs)
