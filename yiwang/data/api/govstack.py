"""GovStack Digital Registries compatible API under /api/v1/registries: list, read,
exists, create, update over our base registries, and "MyPersonalDataUsage" (who used my
personal data). Calls are authorised by share grants exactly like the exchange gateway;
``Information-Mediator-Client`` (or ``X-Road-Client``) identifies the calling system.
Registry names are our registry codes (person, legal_entity, credit, place); see
docs/data-sharing.md for the mapping."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from yiwang.core.errors import kind_of
from yiwang.core.identity.tokens import api_scope
from yiwang.data import access
from yiwang.data import gateway as gw
from yiwang.data.actions.gateway import NotAuthoritative, do_write_record
from yiwang.data.api.gateway import ErrorOut
from yiwang.data.registry import REGISTRIES

# Bearer first: a token call must not trip the session authenticator's CSRF check.
router = Router()

VERSION = re.compile(r"^\d{1,4}(\.\d{1,4}){0,2}$")


class Content(Schema):
    content: dict[str, Any] = Field(..., description="字段名 → 值（基础库字段名）")


class QueryIn(Schema):
    query: Content


class WriteIn(Schema):
    write: Content


class UpdateIn(Schema):
    query: Content
    write: Content


class ContentOut(Schema):
    content: dict[str, Any]


class Answer(Schema):
    status: bool
    message: str


class ExistsOut(Schema):
    answer: Answer


class ListOut(Schema):
    count: int
    next: str | None = None
    previous: str | None = None
    results: list[dict[str, Any]]


class ListParams(Schema):
    search: str = Field("", max_length=100, description="按名称包含查找（非个人信息库）")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(10, ge=1, le=100)


class UsageParams(Schema):
    userID: str = Field(..., min_length=1, max_length=32, description="本人公民身份号码")
    DatabaseID: str = Field("person", max_length=40, description="基础库代码")


class UsageOut(Schema):
    date: dt.datetime
    reader: str
    system: str
    registry: str
    fields: list[str]
    purpose: str
    request_id: str


RESPONSES = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _run(request, registry: str, version: str, fn: Callable[[gw.Call], tuple[int, dict]]):
    if not VERSION.match(version or ""):
        return JsonResponse(
            {"error": {"code": "not_found", "message": _("版本号无效。"), "details": []}},
            status=404,
        )

    def wrapped(call: gw.Call):
        try:
            return fn(call)
        except NotAuthoritative:
            raise gw.GatewayError(
                403, "not_authoritative", _("只有该基础库的权威提供方系统可以写入。")
            ) from None
        except ValidationError as exc:
            # The gateway answers in its own envelope; status and code are the refusal's.
            kind = kind_of(exc)
            raise gw.GatewayError(kind.api_status, kind.kind, exc.messages[0]) from None

    from yiwang.data.api.gateway import _answer

    response = _answer(request, registry, wrapped)
    response[gw.IM_CLIENT_HEADER] = response.get(gw.CLIENT_HEADER, "")
    return response


def _key(registry: str, content: dict[str, Any]) -> str:
    key = REGISTRIES[registry].key if registry in REGISTRIES else ""
    value = content.get(key)
    if value is None or not str(value).strip() or len(str(value)) > 64:
        raise gw.GatewayError(
            422, "invalid", _("查询内容须包含主键 %(key)s。") % {"key": key or "-"}
        )
    return str(value)


@router.get(
    "/data/MyPersonalDataUsage/1.0", response={200: list[UsageOut], 403: ErrorOut, 404: ErrorOut}
)
def personal_data_usage(request, params: Query[UsageParams]):
    """MyPersonalDataUsage: a citizen sees who read their personal data (本人 only)."""
    user = request.user
    if (
        getattr(user, "kind", "") != "citizen"
        or (user.id_number or "") != params.userID.strip().upper()
    ):
        raise PermissionDenied(_("只能查看本人数据的使用记录。"))
    qs = access.accesses_of_citizen(user).select_related("consumer")
    if params.DatabaseID:
        qs = qs.filter(registry=params.DatabaseID)
    return [
        {
            "date": a.at,
            "reader": a.consumer.name,
            "system": a.client_id,
            "registry": a.registry,
            "fields": a.fields,
            "purpose": a.purpose,
            "request_id": a.request_id,
        }
        for a in qs[:500]
    ]


@router.get("/data/{registryname}/{versionnumber}", response={200: ListOut, **RESPONSES})
@api_scope("exchange")
def list_records(request, registryname: str, versionnumber: str, params: Query[ListParams]):
    """list: a page of records with the granted fields (not for personal registries)."""

    def run(call: gw.Call):
        s = REGISTRIES[registryname]
        if s.blind_key:
            raise gw.GatewayError(
                403, "list_not_allowed", _("个人信息库不提供列表查询，请按主键查询或核验。")
            )
        qs = s.model._default_manager.order_by("pk")
        if params.search and "name" in {f.name for f in s.model._meta.fields}:
            qs = qs.filter(**{"name__contains": params.search})
        start = (params.page - 1) * params.page_size
        keys = [str(k) for k in qs.values_list(s.key, flat=True)[start : start + params.page_size]]
        count = qs.count()
        results = gw.read(call, keys, None, "batch") if keys else []
        return 200, {
            "count": count,
            "next": None,
            "previous": None,
            "results": [r["fields"] for r in results if r["found"]],
        }

    return _run(request, registryname, versionnumber, run)


@router.post("/data/{registryname}/{versionnumber}/read", response={200: ContentOut, **RESPONSES})
@api_scope("exchange")
def read(request, registryname: str, versionnumber: str, payload: QueryIn):
    """read: one record by key, with only the granted fields."""

    def run(call: gw.Call):
        [record] = gw.read(call, [_key(registryname, payload.query.content)], None, "read")
        if not record["found"]:
            raise gw.GatewayError(404, "not_found", _("未找到该记录。"))
        return 200, {"content": record["fields"]}

    return _run(request, registryname, versionnumber, run)


@router.post("/data/{registryname}/{versionnumber}/exists", response={200: ExistsOut, **RESPONSES})
@api_scope("exchange")
def exists(request, registryname: str, versionnumber: str, payload: QueryIn):
    """exists: does a record with this key (and these values) exist? true/false only."""

    def run(call: gw.Call):
        content = dict(payload.query.content)
        key = _key(registryname, content)
        content.pop(REGISTRIES[registryname].key, None)
        claims = {k: "" if v is None else str(v) for k, v in content.items()}
        ok = gw.verify(call, key, claims, require_claims=False)
        message = _("记录存在且信息一致。") if ok else _("未找到一致的记录。")
        return 200, {"answer": {"status": ok, "message": message}}

    return _run(request, registryname, versionnumber, run)


@router.post("/data/{registryname}/{versionnumber}/create", response={200: ContentOut, **RESPONSES})
@api_scope("exchange")
def create(request, registryname: str, versionnumber: str, payload: WriteIn):
    """create: a new record, by the registry's authoritative provider system only."""

    def run(call: gw.Call):
        gw.throttle(call)
        do_write_record(
            actor=call.user,
            grant=call.grant,
            registry=registryname,
            content=payload.write.content,
            mode="create",
            client_id=call.client_id,
        )
        return 200, {
            "content": {REGISTRIES[registryname].key: _key(registryname, payload.write.content)}
        }

    return _run(request, registryname, versionnumber, run)


@router.put("/data/{registryname}/{versionnumber}/update", response={200: ContentOut, **RESPONSES})
@api_scope("exchange")
def update(request, registryname: str, versionnumber: str, payload: UpdateIn):
    """update: change one record found by key (authoritative provider system only)."""

    def run(call: gw.Call):
        gw.throttle(call)
        key_name = REGISTRIES[registryname].key
        content = {**payload.write.content, key_name: _key(registryname, payload.query.content)}
        do_write_record(
            actor=call.user,
            grant=call.grant,
            registry=registryname,
            content=content,
            mode="update",
            client_id=call.client_id,
        )
        return 200, {"content": {key_name: content[key_name]}}

    return _run(request, registryname, versionnumber, run)
