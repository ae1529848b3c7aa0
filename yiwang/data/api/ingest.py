"""Data room API: 数据归集 — upload a file into a resource (processed in the background),
follow a batch's status, list its problem rows with reasons, re-submit corrected rows."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from yiwang.core.access import pick, require
from yiwang.core.api.pagination import Pagination
from yiwang.core.fields import json_value
from yiwang.core.identity.tokens import require_scope
from yiwang.data import access
from yiwang.data.actions.ingest import do_create_batch, do_resubmit, enqueue_batch, max_bytes
from yiwang.data.models import DataResource, ImportBatch, QuarantinedRow
from yiwang.data.queries.problem_rows import column_kinds, masked_row

router = Router()


class BatchOut(Schema):
    id: int
    resource: str
    resource_name: str
    department: str
    source: str
    filename: str
    encoding: str
    status: str
    error: str
    error_code: str
    total: int | None
    processed: int
    percent: int
    created: int
    updated: int
    unchanged: int
    quarantined: int
    conflicts: int
    already_loaded: bool = False
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ReasonOut(Schema):
    field: str
    code: str
    message: str


class BadRowOut(Schema):
    id: int
    row_number: int
    status: str
    values: dict[str, str]
    reasons: list[ReasonOut]
    fixed_batch: int | None


def batch_out(b: ImportBatch, already_loaded: bool = False) -> dict:
    total = b.total or 0
    percent = 100 if b.status == "done" else int(100 * b.processed / total) if total else 0
    return {
        "id": b.pk,
        "resource": b.resource.code,
        "resource_name": b.resource.name,
        "department": b.department.code,
        "source": b.source,
        "filename": b.name,
        "encoding": b.encoding,
        "status": b.status,
        "error": b.error_message,
        "error_code": b.error_code,
        "total": b.total,
        "processed": b.processed,
        "percent": percent,
        "created": b.created,
        "updated": b.updated,
        "unchanged": b.unchanged,
        "quarantined": b.quarantined,
        "conflicts": b.conflicts,
        "already_loaded": already_loaded,
        "created_at": b.created_at,
        "finished_at": b.finished_at,
    }


def _checked(file: UploadedFile) -> UploadedFile:
    if file.size is not None and file.size > max_bytes():
        raise HttpError(
            413,
            _("文件过大（%(size)s 字节），上限为 %(max)s 字节。")
            % {"size": file.size, "max": max_bytes()},
        )
    return file


def _create(call, **kw):
    try:
        return call(**kw)
    except ValidationError as exc:
        if getattr(exc, "code", "") == "too_large":
            raise HttpError(413, exc.messages[0]) from None
        raise


def _visible(request):
    return access.batches(request.user).select_related("resource", "department")


@router.get("/batches", response=list[BatchOut])
@paginate(Pagination, page_size=50, max_page_size=200)
def list_batches(request, status: str = "", resource: str = ""):
    """归集批次 of the caller's departments, newest first."""
    require_scope(request, "read")
    require(request.user, "data.view")
    qs = _visible(request)
    if status:
        qs = qs.filter(status=status[:10])
    if resource:
        qs = qs.filter(resource__code=resource[:40])
    return [batch_out(b) for b in qs[:10000]]


@router.post("/batches", response={200: BatchOut, 202: BatchOut})
def upload(
    request,
    resource: Form[int],
    file: File[UploadedFile],
    mapping: Form[str] = "",
):
    """上传归集文件: the file is stored and the batch queued (202) — it is parsed by the
    background task, which checks it whole (format, encoding, required columns, parsing
    limits) before any row lands; a refused file ends the batch ``failed`` with its
    ``error`` and ``error_code``. The same file again → 200 with ``already_loaded``.
    Oversized → 413; empty or not a CSV, JSON or Excel file by its content → 422.
    ``resource`` is the resource id; ``mapping`` an optional JSON object of file column
    → item name."""
    require_scope(request, "write")
    require(request.user, "data.manage")
    target = pick(
        access.manageable_resources(request.user).filter(status=DataResource.Status.PUBLISHED),
        resource,
    )
    columns = None
    if mapping.strip():
        try:
            columns = json.loads(mapping)
        except ValueError:
            raise ValidationError(_("列映射不是有效的 JSON。"), code="mapping") from None
        if not isinstance(columns, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
        ):
            raise ValidationError(
                _('列映射应为 {"列名": "信息项名称"} 形式的对象。'), code="mapping"
            )
    batch, existed = _create(
        do_create_batch,
        actor=request.user,
        resource=target,
        file=_checked(file),
        columns=columns,
    )
    if existed and batch.status == ImportBatch.Status.DONE:
        return Status(200, batch_out(batch, already_loaded=True))
    enqueue_batch(batch)
    return Status(202, batch_out(batch, already_loaded=existed))


@router.get("/batches/{batch_id}", response=BatchOut)
def get_batch(request, batch_id: int):
    """批次状态与进度 (poll while ``status`` is pending or running)."""
    require_scope(request, "read")
    require(request.user, "data.view")
    return batch_out(pick(_visible(request), batch_id))


@router.get("/batches/{batch_id}/bad-rows", response=list[BadRowOut])
@paginate(Pagination, page_size=100, max_page_size=500)
def bad_rows(request, batch_id: int, status: str = ""):
    """问题数据 of a batch with their reasons (the loading department's stewards only)."""
    require_scope(request, "read")
    require(request.user, "data.manage")
    batch = pick(access.manageable_batches(request.user), batch_id)
    qs = QuarantinedRow.objects.filter(batch=batch).order_by("row_number")
    if status:
        qs = qs.filter(status=status[:8])
    out = []
    rows = [(q, json_value(q.values, {})) for q in qs[:10000]]
    kinds = column_kinds(batch, {k for _q, values in rows for k in values})
    for q, values in rows:
        values = masked_row(kinds, values)  # personal columns masked for everyone
        out.append(
            {
                "id": q.pk,
                "row_number": q.row_number,
                "status": q.status,
                "values": {
                    k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                    for k, v in values.items()
                },
                "reasons": [
                    {
                        "field": r.get("field", ""),
                        "code": r.get("code", ""),
                        "message": r.get("message", ""),
                    }
                    for r in q.reasons
                ],
                "fixed_batch": q.fixed_batch_id,
            }
        )
    return out


@router.post("/batches/{batch_id}/resubmit", response={200: BatchOut, 202: BatchOut})
def resubmit(request, batch_id: int, file: File[UploadedFile]):
    """重新提交问题数据: a corrected file (keep the 行号 column) becomes a new batch."""
    require_scope(request, "write")
    require(request.user, "data.manage")
    batch = pick(access.manageable_batches(request.user), batch_id)
    new, existed = _create(
        do_resubmit,
        actor=request.user,
        batch=batch,
        file=_checked(file),
    )
    if existed and new.status == ImportBatch.Status.DONE:
        return Status(200, batch_out(new, already_loaded=True))
    enqueue_batch(new)
    return Status(202, batch_out(new, already_loaded=existed))
