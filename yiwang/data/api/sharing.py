"""共享申请 API under /api/v1/data/sharing: requests, decisions, grants (the client secret
is returned once, on the answer that issues it), revocation, and the 用数记录 views — who
read my data (citizens) and who used our data (providers)."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from yiwang.core.access import pick, require
from yiwang.core.api.pagination import Mapped, Pagination
from yiwang.core.identity import assurance
from yiwang.core.identity.tokens import api_scope, require_scope
from yiwang.data import access
from yiwang.data.actions.sharing import (
    ShareOutcome,
    do_decide_share,
    do_request_share,
    do_revoke_grant,
)
from yiwang.data.gateway import client_identifier
from yiwang.data.queries import uses

# Bearer first: a token call must not trip the session authenticator's CSRF check.
router = Router()


class ShareRequestIn(Schema):
    resource: str = Field(..., min_length=1, max_length=40, description="资源代码")
    fields: list[str] = Field(..., max_length=100, description="申请的信息项名称")
    purpose: str = Field(..., max_length=2000)
    legal_basis: str = Field(..., max_length=2000)
    consumer_system: str = Field(..., max_length=120)
    starts_on: dt.date
    ends_on: dt.date


class DecisionIn(Schema):
    action: str = Field(
        ...,
        max_length=40,
        description="provider_agree / provider_refuse / grant / refuse / withdraw",
    )
    comment: str = Field("", max_length=2000)


class RevokeIn(Schema):
    reason: str = Field(..., max_length=2000)


class ShareRequestOut(Schema):
    id: int
    number: str
    resource: str
    consumer: str
    consumer_system: str
    fields: list[str]
    purpose: str
    legal_basis: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    reason: str
    created_at: dt.datetime
    decided_at: dt.datetime | None
    case: str | None


class GrantOut(Schema):
    id: int
    resource: str
    consumer: str
    client_name: str
    client_identifier: str
    fields: list[str]
    purpose: str
    rate_per_minute: int
    starts_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None


class CredentialsOut(Schema):
    client_id: str
    client_secret: str = Field(..., description="只显示这一次，请妥善保存")


class OutcomeOut(Schema):
    request: ShareRequestOut
    grant: GrantOut | None = None
    credentials: CredentialsOut | None = None


class AccessOut(Schema):
    at: dt.datetime
    kind: str
    consumer: str
    provider: str
    resource: str
    system: str
    fields: list[str]
    purpose: str
    request_id: str


def request_out(r) -> dict:
    return {
        "id": r.pk,
        "number": r.number,
        "resource": r.resource.code,
        "consumer": r.consumer.name,
        "consumer_system": r.consumer_system,
        "fields": r.fields,
        "purpose": r.purpose,
        "legal_basis": r.legal_basis,
        "starts_on": r.starts_on,
        "ends_on": r.ends_on,
        "status": r.status,
        "reason": r.reason,
        "created_at": r.created_at,
        "decided_at": r.decided_at,
        "case": r.case.number if r.case_id else None,
    }


def grant_out(g) -> dict:
    return {
        "id": g.pk,
        "resource": g.resource.code,
        "consumer": g.consumer.name,
        "client_name": g.client.name,
        "client_identifier": client_identifier(g),
        "fields": g.fields,
        "purpose": g.purpose,
        "rate_per_minute": g.rate_per_minute,
        "starts_at": g.starts_at,
        "expires_at": g.expires_at,
        "revoked_at": g.revoked_at,
    }


def access_out(a) -> dict:
    return {
        "at": a.at,
        "kind": a.kind,
        "consumer": a.consumer.name,
        "provider": a.provider.name,
        "resource": a.resource.name,
        "system": a.client_id,
        "fields": a.fields,
        "purpose": a.purpose,
        "request_id": a.request_id,
    }


def outcome_out(out: ShareOutcome) -> dict:
    return {
        "request": request_out(out.request),
        "grant": grant_out(out.grant) if out.grant else None,
        "credentials": (
            {"client_id": out.credentials.client_id, "client_secret": out.credentials.client_secret}
            if out.credentials
            else None
        ),
    }


def _staff(request, write: bool = False) -> None:
    require_scope(request, "write" if write else "read")
    require(request.user, "data.view")


@router.get("/requests", response=list[ShareRequestOut])
@paginate(Pagination, page_size=50)
@api_scope("read")
def list_requests(request, status: str = ""):
    """共享申请 the user's department asked for or must answer."""
    _staff(request)
    qs = access.share_requests(request.user).select_related("resource", "consumer", "case")
    if status:
        qs = qs.filter(status=status[:16])
    return Mapped(qs, request_out)


