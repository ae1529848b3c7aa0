"""GovStack Digital Registries building block, data API, under /api/v1/registries:
list, read, exists, read-value, create, create-entries, update, update-entries,
update-or-create and delete over the base registries and the registries defined by
schema (自定义名册), and MyPersonalDataUsage (who used my personal data). Both the
kebab-case paths of the spec's 1.3 documents and the camelCase ones of its 1.4 pages
are served. Calls are authorised by share grants exactly like the exchange gateway;
``Information-Mediator-Client`` (or ``X-Road-Client``) must name the grant's whole
identifier. Errors keep the platform's envelope, except where the spec gives its own
body (``read`` of nothing: ``{"detail": "no record found"}``). See docs/data-sharing.md."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from yiwang.core.errors import error_details, kind_of
from yiwang.core.identifiers import is_valid_id_number
from yiwang.core.identity.tokens import api_scope, require_scope
from yiwang.data import access
from yiwang.data import defined as dr
from yiwang.data import gateway as gw
from yiwang.data import govstack as gs
from yiwang.data.actions.defined import do_write_defined
from yiwang.data.actions.gateway import NotAuthoritative, do_update_entries, do_write_record
from yiwang.data.api.gateway import ErrorOut
from yiwang.data.models import DefinedRecord

router = Router()

JSON = "application/json; charset=utf-8"
PAGE_SIZE_MAX = 100
DEPTH_MAX = 10_000  # rows a page may start beyond (page × size): no deep offsets
USAGE_SCOPE = "data_usage"


class Content(Schema):
    content: dict[str, Any] = Field(..., description="字段名 → 值")


class QueryIn(Schema):
    query: Content


class WriteIn(Schema):
    write: Content


class QueryWriteIn(Schema):
    query: Content | None = None
    write: Content


class EntriesIn(Schema):
    write: list[Content] = Field(..., min_length=1, max_length=100)


RESPONSES = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class SpecAnswer(Exception):
    """An answer whose body the spec itself gives (status, body)."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status)
        self.status, self.body = status, body


def _json(body: Any, status: int) -> HttpResponse:
    if status == 204:
        return HttpResponse(status=204)
    return JsonResponse(
        body,
        status=status,
        safe=False,
        content_type=JSON,
        json_dumps_params={"ensure_ascii": False},
    )


def _envelope(status: int, code: str, message: str, details=None) -> tuple[int, dict]:
    return status, {"error": {"code": code, "message": message, "details": details or []}}


def _refusal(exc: ValidationError) -> tuple[int, dict]:
    kind = kind_of(exc)
    details = error_details(exc)
    message = str(details[0]["msg"]) if details else ""
    return _envelope(kind.api_status, kind.kind, message, details)


def _check_version(registry: str, version: str) -> None:
    definition = gs.definition_of(registry)
    ok = (
        dr.serves_version(definition, version)
        if definition
        else bool(dr.VERSION_RE.match(version or ""))
    )
    if not ok:
        raise gw.GatewayError(404, "not_found", _("版本号无效。"))


def _run(
    request,
    registry: str,
    version: str | None,
    fn: Callable[[gw.Call, gs.Registry], tuple[int, Any]],
):
    """Authorise the call by its grant, run ``fn`` and answer with the caller's
    identifiers echoed (also on refusals)."""
    client_id, request_id = gw.request_ids(request)
    try:
        if version is not None:
            _check_version(registry, version)
        call = gw.open_call(request, registry, client_id, request_id)
        client_id = call.client_id
        status, body = fn(call, gs.registry(registry))
    except gw.GatewayError as exc:
        status, body = _envelope(exc.status, exc.code, exc.message)
    except SpecAnswer as exc:
        status, body = exc.status, exc.body
    except NotAuthoritative:
        status, body = _envelope(
            403, "not_authoritative", _("只有该基础库的权威提供方系统可以写入。")
        )
    except ValidationError as exc:
        status, body = _refusal(exc)
    response = _json(body, status)
    if client_id.isascii():
        response[gw.CLIENT_HEADER] = client_id
        response[gw.IM_CLIENT_HEADER] = client_id
    response[gw.ID_HEADER] = request_id
    return response


