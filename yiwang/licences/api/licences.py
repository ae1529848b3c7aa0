"""API: 证照目录 (public), 证照核验 (public, also of a 亮证 code), my licences (holders,
and 亮证), issued licences with their lifecycle (staff), and seals with their use log
(department admins)."""

import datetime as dt
import json
from typing import Literal
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import Field

from yiwang.core.api.pagination import Mapped, Pagination
from yiwang.core.identity import assurance
from yiwang.core.identity.tokens import require_scope
from yiwang.licences import access, showing
from yiwang.licences.actions import (
    do_change_status,
    do_create_seal,
    do_disable_seal,
    do_issue_licence,
)
from yiwang.licences.actions.licences import open_transitions, verify_url
from yiwang.licences.actions.reads import do_record_licence_view, do_record_verification
from yiwang.licences.actions.showings import do_show_licence
from yiwang.licences.models import Licence, LicenceType, Seal
from yiwang.licences.queries import Refused, data_shown, holder_shown, run, spend_budget

router = Router()


# --- shapes ---


class FieldOut(Schema):
    key: str
    label: str
    required: bool = False


class TypeOut(Schema):
    code: str
    slug: str
    name: str
    definer_name: str
    line: str
    department: str | None
    holder_kind: str
    validity_years: int | None
    fields: list[FieldOut]
    status: str


class LicenceOut(Schema):
    id: int
    identifier: str
    type_code: str
    type_slug: str
    type_name: str
    number: str
    holder_name: str
    holder_id: str
    holder_id_type: str
    issuer: str
    issuer_code: str
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    status: str
    status_name: str
    status_reason: str
    source: str
    pdf_sm3: str
    seal_code: str


class LicenceDetailOut(LicenceOut):
    data: dict[str, str]
    verify_url: str
    actions: list[str]
    events: list[dict]


class IssueIn(Schema):
    licence_type: str = Field(..., min_length=1, max_length=40, description="证照类型代码或简码")
    holder_name: str = Field(..., min_length=1, max_length=100)
    holder_id: str = Field(..., min_length=1, max_length=40)
    holder_id_type: str = Field("111", min_length=3, max_length=3)
    data: dict[str, str] = Field(default_factory=dict)
    valid_until: dt.date | None = None
    issuer: str = Field("", max_length=32, description="颁发部门编码，留空按默认")
    source: str = Field("", max_length=120)


class StatusIn(Schema):
    reason: str = Field(..., min_length=2, max_length=500)


class ListIn(Schema):
    status: Literal["", "01", "02", "03", "04", "05", "06", "07", "99"] = ""
    type: str = Field("", max_length=40)
    q: str = Field("", max_length=128)


class SealOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_name: str
    owner: str
    owner_code: str
    valid_from: dt.date
    valid_until: dt.date
    status: str
    public_key: str
    seal_data: str
    maker_signature: str


class SealIn(Schema):
    department: str = Field(..., min_length=1, max_length=32, description="用章部门编码")
    kind: Literal["official", "licensing", "business", "contract", "finance"]
    name: str = Field("", max_length=24)
    valid_until: dt.date | None = None


class DisableIn(Schema):
    reason: str = Field(..., min_length=2, max_length=500)


class UsageOut(Schema):
    at: dt.datetime
    document_type: str
    document_ref: str
    digest: str
    purpose: str
    actor: str


class VerifyOut(Schema):
    result: str
    message: str
    checks: dict[str, bool]
    licence: dict | None = None


# --- mapping ---


def type_row(t: LicenceType) -> dict:
    return {
        "code": t.code,
        "slug": t.slug,
        "name": t.name,
        "definer_name": t.definer_name,
        "line": t.line,
        "department": t.department.name if t.department is not None else None,
        "holder_kind": t.holder_kind,
        "validity_years": t.validity_years,
        "fields": t.fields or [],
        "status": t.status,
    }


