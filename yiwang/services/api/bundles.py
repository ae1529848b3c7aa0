"""API: 一件事一次办 — the published bundles with their combined form, one submission
(multipart) fanned out to one application per item, and my submissions with the
combined status derived from the parts."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Form, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from yiwang.core import masking
from yiwang.core.api.pagination import Mapped, Pagination
from yiwang.core.identity.tokens import require_scope
from yiwang.services import access
from yiwang.services.actions.applications import applicant_from_account
from yiwang.services.actions.bundles import (
    bundle_items,
    bundle_status,
    combined_fields,
    do_apply_bundle,
    material_groups,
)
from yiwang.services.api.applications import ApplicationOut, _form_json
from yiwang.services.api.items import PUBLIC
from yiwang.services.models import Bundle, BundleApplication
from yiwang.services.queries import application_row, with_case

router = Router()


class BundleItemOut(Schema):
    code: str
    name: str
    department: str
    promised_days: int | None


class BundleOut(Schema):
    code: str
    name: str
    kind: str
    description: str
    items: list[BundleItemOut]


class MaterialGroupOut(Schema):
    key: str = Field(description="上传时的文件字段名")
    name: str
    required: bool
    satisfied: bool = Field(description="免证可办：已由电子证照或基础库满足（仅登录申请人）")
    satisfied_by: list[str]


class BundleDetailOut(BundleOut):
    fields: list[dict[str, Any]]
    materials: list[MaterialGroupOut]


class StatusOut(Schema):
    code: str = Field(
        description="open 办理中 / partial 部分办结 / completed 全部办结 / refused 有不予办理"
    )
    label: str
    done: int
    total: int


class SubmissionOut(Schema):
    number: str
    bundle: str
    name: str
    status: str
    status_name: str
    done: int
    total: int
    submitted_at: dt.datetime
    completed_at: dt.datetime | None


class SubmissionDetailOut(SubmissionOut):
    form_data: dict[str, Any]
    parts: list[ApplicationOut]


def _bundle_row(b: Bundle) -> dict:
    return {
        "code": b.code,
        "name": b.name,
        "kind": b.kind,
        "description": b.description,
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "department": i.department.name,
                "promised_days": i.promised_days,
            }
            for i in bundle_items(b)
        ],
    }


def _published(code: str) -> Bundle:
    bundle = Bundle.objects.filter(code=code, published=True).first()
    if bundle is None:
        raise Http404(_("未找到该一件事，或它尚未发布。"))
    return bundle


def _submission_row(s: BundleApplication) -> dict:
    status = bundle_status(s)
    return {
        "number": s.number,
        "bundle": s.bundle.code,
        "name": s.bundle.name,
        "status": status["code"],
        "status_name": status["label"],
        "done": status["done"],
        "total": status["total"],
        "submitted_at": s.submitted_at,
        "completed_at": s.completed_at,
    }


@router.get("", response=list[BundleOut], auth=PUBLIC)
@paginate(Pagination, page_size=50, max_page_size=200)
def list_bundles(request):
    """Published 一件事 with their items and departments."""
    return Mapped(Bundle.objects.filter(published=True).order_by("code"), _bundle_row)


@router.get("/applications", response=list[SubmissionOut])
@paginate(Pagination, page_size=50, max_page_size=200)
def list_submissions(request):
    """My 一件事 submissions with the combined status."""
    require_scope(request, "read")
    qs = access.bundle_applications(request.user).select_related("bundle")
    return Mapped(qs, _submission_row)


@router.get("/applications/{number}", response=SubmissionDetailOut)
def get_submission(request, number: str):
    """One submission: combined status and each part (its own department and case)."""
    require_scope(request, "read")
    s = access.bundle_applications(request.user).select_related("bundle").filter(number=number)
    submission = s.first()
    if submission is None:
        raise Http404(_("未找到该一件事办件，或您无权查看。"))
    parts = submission.parts.all()
    if submission.applicant_id != request.user.pk:
        parts = access.applications(request.user, parts)
    return {
        **_submission_row(submission),
        "form_data": masking.masked_mapping(
            request.user,
            combined_fields(submission.bundle),
            submission.form_data,
            owner_id=submission.applicant_id,
        ),
        "parts": [application_row(p) for p in with_case(parts).order_by("id")],
    }


@router.get("/{code}", response=BundleDetailOut, auth=PUBLIC)
def get_bundle(request, code: str):
    """The combined form (each field once) and the materials (same-name ones once); for a
    signed-in applicant, materials already satisfied (免证可办) are marked."""
    bundle = _published(code)
    items = bundle_items(bundle)
    applicant = None
    if getattr(request.user, "kind", "") in ("citizen", "enterprise"):
        try:
            applicant = applicant_from_account(request.user)
        except ValidationError:
            applicant = None
    groups, _per_item = material_groups(items, applicant)
    return {
        **_bundle_row(bundle),
        "fields": combined_fields(bundle, items),
        "materials": [
            {
                "key": g.key,
                "name": g.name,
                "required": g.required,
                "satisfied": g.satisfied,
                "satisfied_by": g.labels,
            }
            for g in groups
        ],
    }


@router.post("/{code}/apply", response={201: SubmissionDetailOut})
def apply_bundle(request, code: str, form_data: Form[str] = "{}"):
    """一次提交 (multipart: ``form_data`` JSON and one file per material group key)."""
    require_scope(request, "write")
    bundle = _published(code)
    data = _form_json(form_data)
    submission = do_apply_bundle(
        actor=request.user, bundle=bundle, form_data=data, uploads=request.FILES
    )
    return Status(201, get_submission(request, submission.number))