def _granted(call: gw.Call) -> list[str]:
    return list(call.fields)


def _serve(call: gw.Call, reg: gs.Registry, records: list, kind: str) -> list[dict]:
    """The granted values of ``records``, each served record logged (用数记录)."""
    fields = _granted(call)
    gw.throttle(call, max(1, len(records)))
    out = [reg.values(r, fields) for r in records]
    gw.log(call, kind, [(r, gw.subject_of(call, r), fields) for r in records])
    return out


def _asked(call: gw.Call, content: dict[str, Any]) -> dict[str, Any]:
    """Query content whose every field is granted (403 otherwise); by field or item name."""
    fields = gw.pick_fields(call, list(content))
    by_name = {v: k for k, v in call.fields.items()}
    return {by_name.get(k, k): v for k, v in content.items() if by_name.get(k, k) in fields}


# --- MyPersonalDataUsage ------------------------------------------------------------------


def _usage_row(a, style: str) -> dict[str, Any]:
    system = a.client_id.rsplit("/", 1)[-1] if a.client_id else ""
    values = {
        "id": str(a.pk),
        "readerId": a.client_id,
        "readerInitials": "",
        "readerInstitutionId": a.consumer.code,
        "readerInstitutionName": a.consumer.name,
        "readerApplicationName": system,
        "searchDateTime": a.at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "refrences": [{"ReferenceId": f"{a.registry}#{a.record_id or '-'}"}],
    }
    if style == "camel":
        return values
    pascal = {
        "id": "ID",
        "readerId": "ReaderID",
        "readerInitials": "ReaderInitials",
        "readerInstitutionId": "ReaderInstitutionID",
        "readerInstitutionName": "ReaderInstitutionName",
        "readerApplicationName": "ReaderApplicationName",
        "searchDateTime": "SearchDateTime",
        "refrences": "Refrences",
    }
    values["refrences"] = [{"ReferenceID": r["ReferenceId"]} for r in values["refrences"]]
    return {pascal[k]: v for k, v in values.items()}


def _usage(request, user_id: str, database_id: str, style: str) -> HttpResponse:
    """Who read the caller's personal data in ``database_id``: 400 for a malformed or
    unknown parameter (the spec's), 403 for anyone but the citizen named."""
    require_scope(request, USAGE_SCOPE)
    user_id = (user_id or "").strip().upper()
    database_id = (database_id or "").strip()
    if not is_valid_id_number(user_id):
        status, body = _envelope(400, "invalid", _("userID 不是有效的公民身份号码。"))
        return _json(body, status)
    if not dr.CODE_RE.match(database_id) and database_id not in gw.REGISTRIES:
        status, body = _envelope(400, "invalid", _("DatabaseID 无效。"))
        return _json(body, status)
    if not gw.registry_exists(database_id):
        status, body = _envelope(400, "invalid", _("没有这个数据库：%s") % database_id)
        return _json(body, status)
    user = request.user
    if getattr(user, "kind", "") != "citizen" or (user.id_number or "").upper() != user_id:
        raise PermissionDenied(_("只能查看本人数据的使用记录。"))
    qs = access.accesses_of_citizen(user).filter(registry=database_id).select_related("consumer")
    response = _json([_usage_row(a, style) for a in qs[:500]], 200)
    client_id, _rid = gw.request_ids(request)
    if client_id.isascii():
        response[gw.IM_CLIENT_HEADER] = client_id
    return response


@router.get(
    "/data/MyPersonalDataUsage/1.0",
    response={200: list[dict], 400: ErrorOut, 403: ErrorOut},
    url_name="govstack-usage-v1",
)
@api_scope(USAGE_SCOPE)
def personal_data_usage(request, userID: str = "", DatabaseID: str = ""):
    """MyPersonalDataUsage (1.3 spelling, fields in PascalCase): a citizen sees who read
    their personal data (本人 only; tokens need the ``data_usage`` scope)."""
    return _usage(request, userID, DatabaseID, "pascal")


