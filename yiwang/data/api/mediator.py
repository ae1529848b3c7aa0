"""信息中介 API under /api/v1/im (GovStack Information Mediator): the directory's
metaservices — ``listClients``, ``listMethods``, ``allowedMethods``, ``getOpenAPI`` — and
X-Road style service access ``/r1/{instance}/{class}/{member}/{subsystem}/{service}/…``
routed to the exchange gateway (``/api/v1/exchange``), which authorises each call by the
caller's share grant and files every served record as 用数记录 (谁用了我的数据).

Only systems with an ``exchange`` token may ask (``data.access.require_mediator_client``);
a malformed identifier is 400, an unknown member, subsystem or service 404, all in the
platform's error envelope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from yiwang.core.identity.tokens import BearerAuth, api_scope
from yiwang.data import access
from yiwang.data import mediator as im
from yiwang.data.api import gateway as gw_api

# Bearer first: a token call must not trip the session authenticator's CSRF check.
router = Router(auth=BearerAuth())

R1 = "/r1/{instance}/{member_class}/{member_code}/{subsystem}"
CLIENT_HEADERS = ("X-GovStack-Client", "Information-Mediator-Client", "X-Road-Client")


class ClientsParams(Schema):
    instanceId: str | None = Field(None, max_length=100, description="实例标识，缺省为本实例")


class MethodsParams(Schema):
    serviceId: str | None = Field(None, max_length=100, description="只列出这个服务")


class OpenApiParams(Schema):
    serviceCode: str | None = Field(None, max_length=100, description="服务代码（基础库代码）")


class ClientId(Schema):
    objectType: str
    instanceId: str
    memberClass: str
    memberCode: str
    applicationCode: str | None = None


class ClientOut(Schema):
    name: str
    id: ClientId


class ClientsOut(Schema):
    member: list[ClientOut]


class Endpoint(Schema):
    method: str
    path: str


class Endpoints(Schema):
    member: list[Endpoint]


class MethodOut(Schema):
    objectType: str
    serviceType: str
    instanceId: str
    memberClass: str
    memberCode: str
    applicationCode: str
    serviceCode: str
    serviceVersion: str
    endpointList: Endpoints


class MethodsOut(Schema):
    member: list[MethodOut]


ERRORS = {400: gw_api.ErrorOut, 403: gw_api.ErrorOut, 404: gw_api.ErrorOut}


def _refusal(exc: im.MediatorError) -> JsonResponse:
    body = {"error": {"code": exc.code, "message": exc.message, "details": exc.details}}
    return JsonResponse(body, status=exc.status, json_dumps_params={"ensure_ascii": False})


def _caller_header(request) -> str:
    for name in CLIENT_HEADERS:
        value = (request.headers.get(name) or "").strip()
        if value:
            return value[:200]
    return ""


def _check_caller(request) -> None:
    """The caller's own identifier, when it gives one, must be well formed (400) and
    name the member its grants were issued to (403, as the gateway's client check)."""
    header = _caller_header(request)
    if not header:
        return
    _inst, _cls, member, _subsystem = im.parse_client(header)
    if member not in im.grant_members(request.user):
        raise im.MediatorError(
            403, "client_mismatch", _("X-Road-Client 与访问令牌的共享授权不符。")
        )


def _directory(request, fn: Callable[[], Any]):
    """Run one metaservice: caller allowed (403), identifiers checked (400/404)."""
    access.require_mediator_client(request)
    try:
        return fn()
    except im.MediatorError as exc:
        return _refusal(exc)


@router.get(
    "/listClients",
    response={200: ClientsOut, **ERRORS},
    url_name="im-list-clients",
    exclude_none=True,
)
@api_scope("exchange")
def list_clients(request, params: Query[ClientsParams]):
    """listClients: the members (departments) and subsystems of this instance."""
    return _directory(request, lambda: im.list_clients(params.instanceId))


def _methods(request, address: tuple[str, str, str, str], service_id: str | None, allowed: bool):
    inst, cls, member, subsystem = address
    offered = im.resolve(inst, cls, member, subsystem)
    if service_id is not None:
        offered = [im.find_service(offered, service_id)]
    if allowed:
        _check_caller(request)
        mine = im.allowed_registries(request.user)
        offered = [s for s in offered if s.code in mine]
    return im.method_rows(inst, cls, subsystem, offered)


@router.get(R1 + "/listMethods", response={200: MethodsOut, **ERRORS}, url_name="im-list-methods")
@api_scope("exchange")
def list_methods(
    request,
    instance: str,
    member_class: str,
    member_code: str,
    subsystem: str,
    params: Query[MethodsParams],
):
    """listMethods: every service a subsystem offers, with its endpoints."""
    address = (instance, member_class, member_code, subsystem)
    return _directory(request, lambda: _methods(request, address, params.serviceId, False))


@router.get(
    R1 + "/allowedMethods", response={200: MethodsOut, **ERRORS}, url_name="im-allowed-methods"
)
@api_scope("exchange")
def allowed_methods(
    request,
    instance: str,
    member_class: str,
    member_code: str,
    subsystem: str,
    params: Query[MethodsParams],
):
    """allowedMethods: the services of a subsystem the caller's live share grants cover."""
    address = (instance, member_class, member_code, subsystem)
    return _directory(request, lambda: _methods(request, address, params.serviceId, True))


@router.get(R1 + "/getOpenAPI", response={200: dict[str, Any], **ERRORS}, url_name="im-openapi")
@api_scope("exchange")
def get_openapi(
    request,
    instance: str,
    member_class: str,
    member_code: str,
    subsystem: str,
    params: Query[OpenApiParams],
):
    """getOpenAPI?serviceCode=: the OpenAPI document of one service (JSON, or YAML when
    the caller accepts ``text/yaml`` and not JSON)."""

    def run():
        offered = im.resolve(instance, member_class, member_code, subsystem)
        service = im.find_service(offered, params.serviceCode or "")
        base = request.build_absolute_uri(request.path.rsplit("/", 1)[0] + f"/{service.code}")
        doc = im.service_openapi(service, base)
        accept = request.headers.get("Accept", "")
        if "yaml" in accept and "json" not in accept:
            text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
            return HttpResponse(text, content_type="text/yaml; charset=utf-8")
        return JsonResponse(doc, json_dumps_params={"ensure_ascii": False})

    return _directory(request, run)


def _route(request, address: tuple[str, str, str, str], service_code: str, call: Callable):
    """Check the service address, then hand the call to the gateway with the caller's
    identifier in the header it reads (``X-GovStack-Client`` is GovStack's name)."""
    try:
        inst, cls, member, subsystem = address
        im.find_service(im.resolve(inst, cls, member, subsystem), service_code)
    except im.MediatorError as exc:
        return _refusal(exc)
    given = _caller_header(request)
    if given and not request.headers.get("X-Road-Client"):
        request.META["HTTP_X_ROAD_CLIENT"] = given
    return call()


SERVICE_RESPONSES = {400: gw_api.ErrorOut, **gw_api.RESPONSES}


@router.post(
    R1 + "/{service}/verify",
    response={200: gw_api.VerifyOut, **SERVICE_RESPONSES},
    url_name="im-verify",
)
@api_scope("exchange")
def verify(
    request,
    instance: str,
    member_class: str,
    member_code: str,
    subsystem: str,
    service: str,
    payload: gw_api.VerifyIn,
):
    """核验 through the mediator: the gateway's ``verify`` for the addressed registry."""
    address = (instance, member_class, member_code, subsystem)
    return _route(request, address, service, lambda: gw_api.verify(request, service, payload))


@router.post(
    R1 + "/{service}/read", response={200: gw_api.ReadOut, **SERVICE_RESPONSES}, url_name="im-read"
)
@api_scope("exchange")
def read(
    request,
    instance: str,
    member_class: str,
    member_code: str,
    subsystem: str,
    service: str,
    payload: gw_api.ReadIn,
):
    """按主键查询 through the mediator: the gateway's ``read`` (logged as 用数记录)."""
    address = (instance, member_class, member_code, subsystem)
    return _route(request, address, service, lambda: gw_api.read(request, service, payload))


@router.post(
    R1 + "/{service}/batch",
    response={200: gw_api.BatchOut, **SERVICE_RESPONSES},
    url_name="im-batch",
)
@api_scope("exchange")
def batch(
    request,
    instance: str,
    member_class: str,
    member_code: str,
    subsystem: str,
    service: str,
    payload: gw_api.BatchIn,
):
    """批量查询 through the mediator: the gateway's ``batch``."""
    address = (instance, member_class, member_code, subsystem)
    return _route(request, address, service, lambda: gw_api.batch(request, service, payload))
