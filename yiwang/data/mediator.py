"""信息中介 (GovStack Information Mediator): the exchange gateway seen as an X-Road style
directory. Members are departments (部门, class ``GOV``), subsystems are the systems that
offer or consume services (a provider's 基础库共享 system ``registries``, a consumer's
system named in its share request), services are the base registries (基础库), each with
the gateway's operations (核验 verify, 查询 read, 批量查询 batch) as its endpoints.

This module answers the directory's questions (who is a member, what a subsystem offers,
what a caller's grants allow) and checks identifiers; the HTTP surface is
``yiwang.data.api.mediator`` and every service call goes through ``yiwang.data.gateway``
with its grants, rate limits and 用数记录 unchanged."""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.models import Department
from yiwang.data.models import DataResource, ShareGrant

MEMBER_CLASS = "GOV"
PROVIDER_SUBSYSTEM = "registries"  # 基础库共享: the subsystem a registry's provider offers
SERVICE_VERSION = "1"
# (method, path) of each gateway operation a registry service offers.
OPERATIONS: tuple[tuple[str, str], ...] = (
    ("POST", "/verify"),
    ("POST", "/read"),
    ("POST", "/batch"),
)

# Identifier rules of the GovStack IM conformance tests: an instance or member class
# starts with a letter and goes on with letters, digits and ``_:-.``; a member, subsystem
# or service code starts with a letter or digit. Our department codes join a division
# code and a line with ``-`` and ``_`` (410800-civil_affairs), which X-Road allows after
# the first character, so codes may go on with ``_-.`` too.
_NAMESPACE = re.compile(r"^[A-Za-z][A-Za-z0-9_:.\-]{0,31}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def instance() -> str:
    """This platform's instance identifier (X-Road instance), ``CN`` unless configured."""
    return str(settings.YIWANG.get("IM_INSTANCE", "CN"))


class MediatorError(Exception):
    """A refused directory question: HTTP status, error code, localised message and the
    identifiers at fault (``details`` of the error envelope)."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or []


def check_identifiers(**values: str | None) -> None:
    """400 unless every identifier is well formed; ``instance`` and ``member_class`` are
    namespaces, any other name is a code. ``None`` means "not given" and passes."""
    bad = []
    for name, value in values.items():
        if value is None:
            continue
        rule = _NAMESPACE if name in ("instance", "member_class") else _CODE
        if not rule.match(value):
            bad.append({"loc": [name], "msg": _("标识格式不正确。"), "code": "invalid_identifier"})
    if bad:
        raise MediatorError(
            400,
            "invalid_identifier",
            _("标识格式不正确：%s") % "、".join(d["loc"][0] for d in bad),
            bad,
        )


def parse_client(header: str) -> tuple[str, str, str, str]:
    """An ``X-GovStack-Client`` / ``X-Road-Client`` value ``instance/class/member/subsystem``
    as its four parts; 400 when it is not four well-formed identifiers."""
    parts = header.split("/")
    if len(parts) != 4:
        raise MediatorError(
            400,
            "invalid_identifier",
            _("调用方标识应为“实例/成员类别/成员代码/子系统代码”。"),
            [{"loc": ["client"], "msg": _("标识格式不正确。"), "code": "invalid_identifier"}],
        )
    inst, cls, member, subsystem = parts
    check_identifiers(instance=inst, member_class=cls, member_code=member, subsystem=subsystem)
    return inst, cls, member, subsystem


@dataclass(frozen=True)
class Service:
    """One service of the directory: a base registry offered by its provider member."""

    member: str  # provider department code
    code: str  # registry code (person, legal_entity, credit, place)
    name: str  # the published resource's name


def _live_grants() -> Q:
    now = timezone.now()
    return Q(revoked_at__isnull=True, starts_at__lte=now, expires_at__gt=now)


def services(member: str | None = None) -> list[Service]:
    """The registries offered through the gateway (by ``member`` when given): one per
    published resource that fills a base registry, provided by its department."""
    qs = DataResource.objects.filter(status="published").exclude(registry="")
    if member is not None:
        qs = qs.filter(provider__code=member)
    rows = qs.order_by("registry", "code").values_list("provider__code", "registry", "name")
    return [Service(m, r, n) for m, r, n in rows]


def system_code(grant: ShareGrant) -> str:
    """The subsystem code a grant's consuming system goes by (as ``client_identifier``)."""
    return grant.request.consumer_system if grant.request is not None else grant.client.name


def consumer_subsystems(member: str | None = None) -> list[tuple[str, str, str]]:
    """(member, subsystem, system name) of every consuming system holding a live grant,
    where its name is a well-formed code (others are reached only by their token)."""
    qs = ShareGrant.objects.filter(_live_grants()).select_related("request", "client", "consumer")
    if member is not None:
        qs = qs.filter(consumer__code=member)
    seen: dict[tuple[str, str], str] = {}
    for grant in qs.order_by("consumer__code", "id"):
        code = system_code(grant)
        if _CODE.match(code):
            seen.setdefault((grant.consumer.code, code), grant.client.name)
    return [(m, s, name) for (m, s), name in sorted(seen.items())]


def _member_row(code: str, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "id": {
            "objectType": "MEMBER",
            "instanceId": instance(),
            "memberClass": MEMBER_CLASS,
            "memberCode": code,
        },
    }


def _subsystem_row(member: str, subsystem: str, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "id": {
            "objectType": "APPLICATION",
            "instanceId": instance(),
            "memberClass": MEMBER_CLASS,
            "memberCode": member,
            "applicationCode": subsystem,
        },
    }


def list_clients(instance_id: str | None = None) -> dict[str, Any]:
    """listClients: every member (department) and subsystem of this instance. Another
    instance's clients are unknown here (no federation), so it answers an empty list."""
    if instance_id is not None:
        check_identifiers(instance=instance_id)
        if instance_id != instance():
            return {"member": []}
    rows = [
        _member_row(c, n)
        for c, n in Department.objects.order_by("code").values_list("code", "name")
    ]
    providers = sorted({s.member for s in services()})
    rows += [_subsystem_row(m, PROVIDER_SUBSYSTEM, _("基础库共享交换")) for m in providers]
    rows += [_subsystem_row(m, s, name) for m, s, name in consumer_subsystems()]
    return {"member": rows}


def resolve(inst: str, member_class: str, member: str, subsystem: str) -> list[Service]:
    """The services a subsystem offers, after checking the address names one: 400 for a
    malformed identifier, 404 for an unknown instance, class, member or subsystem."""
    check_identifiers(
        instance=inst, member_class=member_class, member_code=member, subsystem=subsystem
    )
    if inst != instance() or member_class != MEMBER_CLASS:
        raise MediatorError(
            404, "unknown_member", _("本实例没有这个成员：%s") % f"{inst}/{member_class}"
        )
    if not Department.objects.filter(code=member).exists():
        raise MediatorError(404, "unknown_member", _("本实例没有这个成员：%s") % member)
    offered = services(member)
    if subsystem == PROVIDER_SUBSYSTEM and offered:
        return offered
    if any(s == subsystem for _m, s, _n in consumer_subsystems(member)):
        return []  # a consuming system offers nothing
    raise MediatorError(404, "unknown_subsystem", _("该成员没有这个子系统：%s") % subsystem)


def find_service(offered: list[Service], code: str) -> Service:
    """The offered service with ``code``; 400 when malformed, 404 when not offered."""
    check_identifiers(service_code=code)
    for service in offered:
        if service.code == code:
            return service
    raise MediatorError(404, "unknown_service", _("该子系统不提供这个服务：%s") % code)


def allowed_registries(user) -> set[str]:
    """The registries the calling system's live share grants cover (deny by default)."""
    return set(
        ShareGrant.objects.filter(_live_grants(), client__user_id=user.pk).values_list(
            "resource__registry", flat=True
        )
    )


def grant_members(user) -> set[str]:
    """The consumer departments of the calling system's live share grants."""
    return set(
        ShareGrant.objects.filter(_live_grants(), client__user_id=user.pk).values_list(
            "consumer__code", flat=True
        )
    )


def method_rows(inst: str, member_class: str, subsystem: str, offered: list[Service]) -> dict:
    """listMethods / allowedMethods: each service with its endpoints."""
    return {
        "member": [
            {
                "objectType": "SERVICE",
                "serviceType": "REST",
                "instanceId": inst,
                "memberClass": member_class,
                "memberCode": s.member,
                "applicationCode": subsystem,
                "serviceCode": s.code,
                "serviceVersion": SERVICE_VERSION,
                "endpointList": {"member": [{"method": m, "path": p} for m, p in OPERATIONS]},
            }
            for s in offered
        ]
    }


@cache
def _gateway_openapi() -> dict[str, Any]:
    """The platform API's OpenAPI document, built once per process."""
    from yiwang.api import api

    # Plain JSON values (ninja's schema holds dict subclasses), so it dumps as YAML too.
    return json.loads(json.dumps(api.get_openapi_schema()))


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def service_openapi(service: Service, base_url: str) -> dict[str, Any]:
    """One OpenAPI 3.1 document for one service: the gateway's operations with the
    registry fixed, served at the service's mediator address ``base_url``, and only the
    schemas they use."""
    full = _gateway_openapi()
    paths: dict[str, Any] = {}
    for path, item in full["paths"].items():
        if "/exchange/{registry}/" not in path:
            continue
        ops = copy.deepcopy(item)
        for op in ops.values():
            if isinstance(op, dict):
                op["parameters"] = [
                    p for p in op.get("parameters", []) if p.get("name") != "registry"
                ]
                op["parameters"].append(
                    {
                        "name": "X-Road-Client",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string"},
                        "description": "instance/class/member/subsystem",
                    }
                )
                op["operationId"] = f"{service.code}_{op.get('operationId', '')}"
        paths["/" + path.rsplit("/", 1)[1]] = ops
    schemas = full.get("components", {}).get("schemas", {})
    wanted: set[str] = set()
    _refs(paths, wanted)
    while True:  # schemas referring to other schemas
        more: set[str] = set()
        _refs({n: schemas[n] for n in wanted if n in schemas}, more)
        if more <= wanted:
            break
        wanted |= more
    components: dict[str, Any] = {
        "schemas": {n: schemas[n] for n in sorted(wanted) if n in schemas}
    }
    security = full.get("components", {}).get("securitySchemes")
    if security:
        components["securitySchemes"] = security
    return {
        "openapi": full.get("openapi", "3.1.0"),
        "info": {
            "title": f"{service.name} ({service.code})",
            "version": SERVICE_VERSION,
            "description": _("经信息中介（共享交换网关）调用的基础库服务，按共享授权返回信息项。"),
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": components,
    }