@router.get(
    "/data/mypersonalDataUsage",
    response={200: list[dict], 400: ErrorOut, 403: ErrorOut},
    url_name="govstack-usage",
)
@api_scope(USAGE_SCOPE)
def my_personal_data_usage(request, userId: str = "", databaseId: str = ""):
    """mypersonalDataUsage (1.4 spelling, fields in camelCase)."""
    return _usage(request, userId, databaseId, "camel")


# --- paths that a {registryname}/{versionnumber} pattern would shadow: first ---


@router.post(
    "/data/{registryname}/createEntries",
    response={201: dict, **RESPONSES},
    url_name="govstack-createEntries-current",
)
@api_scope("exchange")
def create_entries_current(request, registryname: str, payload: EntriesIn):
    """createEntries without a version (the 1.4 pages' spelling): the current schema."""
    return _create_entries_view(request, registryname, None, payload)


# --- list ------------------------------------------------------------------------------


def _int(params, names: tuple[str, ...], default: int, low: int, high: int) -> int:
    raw = next((params[n] for n in names if params.get(n) not in (None, "")), None)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise gs.invalid(_("%s 应为整数。") % names[0]) from None
    if not low <= value <= high:
        raise gs.invalid(
            _("%(n)s 应在 %(a)s 到 %(b)s 之间。") % {"n": names[0], "a": low, "b": high}
        )
    return value


def _page_url(request, page: int) -> str:
    params = request.GET.copy()
    params["page"] = str(page)
    return request.build_absolute_uri(
        request.path + "?" + urlencode(list(params.lists()), doseq=True)
    )


def _list(request, call: gw.Call, reg: gs.Registry) -> tuple[int, dict]:
    if reg.spec is not None and reg.spec.blind_key:
        raise gw.GatewayError(
            403, "list_not_allowed", _("个人信息库不提供列表查询，请按主键查询或核验。")
        )
    params = request.GET
    page = _int(params, ("page",), 1, 1, 1_000_000)
    size = _int(params, ("page_size", "pageSize"), 10, 1, PAGE_SIZE_MAX)
    if (page - 1) * size > DEPTH_MAX:
        raise gs.invalid(_("翻页过深，请用查询条件缩小范围。"))
    filters = {k[len("query.") :]: v for k, v in params.items() if k.startswith("query.")}
    qs = reg.match(_asked(call, filters)) if filters else reg.all()
    search = (params.get("search") or "").strip()[:100]
    only = (params.get("filter") or "").strip() or None
    if only is not None:
        gw.pick_fields(call, [only])
    if search:
        qs = reg.search(qs, search, only)
    qs = reg.order(qs, params.get("ordering", ""))
    start = (page - 1) * size
    try:
        rows = list(qs[start : start + size])
        count = qs.count()
    except (ValidationError, ValueError, TypeError):
        raise gs.invalid(_("查询条件的取值格式不正确。")) from None
    body: dict[str, Any] = {"count": count}
    if start + size < count:  # absent on the last page (the spec's suite reads it as text)
        body["next"] = _page_url(request, page + 1)
    body["previous"] = _page_url(request, page - 1) if page > 1 else None
    body["results"] = _serve(call, reg, rows, "batch") if rows else []
    return 200, body


@router.get(
    "/data/{registryname}/{versionnumber}",
    response={200: dict, **RESPONSES},
    url_name="govstack-list",
)
@api_scope("exchange")
def list_records(request, registryname: str, versionnumber: str):
    """list: a page of records with the granted fields; ``search`` (in ``filter``'s field
    or any text field), ``query.<field>`` exact filters, ``ordering``, ``page`` and
    ``page_size``/``pageSize`` (personal registries are not listed)."""
    return _run(request, registryname, versionnumber, lambda call, reg: _list(request, call, reg))


# --- read, exists, read-value ------------------------------------------------------------


