"""共享交换网关 API under /api/v1/exchange: verification (核验), record reads and batch
lookups over the base registries, for systems holding a share grant (bearer token of the
grant's API client, scope ``exchange``). X-Road style headers: ``X-Road-Client``
(CN/GOV/<department code>/<system>) and ``X-Road-Id`` are echoed on every answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from yiwang.core.identity.tokens import BearerAuth, api_scope
from yiwang.data import gateway as gw

# Bearer first: a token call must not trip the session authenticator's CSRF check.
router = Router(auth=BearerAuth())

Key = str


class ErrorBody(Schema):
    code: str
    message: str
    details: list[Any] = []


class ErrorOut(Schema):
    error: ErrorBody


class VerifyIn(Schema):
    key: str = Field(..., min_length=1, max_length=64, description="记录主键，如公民身份号码")
    claims: dict[str, str] = Field(
        ..., description='待核验的信息项（字段名或信息项名称 → 值），如 {"name": "张三"}'
    )


class VerifyOut(Schema):
    match: bool


class ReadIn(Schema):
    key: str = Field(..., min_length=1, max_length=64)
    fields: list[str] | None = Field(None, max_length=50, description="缺省为授权的全部信息项")


class RecordOut(Schema):
    key: str
    found: bool
    fields: dict[str, Any]


class ReadOut(Schema):
    registry: str
    record: RecordOut


class BatchIn(Schema):
    keys: list[str] = Field(..., min_length=1, max_length=1000)
    fields: list[str] | None = Field(None, max_length=50)


class BatchOut(Schema):
    registry: str
    results: list[RecordOut]


RESPONSES = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _answer(request, registry: str, fn: Callable[[gw.Call], tuple[int, dict]]) -> JsonResponse:
    """Authorise the call by its grant, run ``fn`` and echo the X-Road headers, also on
    refusals (in the platform's error envelope)."""
    client_id, request_id = gw.request_ids(request)
    try:
        call = gw.open_call(request, registry, client_id, request_id)
        client_id = call.client_id
        status, body = fn(call)
    except gw.GatewayError as exc:
        status = exc.status
        body = {"error": {"code": exc.code, "message": exc.message, "details": []}}
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if client_id.isascii():
        response[gw.CLIENT_HEADER] = client_id
    response[gw.ID_HEADER] = request_id
    return response


@router.post(
    "/{registry}/verify", response={200: VerifyOut, **RESPONSES}, url_name="exchange-verify"
)
@api_scope("exchange")
def verify(request, registry: str, payload: VerifyIn):
    """核验: does the record with this key hold these values? Answers only yes or no."""

    def run(call: gw.Call):
        if len(payload.claims) > 10:
            raise gw.GatewayError(422, "invalid", _("一次最多核验 10 项信息。"))
        return 200, {"match": gw.verify(call, payload.key, payload.claims)}

    return _answer(request, registry, run)


@router.post("/{registry}/read", response={200: ReadOut, **RESPONSES}, url_name="exchange-read")
@api_scope("exchange")
def read(request, registry: str, payload: ReadIn):
    """按主键查询: one record, only the granted fields asked for (logged as 用数记录)."""

    def run(call: gw.Call):
        [record] = gw.read(call, [payload.key], payload.fields, "read")
        if not record["found"]:
            raise gw.GatewayError(404, "not_found", _("未找到该记录。"))
        return 200, {"registry": registry, "record": record}

    return _answer(request, registry, run)


@router.post("/{registry}/batch", response={200: BatchOut, **RESPONSES}, url_name="exchange-batch")
@api_scope("exchange")
def batch(request, registry: str, payload: BatchIn):
    """批量查询: up to SHARE_BATCH_MAX keys per call; absent keys come back ``found: false``."""

    def run(call: gw.Call):
        if len(payload.keys) > gw.batch_max():
            raise gw.GatewayError(
                422, "too_many", _("一次最多查询 %(n)s 条。") % {"n": gw.batch_max()}
            )
        keys = [k for k in payload.keys if 0 < len(k.strip()) <= 64]
        if len(keys) != len(payload.keys):
            raise gw.GatewayError(422, "invalid", _("主键不能为空或超过 64 个字符。"))
        return 200, {"registry": registry, "results": gw.read(call, keys, payload.fields, "batch")}

    return _answer(request, registry, run)