def licence_row(lic: Licence, *, clear: bool = True) -> dict:
    name, hid = holder_shown(lic, clear=clear)
    return {
        "id": lic.pk,
        "identifier": lic.identifier,
        "type_code": lic.licence_type.code,
        "type_slug": lic.licence_type.slug,
        "type_name": lic.licence_type.name,
        "number": lic.number,
        "holder_name": name,
        "holder_id": hid,
        "holder_id_type": lic.holder_id_type,
        "issuer": lic.issuer_name,
        "issuer_code": lic.issuer_code,
        "issued_on": lic.issued_on,
        "valid_from": lic.valid_from,
        "valid_until": lic.valid_until,
        "status": lic.status,
        "status_name": str(lic.get_status_display()),
        "status_reason": lic.status_reason,
        "source": lic.source,
        "pdf_sm3": lic.pdf_digest,
        "seal_code": lic.seal.code,
    }


def licence_detail(lic: Licence, actions: list[str], *, clear: bool = True) -> dict:
    """One licence; ``clear`` False masks a person holder's name and ID number and the
    personal items of its 照面信息."""
    return {
        **licence_row(lic, clear=clear),
        "data": data_shown(lic, clear=clear),
        "verify_url": verify_url(lic.identifier, lic.token),
        "actions": actions,
        "events": [
            {
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "reason": e.reason,
                "actor": e.actor.get_username() if e.actor is not None else None,
                "at": e.at.isoformat(),
            }
            for e in lic.events.select_related("actor")
        ],
    }


def seal_row(s: Seal) -> dict:
    return {
        "id": s.pk,
        "code": s.code,
        "name": s.name,
        "kind": s.kind,
        "kind_name": str(s.get_kind_display()),
        "owner": s.owner.name,
        "owner_code": s.owner.code,
        "valid_from": s.valid_from,
        "valid_until": s.valid_until,
        "status": s.status,
        "public_key": s.sm2_public_pem,
        "seal_data": s.seal_data,
        "maker_signature": s.maker_signature,
    }


def _staff(request, perm: str = "licence.view") -> None:
    access.require_staff_with(request.user, perm, _("该接口仅对有证照权限的工作人员开放。"))


def _holder(request) -> None:
    """Citizens and enterprises that are 实名 (403 ``assurance_required`` below it)."""
    if getattr(request.user, "kind", "") not in ("citizen", "enterprise"):
        raise PermissionDenied(_("证照夹供群众和企业查看本人（本单位）持有的证照。"))
    assurance.require_verified(request.user)


LICENCE_QS = Licence.objects.select_related("licence_type", "seal")


# --- public: catalogue and verification ---


class TypesIn(Schema):
    status: Literal["", "active", "retired"] = ""
    line: str = Field("", max_length=32, description="颁发条线，如 market")


@router.get("/types", response=list[TypeOut], auth=None)
def list_types(request, params: Query[TypesIn]):
    """证照目录 (public)."""
    qs = LicenceType.objects.select_related("department")
    if params.status:
        qs = qs.filter(status=params.status)
    if params.line:
        qs = qs.filter(line=params.line)
    return [type_row(t) for t in qs]


VERIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "payload": {
                            "type": "string",
                            "maxLength": 1000,
                            "description": "二维码内容（核验网址）或「标识 核验码」",
                        },
                        "identifier": {"type": "string", "maxLength": 128},
                        "token": {"type": "string", "maxLength": 16},
                    },
                }
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "证照 PDF"},
                        "payload": {"type": "string", "maxLength": 1000},
                    },
                }
            },
        },
    }
}


@router.post("/verify", response=VerifyOut, auth=None, openapi_extra=VERIFY_BODY)
def verify_licence(request):
    """证照核验 (public): a JSON body ``{"payload"}`` (the QR content) or ``{"identifier",
    "token"}``, or a multipart upload ``file`` (the PDF). Answers valid / suspended /
    revoked / cancelled / expired / invalid / forged; bad input is a 400, an oversized
    file 413, too many calls from one address 429."""
    try:
        content_type = request.content_type or ""
        if content_type.startswith("multipart/"):
            upload = request.FILES.get("file")
            if upload is not None:
                verdict = run(request, upload=upload)
            else:
                verdict = run(request, payload=_form_payload(request.POST))
        else:
            if len(request.body) > 4096:
                raise Refused(413, _("请求内容过长。"))
            try:
                body = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise Refused(400, _("请求体不是有效的 JSON。")) from None
            if not isinstance(body, dict):
                raise Refused(400, _("请求体应为 JSON 对象。"))
            verdict = run(request, payload=_form_payload(body))
    except Refused as exc:
        raise HttpError(exc.status, exc.message) from None
    do_record_verification(actor=request.user, verdict=verdict)
    return verdict.public()