def _read(call: gw.Call, reg: gs.Registry, content: dict[str, Any]) -> tuple[int, dict]:
    record = reg.first(_asked(call, content))
    if record is None:
        gw.throttle(call)
        raise SpecAnswer(404, {"detail": "no record found"})
    [values] = _serve(call, reg, [record], "read")
    return 200, {"content": values}


@router.post(
    "/data/{registryname}/{versionnumber}/read",
    response={200: dict, **RESPONSES},
    url_name="govstack-read",
)
@api_scope("exchange")
def read(request, registryname: str, versionnumber: str, payload: QueryIn):
    """read: the first record holding every given value, with the granted fields."""
    return _run(
        request,
        registryname,
        versionnumber,
        lambda call, reg: _read(call, reg, payload.query.content),
    )


def _exists(call: gw.Call, reg: gs.Registry, content: dict[str, Any]) -> tuple[int, dict]:
    asked = _asked(call, content)
    gw.throttle(call)
    record = reg.first(asked)
    fields = sorted(asked)
    gw.log(call, "verify", [(record, gw.subject_of(call, record) if record else "", fields)])
    ok = record is not None
    message = _("记录存在且信息一致。") if ok else _("未找到一致的记录。")
    return 200, {"answer": {"status": ok, "message": message}}


@router.post(
    "/data/{registryname}/{versionnumber}/exists",
    response={200: dict, **RESPONSES},
    url_name="govstack-exists",
)
@api_scope("exchange")
def exists(request, registryname: str, versionnumber: str, payload: QueryIn):
    """exists: does a record hold every given value? true/false only."""
    return _run(
        request,
        registryname,
        versionnumber,
        lambda call, reg: _exists(call, reg, payload.query.content),
    )


def _read_value(
    call: gw.Call, reg: gs.Registry, ident: str, field: str, ext: str
) -> tuple[int, Any]:
    if ext not in ("json", "txt"):
        raise gw.GatewayError(404, "not_found", _("不支持的格式：%s") % ext[:10])
    gw.pick_fields(call, [field])
    record = reg.by_id(ident)
    if record is None:
        gw.throttle(call)
        raise gw.GatewayError(404, "not_found", _("未找到该记录。"))
    [values] = _serve(call, reg, [record], "read")
    value = values.get(field)
    if ext == "txt":
        raise SpecAnswer(200, "" if value is None else dr.canonical(value))
    return 200, value if isinstance(value, str) else {"value": value}


def _read_value_view(request, registryname, versionnumber, uuid, field, ext):
    return _run(
        request,
        registryname,
        versionnumber,
        lambda call, reg: _read_value(call, reg, uuid, field, ext),
    )


@router.get(
    "/data/{registryname}/{versionnumber}/{uuid}/read-value/{field}.{ext}",
    response={200: str | dict, **RESPONSES},
    url_name="govstack-read-value",
)
@api_scope("exchange")
def read_value(request, registryname: str, versionnumber: str, uuid: str, field: str, ext: str):
    """read-value: one field of one record (by uuid or primary key), as JSON."""
    return _read_value_view(request, registryname, versionnumber, uuid, field, ext)


@router.get(
    "/data/{registryname}/{versionnumber}/{uuid}/readValue/{field}.{ext}",
    response={200: str | dict, **RESPONSES},
    url_name="govstack-readValue",
)
@api_scope("exchange")
def read_value_camel(
    request, registryname: str, versionnumber: str, uuid: str, field: str, ext: str
):
    """readValue: the 1.4 spelling of read-value."""
    return _read_value_view(request, registryname, versionnumber, uuid, field, ext)


# --- writes ------------------------------------------------------------------------------


def _write(call: gw.Call, reg: gs.Registry, mode: str, query: dict, write: dict):
    """One write by mode through the registry's action; returns what it wrote."""
    gw.throttle(call)
    if reg.definition is not None and reg.spec is None:
        return do_write_defined(
            actor=call.user,
            grant=call.grant,
            definition=reg.definition,
            mode=mode,
            query=query,
            write=write,
            granted=set(call.fields),
            client_id=call.client_id,
        )
    if mode == "delete":
        raise gw.GatewayError(
            403, "delete_not_allowed", _("基础库记录不能通过接口删除，更正请提出数据异议。")
        )
    return _write_base(call, reg, mode, query, write)


