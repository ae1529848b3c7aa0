"""API: 办件 — apply (multipart: form as JSON, one file per material), one-window intake,
my list (applicants: their own; staff: their jurisdiction), detail, workflow actions,
material upload (补正) and download."""

import datetime as dt
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Form, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from yiwang.core import masking, uploads
from yiwang.core.api.pagination import Keyed, KeysetPagination
from yiwang.core.identity.tokens import require_scope
from yiwang.core.inbox import case_events
from yiwang.core.schemas.workflow import ActionOut, EventOut
from yiwang.services import access
from yiwang.services.actions.applications import (
    do_act,
    do_add_materials,
    do_apply,
    do_open_material,
    do_window_intake,
    open_actions,
)
from yiwang.services.materials import current_materials
from yiwang.services.models import Application, ServiceItem
from yiwang.services.queries import application_list, application_row, licence_links, with_case

router = Router()


class ApplicationOut(Schema):
    number: str
    item_code: str
    item: str
    department: str
    channel: str
    state: str
    state_name: str
    status: str
    outcome: str = Field(description="approved / refused / not_accepted / withdrawn；空为办理中")
    instant: bool = Field(description="秒批办结")
    submitted_at: dt.datetime
    state_due: dt.date | None
    case_due: dt.date | None
    completed_at: dt.datetime | None
    overdue: bool
    bundle: str


class MaterialOut(Schema):
    id: int
    name: str
    source: str = Field(description="upload / window / licence / registry")
    source_name: str
    reference: str = Field(description="电子证照标识、基础库记录与版本，或上传时的文件名")
    content_type: str
    size: int
    sm3: str = Field(description="文件内容的 SM3 摘要（无文件时为空）")
    download: str | None


class ApplicationDetailOut(ApplicationOut):
    applicant_name: str = Field(description="脱敏")
    applicant_id_type: str
    applicant_id_number: str = Field(description="脱敏")
    decided_by_rule: str
    licence_identifier: str
    licence_pdf: str | None
    form_data: dict[str, Any] = Field(
        description="申请表；身份证号码、手机号码、姓名、地址类字段对申请人以外的人脱敏"
    )
    materials: list[MaterialOut]
    actions: list[ActionOut]
    events: list[EventOut]


class ActIn(Schema):
    action: str = Field(..., min_length=1, max_length=64)
    comment: str = Field("", max_length=5000)


class ListIn(Schema):
    status: str = Field("", pattern="^(|open|overdue|done)$")
    q: str = Field("", max_length=60, description="办件编号（从头）或事项名称")


def _row(app: Application) -> dict:
    return application_row(app)


def _materials(app: Application) -> list[dict]:
    out = []
    for m in current_materials(app):
        out.append(
            {
                "id": m.pk,
                "name": m.name,
                "source": m.source,
                "source_name": str(m.get_source_display()),
                "reference": m.reference,
                "content_type": m.content_type,
                "size": m.size,
                "sm3": m.sm3,
                "download": reverse(
                    "api:services-material", kwargs={"number": app.number, "material_id": m.pk}
                )
                if m.file
                else None,
            }
        )
    return out


def _detail(user, app: Application) -> dict:
    app = with_case(Application.objects.filter(pk=app.pk)).get()
    return {
        **_row(app),
        "applicant_name": masking.mask_name(app.applicant_name),
        "applicant_id_type": app.applicant_id_type,
        "applicant_id_number": masking.mask_id_number(app.applicant_id_number),
        "decided_by_rule": app.decided_by_rule,
        "licence_identifier": app.licence_identifier,
        "licence_pdf": licence_links(app.licence_identifier).get("pdf")
        if app.applicant_id == user.pk
        else None,
        # The applicant sees their own form in full; staff see personal fields masked.
        "form_data": masking.masked_mapping(
            user, app.item.form_fields, app.form_data, owner_id=app.applicant_id
        ),
        "materials": _materials(app),
        "actions": open_actions(user, app),
        "events": case_events(app.flow),
    }


def _form_json(text: str) -> dict:
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        raise ValidationError({"form_data": [_("申请表应为 JSON 对象。")]}) from None
    if not isinstance(data, dict):
        raise ValidationError({"form_data": [_("申请表应为 JSON 对象。")]})
    return data