@router.post("/requests", response={201: OutcomeOut}, url_name="share-request-create")
@api_scope("write")
def create_request(request, payload: ShareRequestIn):
    """提出共享申请 (data steward of the consuming department)."""
    _staff(request, write=True)
    resource = (
        access.resources(request.user).filter(code=payload.resource, status="published").first()
    )
    if resource is None:
        raise Http404(_("未找到该已发布的数据资源。"))
    out = do_request_share(
        actor=request.user, resource=resource, **payload.dict(exclude={"resource"})
    )
    return Status(201, outcome_out(out))


@router.get("/requests/{int:pk}", response=ShareRequestOut)
@api_scope("read")
def get_request(request, pk: int):
    _staff(request)
    return request_out(pick(access.share_requests(request.user), pk))


@router.post("/requests/{int:pk}/decide", response=OutcomeOut)
@api_scope("write")
def decide(request, pk: int, payload: DecisionIn):
    """办理共享申请: provider_agree/provider_refuse (提供方), grant/refuse (大数据局), withdraw."""
    _staff(request, write=True)
    req = pick(access.share_requests(request.user), pk)
    return outcome_out(
        do_decide_share(
            actor=request.user, request=req, action=payload.action, comment=payload.comment
        )
    )


@router.get("/grants", response=list[GrantOut])
@paginate(Pagination, page_size=50)
@api_scope("read")
def list_grants(request):
    _staff(request)
    qs = access.grants(request.user).select_related("resource", "consumer", "client", "request")
    return Mapped(qs, grant_out)


@router.get("/grants/{int:pk}", response=GrantOut)
@api_scope("read")
def get_grant(request, pk: int):
    _staff(request)
    return grant_out(pick(access.grants(request.user), pk))


@router.post("/grants/{int:pk}/revoke", response=GrantOut)
@api_scope("write")
def revoke(request, pk: int, payload: RevokeIn):
    """收回授权."""
    _staff(request, write=True)
    grant = pick(access.grants(request.user), pk)
    return grant_out(do_revoke_grant(actor=request.user, grant=grant, reason=payload.reason))


@router.get("/my-data", response=list[AccessOut], url_name="data-my-data")
@paginate(Pagination, page_size=50)
def my_data(request):
    """谁用了我的数据: gateway reads of the signed-in citizen's own record (实名 accounts;
    403 ``assurance_required`` for a citizen below it)."""
    if getattr(request.user, "kind", "") == "citizen":
        assurance.require_verified(request.user)
    qs = access.accesses_of_citizen(request.user).select_related("consumer", "provider", "resource")
    return Mapped(qs, access_out)


class UseOut(Schema):
    at: dt.datetime
    kind: str = Field(
        description="exchange_verify / exchange_read / exchange_batch / registry / licence / licence_view / unmask"
    )
    kind_label: str
    user: str
    system: str
    what: str
    purpose: str


class UsesOut(Schema):
    items: list[UseOut]
    next: str = Field(description="cursor of the next page (pass as ?cursor=), empty on the last")


@router.get("/my-data/uses", response=UsesOut, url_name="data-my-uses")
def my_uses(request, cursor: str = "", limit: int = 50):
    """谁用了我的数据, all of it: gateway reads and the platform's own uses of the signed-in
    citizen's data (registry checks, licence verifications and views, reveals with their
    purpose), newest first, paged by cursor (实名 accounts; 403 ``assurance_required``
    below it; empty for accounts that are not citizens)."""
    if getattr(request.user, "kind", "") == "citizen":
        assurance.require_verified(request.user)
    page = uses.uses_page(request.user, cursor, limit)
    return {"items": [uses.use_out(u) for u in page.rows], "next": page.next}


@router.get("/usage", response=list[AccessOut], url_name="data-usage")
@paginate(Pagination, page_size=50)
@api_scope("read")
def usage(request):
    """用数记录 of the data our department provides."""
    _staff(request)
    qs = access.accesses_as_provider(request.user).select_related(
        "consumer", "provider", "resource"
    )
    return Mapped(qs, access_out)