def _write_base(call: gw.Call, reg: gs.Registry, mode: str, query: dict, write: dict):
    key = reg.key
    found = reg.first(_asked(call, query)) if query else None
    if mode == "update_entries":
        matched = list(reg.match(_asked(call, query))[: access.BULK_MAX + 1])
        if len(matched) > access.BULK_MAX:
            raise gs.invalid(_("一次最多更新 %s 条记录。") % access.BULK_MAX)
        keys = [str(gw.values(r, [key])[key]) for r in matched]
        return do_update_entries(
            actor=call.user,
            grant=call.grant,
            registry=reg.code,
            keys=keys,
            write=write,
            client_id=call.client_id,
        )
    if mode in ("update", "update_or_create") and found is not None:
        content = {**write, key: gw.values(found, [key])[key]}
        mode = "update"
    elif mode == "update":
        raise gw.GatewayError(404, "not_found", _("未找到该记录。"))
    else:
        content, mode = write, "create"
    return do_write_record(
        actor=call.user,
        grant=call.grant,
        registry=reg.code,
        content=content,
        mode=mode,
        client_id=call.client_id,
    )


def _written(call: gw.Call, reg: gs.Registry, out) -> dict[str, Any]:
    """The granted values of the record a write left (not logged as a read: the caller
    wrote them)."""
    record = out.records[0] if hasattr(out, "records") else out
    return reg.values(record, _granted(call)) if record is not None else {}


def _create(call, reg, payload: WriteIn):
    return 200, {
        "content": _written(call, reg, _write(call, reg, "create", {}, payload.write.content))
    }


@router.post(
    "/data/{registryname}/{versionnumber}/create",
    response={200: dict, **RESPONSES},
    url_name="govstack-create",
)
@api_scope("exchange")
def create(request, registryname: str, versionnumber: str, payload: WriteIn):
    """create: a new record, by a system of the registry's owner (权威提供方) only."""
    return _run(request, registryname, versionnumber, lambda call, reg: _create(call, reg, payload))


def _entry(record, values: dict) -> dict:
    if isinstance(record, DefinedRecord):
        return {
            "content": values,
            "createdAt": record.created_at.isoformat(),
            "modifiedAt": record.updated_at.isoformat(),
            "uuid": str(record.uuid),
        }
    return {
        "content": values,
        "createdAt": record.created_at.isoformat(),
        "modifiedAt": record.updated_at.isoformat(),
        "uuid": "",
    }


def _create_entries(call, reg, payload: EntriesIn):
    from django.db import transaction

    with transaction.atomic():  # every entry or none
        made = [_write(call, reg, "create", {}, e.content) for e in payload.write]
    records = [m.records[0] if hasattr(m, "records") else m for m in made]
    return 201, {"receive": [_entry(r, reg.values(r, _granted(call))) for r in records]}


def _create_entries_view(request, registryname, versionnumber, payload):
    return _run(
        request, registryname, versionnumber, lambda call, reg: _create_entries(call, reg, payload)
    )


@router.post(
    "/data/{registryname}/{versionnumber}/create-entries",
    response={201: dict, **RESPONSES},
    url_name="govstack-create-entries",
)
@api_scope("exchange")
def create_entries(request, registryname: str, versionnumber: str, payload: EntriesIn):
    """create-entries: several new records in one call, all or none."""
    return _create_entries_view(request, registryname, versionnumber, payload)


@router.post(
    "/data/{registryname}/{versionnumber}/createEntries",
    response={201: dict, **RESPONSES},
    url_name="govstack-createEntries",
)
@api_scope("exchange")
def create_entries_camel(request, registryname: str, versionnumber: str, payload: EntriesIn):
    """createEntries: the 1.4 spelling of create-entries."""
    return _create_entries_view(request, registryname, versionnumber, payload)