def _form_payload(data) -> str:
    payload = str(data.get("payload") or "")
    if not payload and data.get("identifier"):
        payload = f"{data.get('identifier')} {data.get('token') or ''}"
    return payload


# --- holders: my licences ---


@router.get("/mine", response=list[LicenceOut])
@paginate(Pagination, page_size=50, max_page_size=200)
def my_licences(request):
    """我的证照: licences held by the signed-in citizen or enterprise."""
    require_scope(request, "read")
    _holder(request)
    return Mapped(access.own_licences(request.user, LICENCE_QS.all()), licence_row)


@router.get("/mine/{licence_id}", response=LicenceDetailOut)
def my_licence(request, licence_id: int):
    require_scope(request, "read")
    _holder(request)
    lic = access.own_licences(request.user, LICENCE_QS.all()).filter(pk=licence_id).first()
    if lic is None:
        raise Http404(_("未找到该证照，或它不属于您。"))
    return licence_detail(lic, [])


class ShowOut(Schema):
    token: str = Field(..., description="二维码中的亮证令牌（核验网址参数 c）")
    code: str = Field(..., description="8 位数字核验码")
    verify_url: str
    expires_at: dt.datetime
    seconds: int


class ShowCheckIn(Schema):
    token: str = Field("", max_length=80, description="亮证二维码中的令牌")
    code: str = Field("", max_length=12, description="8 位数字核验码")


@router.post("/mine/{licence_id}/show", response={201: ShowOut})
def show_licence(request, licence_id: int):
    """亮证: a dynamic code for one's own licence, valid for 60 seconds."""
    require_scope(request, "write")
    _holder(request)
    lic = access.own_licences(request.user, LICENCE_QS.all()).filter(pk=licence_id).first()
    if lic is None:
        raise Http404(_("未找到该证照，或它不属于您。"))
    shown = do_show_licence(actor=request.user, licence=lic)
    url = (
        request.build_absolute_uri(reverse("licences:verify")) + "?" + urlencode({"c": shown.token})
    )
    return Status(
        201,
        {
            "token": shown.token,
            "code": shown.code,
            "verify_url": url,
            "expires_at": shown.showing.expires_at,
            "seconds": shown.seconds_left,
        },
    )


@router.post("/verify/show", response=VerifyOut, auth=None)
def verify_showing(request, payload: ShowCheckIn):
    """核验亮证码 (public): the QR token or the 8-digit code. While valid, the licence's
    verification with its holder masked; after the minute ``show_expired``."""
    spend_budget(request)
    if payload.token:
        return showing.verify_token(payload.token).public()
    return showing.verify_code(payload.code).public()


# --- staff: issued licences and lifecycle ---


@router.get("/issued", response=list[LicenceOut])
@paginate(Pagination, page_size=50, max_page_size=200)
def list_issued(request, params: Query[ListIn]):
    """Licences issued by departments in the caller's scope (persons' data masked)."""
    require_scope(request, "read")
    _staff(request)
    qs = access.staff_licences(request.user, LICENCE_QS.all())
    if params.status:
        qs = qs.filter(status=params.status)
    if params.type:
        qs = qs.filter(Q(licence_type__slug=params.type) | Q(licence_type__code=params.type))
    if params.q:
        q = params.q.strip()
        qs = qs.filter(Q(number__icontains=q) | Q(identifier=q.upper()) | Q(source=q))
    return Mapped(qs, lambda lic: licence_row(lic, clear=False))


def _staff_detail(request, lic: Licence) -> dict:
    """A licence as staff see it: a person holder in clear only within the caller's
    ``personal.unmask`` reach (``access.may_see_holder``), masked otherwise."""
    return licence_detail(
        lic,
        [t.code for t in open_transitions(request.user, lic)],
        clear=access.may_see_holder(request.user, lic),
    )


def _issued(request, licence_id: int) -> Licence:
    lic = access.staff_licences(request.user, LICENCE_QS.all()).filter(pk=licence_id).first()
    if lic is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    return lic