def _item(code: str) -> ServiceItem:
    item = ServiceItem.objects.filter(code=code).select_related("department", "division").first()
    if item is None:
        raise Http404(_("未找到该事项。"))
    return item


def _application(request, number: str) -> Application:
    app = with_case(access.applications(request.user)).filter(number=number).first()
    if app is None:
        raise Http404(_("未找到该办件，或您无权查看。"))
    return app


@router.post("", response={201: ApplicationDetailOut})
def apply(
    request,
    item: Form[str],
    form_data: Form[str] = "{}",
    channel: Form[str] = "online",
):
    """在线申请 (citizen or enterprise, for themselves): multipart with ``item`` (事项编码),
    ``form_data`` (JSON object) and one file per material under ``material_<id>``;
    免证 materials need no file. Nothing is saved when anything is wrong."""
    require_scope(request, "write")
    data = _form_json(form_data)
    app = do_apply(
        actor=request.user,
        item=_item(item),
        form_data=data,
        uploads=request.FILES,
        channel=channel,
    )
    return Status(201, _detail(request.user, app))


@router.post("/window", response={201: ApplicationDetailOut})
def window_intake(
    request,
    item: Form[str],
    applicant_name: Form[str],
    applicant_id_type: Form[str],
    applicant_id_number: Form[str],
    phone: Form[str] = "",
    form_data: Form[str] = "{}",
    received: Form[str] = "",
):
    """一窗受理 (window clerks): an application for any department's item on behalf of
    the applicant at the counter."""
    require_scope(request, "write")
    data = _form_json(form_data)
    ids = [r.strip() for r in received.split(",") if r.strip().isdigit()]
    app = do_window_intake(
        actor=request.user,
        item=_item(item),
        applicant_name=applicant_name,
        applicant_id_type=applicant_id_type,
        applicant_id_number=applicant_id_number,
        phone=phone,
        form_data=data,
        uploads=request.FILES,
        received=ids,
    )
    return Status(201, _detail(request.user, app))


@router.get("", response=list[ApplicationOut])
@paginate(KeysetPagination, page_size=50, max_page_size=200)
def list_applications(request, params: Query[ListIn]):
    """我的办件 (citizens, enterprises) or 本辖区办件 (staff), newest first; overdue
    marked. ``q``: a number from its start, or part of an item's name. Read on with the
    answer's ``next`` cursor (``count`` stops at 1000: ``count_capped``)."""
    require_scope(request, "read")
    user = request.user
    split = None
    if user.kind == "staff":
        qs = access.staff_applications(user)
        split = access.staff_split(user)
    else:
        qs = access.own_applications(user)
    listed = application_list(qs, params.status, params.q)
    return Keyed(listed, _row, fields=("submitted_at",), descending=True, split=split)


@router.get("/{number}", response=ApplicationDetailOut)
def get_application(request, number: str):
    """One application: status, deadlines, materials, history and the caller's actions."""
    require_scope(request, "read")
    return _detail(request.user, _application(request, number))


@router.post("/{number}/act", response=ApplicationDetailOut)
def act(request, number: str, payload: ActIn):
    """Take a workflow action (accept, request_correction, resubmit, review, approve,
    refuse, not_accept, send_back, withdraw); approval issues the e-licence."""
    require_scope(request, "write")
    app = _application(request, number)
    do_act(actor=request.user, application=app, action=payload.action, comment=payload.comment)
    return _detail(request.user, app)


@router.post("/{number}/materials", response={201: list[MaterialOut]})
def upload_materials(request, number: str):
    """补充材料 (multipart, ``material_<id>`` per file) while waiting for intake or
    correction; then ``act`` with ``resubmit``."""
    require_scope(request, "write")
    app = _application(request, number)
    do_add_materials(actor=request.user, application=app, uploads=request.FILES)
    return Status(201, _materials(app))


@router.get("/{number}/materials/{material_id}", url_name="services-material")
def download_material(request, number: str, material_id: int):
    """A material file (decrypted, its SM3 digest checked, the access logged)."""
    require_scope(request, "read")
    app = _application(request, number)
    material = app.materials.filter(pk=material_id).first()
    if material is None or not material.file:
        raise Http404(_("未找到该材料文件。"))
    data = do_open_material(actor=request.user, material=material)
    return uploads.download(material, data)