def _update(call, reg, payload: QueryWriteIn):
    query = payload.query.content if payload.query else {}
    if not query:
        raise gs.invalid(_("请提供查询条件。"))
    return 200, {
        "content": _written(call, reg, _write(call, reg, "update", query, payload.write.content))
    }


@router.put(
    "/data/{registryname}/{versionnumber}/update",
    response={200: dict, **RESPONSES},
    url_name="govstack-update",
)
@api_scope("exchange")
def update(request, registryname: str, versionnumber: str, payload: QueryWriteIn):
    """update: change the one record holding the query's values (owner's systems only)."""
    return _run(request, registryname, versionnumber, lambda call, reg: _update(call, reg, payload))


def _update_entries(call, reg, payload: QueryWriteIn):
    query = payload.query.content if payload.query else {}
    if not query:
        raise gs.invalid(_("请提供查询条件。"))
    out = _write(call, reg, "update_entries", query, payload.write.content)
    return 200, {"count": out.updated}


@router.put(
    "/data/{registryname}/{versionnumber}/update-entries",
    response={200: dict, **RESPONSES},
    url_name="govstack-update-entries",
)
@api_scope("exchange")
def update_entries(request, registryname: str, versionnumber: str, payload: QueryWriteIn):
    """update-entries: change every record holding the query's values (at most 100)."""
    return _run(
        request, registryname, versionnumber, lambda call, reg: _update_entries(call, reg, payload)
    )


@router.put(
    "/data/{registryname}/{versionnumber}/updateEntries",
    response={200: dict, **RESPONSES},
    url_name="govstack-updateEntries",
)
@api_scope("exchange")
def update_entries_camel(request, registryname: str, versionnumber: str, payload: QueryWriteIn):
    """updateEntries: the 1.4 spelling of update-entries."""
    return _run(
        request, registryname, versionnumber, lambda call, reg: _update_entries(call, reg, payload)
    )


def _update_or_create(call, reg, payload: QueryWriteIn):
    query = payload.query.content if payload.query else {}
    out = _write(call, reg, "update_or_create", query, payload.write.content)
    return 200, {"content": _written(call, reg, out)}


@router.post(
    "/data/{registryname}/{versionnumber}/update-or-create",
    response={200: dict, **RESPONSES},
    url_name="govstack-update-or-create",
)
@api_scope("exchange")
def update_or_create(request, registryname: str, versionnumber: str, payload: QueryWriteIn):
    """update-or-create: change the record holding the query's values, or create one."""
    return _run(
        request,
        registryname,
        versionnumber,
        lambda call, reg: _update_or_create(call, reg, payload),
    )


@router.post(
    "/data/{registryname}/{versionnumber}/updateOrCreate",
    response={200: dict, **RESPONSES},
    url_name="govstack-updateOrCreate",
)
@api_scope("exchange")
def update_or_create_camel(request, registryname: str, versionnumber: str, payload: QueryWriteIn):
    """updateOrCreate: the 1.4 spelling of update-or-create."""
    return _run(
        request,
        registryname,
        versionnumber,
        lambda call, reg: _update_or_create(call, reg, payload),
    )


def _delete(call, reg, ident: str):
    key_query = {reg.key: ident}
    if reg.spec is None:
        record = reg.by_id(ident)
        if record is not None:
            key_query = {reg.key: reg.values(record, [reg.key])[reg.key]}
    _write(call, reg, "delete", key_query, {})
    return 204, None


@router.delete(
    "/data/{registryname}/{versionnumber}/{id}/delete",
    response={204: None, **RESPONSES},
    url_name="govstack-delete",
)
@api_scope("exchange")
def delete(request, registryname: str, versionnumber: str, id: str):
    """delete: remove one record (by primary key or uuid) of a defined registry; its
    values stay in history. Base registry records are never deleted this way."""
    return _run(request, registryname, versionnumber, lambda call, reg: _delete(call, reg, id))