@router.get("/issued/{licence_id}", response=LicenceDetailOut)
def get_issued(request, licence_id: int):
    """One licence (a person holder in clear within the caller's ``personal.unmask``
    reach, masked otherwise; the view is logged), with history and open actions."""
    require_scope(request, "read")
    _staff(request)
    lic = _issued(request, licence_id)
    do_record_licence_view(actor=request.user, licence=lic)
    return _staff_detail(request, lic)


@router.post("/issued", response={201: LicenceDetailOut})
def issue_licence(request, payload: IssueIn):
    """签发电子证照 (licence.issue over the issuing department)."""
    require_scope(request, "write")
    _staff(request, "licence.issue")
    issuer = None
    if payload.issuer:
        issuer = next(
            (d for d in access.issuing_departments(request.user) if d.code == payload.issuer),
            None,
        )
        if issuer is None:
            raise PermissionDenied(_("您不能以该部门名义签发证照。"))
    lic = do_issue_licence(
        actor=request.user,
        licence_type=payload.licence_type,
        holder_name=payload.holder_name,
        holder_id=payload.holder_id,
        holder_id_type=payload.holder_id_type,
        data=payload.data,
        valid_until=payload.valid_until,
        issuer=issuer,
        source=payload.source,
    )
    lic = LICENCE_QS.get(pk=lic.pk)
    return Status(201, _staff_detail(request, lic))


@router.post("/issued/{licence_id}/{action}", response=LicenceDetailOut)
def change_status(
    request,
    licence_id: int,
    action: Literal["suspend", "restore", "revoke", "cancel", "withdraw"],
    payload: StatusIn,
):
    """暂扣 suspend / 恢复 restore / 撤销 revoke / 注销 cancel / 吊销 withdraw, with a reason."""
    require_scope(request, "write")
    _staff(request, "licence.manage")
    lic = _issued(request, licence_id)
    do_change_status(actor=request.user, licence=lic, action=action, reason=payload.reason)
    lic = LICENCE_QS.get(pk=lic.pk)
    return _staff_detail(request, lic)


# --- seals ---


@router.get("/seals", response=list[SealOut])
@paginate(Pagination, page_size=50, max_page_size=200)
def list_seals(request):
    """电子印章 of the departments the caller manages."""
    require_scope(request, "read")
    _staff(request, "seal.manage")
    return Mapped(access.seals(request.user).select_related("owner"), seal_row)


@router.post("/seals", response={201: SealOut})
def create_seal(request, payload: SealIn):
    """制作电子印章 for a department the caller manages."""
    require_scope(request, "write")
    _staff(request, "seal.manage")
    dept = next(
        (
            d
            for d in access.issuing_departments(request.user, "seal.manage")
            if d.code == payload.department
        ),
        None,
    )
    if dept is None:
        raise PermissionDenied(_("您没有管理该部门电子印章的权限。"))
    seal = do_create_seal(
        actor=request.user,
        department=dept,
        kind=payload.kind,
        name=payload.name,
        valid_until=payload.valid_until,
    )
    return Status(201, seal_row(seal))


def _seal(request, seal_id: int) -> Seal:
    seal = access.seals(request.user).select_related("owner").filter(pk=seal_id).first()
    if seal is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    return seal


@router.get("/seals/{seal_id}", response=SealOut)
def get_seal(request, seal_id: int):
    require_scope(request, "read")
    _staff(request, "seal.manage")
    return seal_row(_seal(request, seal_id))


@router.post("/seals/{seal_id}/disable", response=SealOut)
def disable_seal(request, seal_id: int, payload: DisableIn):
    """停用电子印章 with a reason."""
    require_scope(request, "write")
    _staff(request, "seal.manage")
    seal = _seal(request, seal_id)
    return seal_row(do_disable_seal(actor=request.user, seal=seal, reason=payload.reason))


@router.get("/seals/{seal_id}/usages", response=list[UsageOut])
@paginate(Pagination, page_size=50, max_page_size=200)
def seal_usages(request, seal_id: int):
    """用章记录 of one seal, newest first."""
    require_scope(request, "read")
    _staff(request, "seal.manage")
    seal = _seal(request, seal_id)
    return Mapped(
        seal.usages.all(),
        lambda u: {
            "at": u.at,
            "document_type": u.document_type,
            "document_ref": u.document_ref,
            "digest": u.digest,
            "purpose": u.purpose,
            "actor": u.actor_label,
        },
    )
