"""GovStack Digital Registries building block, database API, under /api/v1/registries:
``GET /databases`` (every registry: the base registries and those defined by schema,
自定义名册), ``GET /database/{id}`` (one with its schema), ``POST /database/modify``
(define a registry from a JSON Schema, or change one) and ``DELETE /database/{id}``
(stop it). Readers are staff with ``data.view`` and systems holding a share grant for
the registry; only the owner department's data steward defines, changes or stops.
Field names follow the spec's test suite (snake_case)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from yiwang.core.errors import NotFound
from yiwang.core.identity.tokens import require_scope
from yiwang.core.models import Department
from yiwang.data import access
from yiwang.data.actions.defined import Definition, do_archive_registry, do_define_registry
from yiwang.data.api.gateway import ErrorOut
from yiwang.data.models import Grade, RegistryDefinition

router = Router()

JSON = "application/json; charset=utf-8"
SERVICES = (
    "data-list",
    "data-read",
    "data-exists",
    "data-read-value",
    "data-create",
    "data-create-entries",
    "data-update",
    "data-update-entries",
    "data-update-or-create",
    "data-delete",
)
RESPONSES = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _answer(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(
        body,
        status=status,
        safe=False,
        content_type=JSON,
        json_dumps_params={"ensure_ascii": False},
    )


def _may_read(request) -> None:
    """Bearer tokens need ``read`` (staff) or ``exchange`` (a system with grants)."""
    scopes = getattr(request, "auth_scopes", None)
    if scopes is not None and not scopes & {"read", "exchange"}:
        raise PermissionDenied(_("访问令牌缺少所需权限范围：%(scope)s") % {"scope": "read"})


def _schema(d: RegistryDefinition) -> dict[str, Any]:
    return {**d.schema, "incrementIndex": d.next_number}


def info(d: RegistryDefinition) -> dict[str, Any]:
    """One registry as the spec's ``databaseInfo`` (our own additions start with ``x_``)."""
    by = d.created_by
    return {
        "id": d.pk,
        "version": d.version,
        "name": d.code,
        "description": d.description or d.name,
        "institution": d.owner.name,
        "number_format": "{code}{indexNoByCode}",
        "schema": _schema(d),
        "schema_tags": [
            {"name": f["title"], "path": f"/{f['name']}", "is_fulltext": True}
            for f in d.fields
            if f["type"] == "string" and not f["personal"]
        ],
        "schema_flags": [
            *({"name": "mandatory", "path": f"/{f['name']}"} for f in d.fields if f["required"]),
            *({"name": "personal", "path": f"/{f['name']}"} for f in d.fields if f["personal"]),
        ],
        "fields_uniques": [[d.primary_key]],
        "is_draft": False,
        "is_disabled": d.archived_at is not None,
        "is_archived": d.archived_at is not None,
        "modified_at": d.modified_at.isoformat(),
        "by_user_name": by.username if by is not None else "",
        "by_user_auth_id": by.pk if by is not None else 0,
        "by_on_behalf_of_user_auth_id": d.owner_id,
        "by_on_behalf_of_user_name": d.owner.name,
        "generic_services": [
            {"service_id": i, "name": n, "is_visible": True, "used_count": 0}
            for i, n in enumerate(SERVICES, start=1)
            if not (d.builtin and n == "data-delete")
        ],
        "data_index_increment": d.next_number,
        "has_logo": False,
        "x_title": d.name,
        "x_title_en": d.name_en,
        "x_owner": d.owner.code,
        "x_grade": d.grade,
        "x_builtin": d.builtin,
        "x_masks": {f["name"]: f["mask"] for f in d.fields if f["personal"]},
    }


@router.get("/databases", response={200: dict, 403: ErrorOut}, url_name="govstack-databases")
def databases(request):
    """Every registry the caller may see, as one group (the spec's ``databasesSchema``)."""
    _may_read(request)
    rows = access.definitions(request.user).select_related("owner", "created_by")
    listed = [info(d) for d in rows]
    return _answer(
        {
            "id": 1,
            "name": _("一网共享登记簿"),
            "code": "YIWANG",
            "databases": listed,
            "group_id": 1,
            "order": 1,
            "data_index_increment": sum(d["data_index_increment"] for d in listed),
        }
    )


def _visible(request, id: int) -> RegistryDefinition:
    found = access.definitions(request.user).select_related("owner", "created_by").filter(pk=id)
    definition = found.first()
    if definition is None:
        raise NotFound(_("没有这个数据库。"), code="absent")
    return definition


# database/modify first: the {id} pattern would otherwise take "modify" for an id.


class ModifyIn(Schema):
    code: str = Field(..., min_length=2, max_length=16, description="名册代码，如 gaoling")
    schema_: dict[str, Any] = Field(..., alias="schema", description="JSON Schema")
    group_name: str = Field("", max_length=100, alias="groupName")
    catalog_name: str = Field("", max_length=100, alias="catalogName")
    name: str = Field("", max_length=200, description="名册名称（中文）")
    name_en: str = Field("", max_length=200, alias="nameEn")
    description: str = Field("", max_length=2000)
    owner: str = Field("", max_length=60, description="所属部门代码（缺省为本人部门）")
    grade: str = Field(Grade.GENERAL, max_length=12, description="core / important / general")
    level: int | None = Field(None, ge=1, le=4, description="一般数据分级 1–4")

    model_config = {"populate_by_name": True}


@router.post(
    "/database/modify", response={200: dict, **RESPONSES}, url_name="govstack-database-modify"
)
def modify(request, payload: ModifyIn):
    """Define a registry from a JSON Schema, or change one (its owner's data steward).
    Answers the stored schema (the spec's ``databaseSchema``)."""
    require_scope(request, "write")
    owner = None
    if payload.owner:
        owner = Department.objects.filter(code=payload.owner).first()
        if owner is None:
            raise NotFound(_("没有这个部门。"), code="absent")
    definition = do_define_registry(
        actor=request.user,
        values=Definition(
            code=payload.code,
            name=payload.name,
            name_en=payload.name_en,
            description=payload.description,
            group_name=payload.group_name,
            catalog_name=payload.catalog_name,
            grade=payload.grade,
            level=payload.level,
        ),
        schema=payload.schema_,
        owner=owner,
    )
    return _answer(_schema(definition))


@router.get("/database/{id}", response={200: dict, **RESPONSES}, url_name="govstack-database")
def database(request, id: int):
    """One registry with its schema (the spec's ``databaseInfo``)."""
    _may_read(request)
    return _answer(info(_visible(request, id)))


@router.delete(
    "/database/{id}", response={200: str, **RESPONSES}, url_name="govstack-database-delete"
)
def delete_database(request, id: int):
    """Stop a registry (its owner's data steward): records are kept, served no more."""
    require_scope(request, "write")
    do_archive_registry(actor=request.user, definition=_visible(request, id))
    return _answer("Success")
