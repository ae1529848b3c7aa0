"""归集 actions: create an import batch from a file or a pulled source, run it (chunked,
resumable), re-submit corrected problem rows, fix one row, configure pull sources."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from yiwang.core import uploads
from yiwang.core.audit import record
from yiwang.core.fields import json_value
from yiwang.core.uploads import CheckedUpload
from yiwang.data import access
from yiwang.data.actions.quality import ensure_default_rules
from yiwang.data.ingest import mapping as colmap
from yiwang.data.ingest import pipeline
from yiwang.data.ingest.pipeline import FORMAT_TYPES
from yiwang.data.ingest.readers import sniff_table
from yiwang.data.models import DataResource, ImportBatch, PullSource, QuarantinedRow
from yiwang.data.queries.problem_rows import column_kinds, masked_row
from yiwang.data.registry import REGISTRIES


def max_bytes() -> int:
    return int(settings.YIWANG.get("DATA_IMPORT_MAX_BYTES", 200 * 1024**2))


def _check_resource(actor, resource: DataResource) -> None:
    access.require_ingest(actor, resource)
    if resource.status != DataResource.Status.PUBLISHED:
        raise ValidationError(_("只能向已发布的数据资源归集数据。"), code="not_published")
    if not resource.registry:
        raise ValidationError(_("该数据资源没有对应的基础库，不能归集。"), code="no_registry")
    if resource.registry not in REGISTRIES:  # 自定义名册: written through its own API
        raise ValidationError(
            _("自定义名册的记录通过名册接口写入，不能按文件归集。"), code="defined_registry"
        )


def _too_large(size: int) -> ValidationError:
    return ValidationError(
        _("文件过大（%(size)s 字节），上限为 %(max)s 字节。") % {"size": size, "max": max_bytes()},
        code="too_large",
    )


def check_import_file(uploaded_file) -> CheckedUpload:
    """The upload check for a data file (归集文件), through ``core.uploads.check_upload``:
    read within ``DATA_IMPORT_MAX_BYTES`` (413 ``too_large``), not empty, and a CSV,
    JSON or Excel workbook by its content and name ending (415 ``bad_type``). Nothing
    is parsed here: that is the background task's work, within the parsing limits."""
    return uploads.check_upload(
        uploaded_file,
        allowed=FORMAT_TYPES.values(),
        max_bytes=max_bytes(),
        own_limit=True,
        sniffer=sniff_table,
        refused=_(
            "不支持的文件类型：数据文件须为 CSV、Excel（.xlsx）或 JSON 文件（按文件内容检查）。"
        ),
    )


def do_create_batch(
    *,
    actor,
    resource: DataResource,
    filename: str = "",
    data: bytes | None = None,
    file=None,
    source: str = "",
    columns: dict[str, str] | None = None,
    records_path: str = "",
    origin: ImportBatch | None = None,
) -> tuple[ImportBatch, bool]:
    """创建归集批次: check the upload (size, type by content — ``check_import_file``),
    store it (a stored file: SM4 encrypted at rest, SM3 digest, mode 0600) and create the
    batch, pending; return (batch, already_loaded). ``file`` is an uploaded file, or
    ``data`` the bytes and ``filename`` their name. Nothing is parsed in the caller's
    request: the batch's task checks the whole file (``pipeline.check_file``) before any
    row lands. The same bytes (same SM3) for the same resource find the earlier batch
    instead of loading twice."""
    _check_resource(actor, resource)
    ensure_default_rules()
    if file is None:
        if data is not None and len(data) > max_bytes():
            raise _too_large(len(data))
        file = ContentFile(data or b"", name=filename or "upload")
    upload = check_import_file(file)
    filename = filename or upload.name
    fmt = next(f for f, ct in FORMAT_TYPES.items() if ct == upload.content_type)
    existing = (
        ImportBatch.objects.filter(resource__code=resource.code, sm3=upload.sm3)
        .exclude(status=ImportBatch.Status.FAILED)
        .order_by("id")
        .first()
    )
    if existing is not None:
        return existing, True
    options: dict[str, Any] = {}
    if columns:
        options["columns"] = columns
    if records_path:
        options["records_path"] = records_path
    if origin is not None:
        options["origin"] = origin.pk
        options.setdefault("columns", (origin.mapping or {}).get("columns", {}))
    with transaction.atomic():
        batch = ImportBatch(
            resource=resource,
            department=resource.provider,
            source=source or fmt,
            mapping=options,
            created_by=actor,
        )
        uploads.store(batch, upload, name=filename[:200], ending=f".{fmt}")
        batch.save()
        record(
            actor=actor,
            action="data.ingest.create",
            obj=batch,
            purpose=_("数据归集"),
            change={
                "resource": resource.code,
                "file": filename[:200],
                "bytes": upload.size,
                "sm3": upload.sm3,
            },
        )
    return batch, False


def _texts(exc: ValidationError) -> dict[str, str]:
    """A refusal's message in every language of the site."""
    out = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out[code] = str(exc.messages[0])[:1000]
    return out


def _failed(actor, batch: ImportBatch, message: str, code: str, texts: dict[str, str]) -> None:
    """Mark ``batch`` failed (失败) with why, and audit it."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.FAILED,
        error=message[:1000],
        error_code=code[:40],
        error_texts=texts,
    )
    record(
        actor=actor,
        action="data.ingest.fail",
        obj=batch,
        purpose=_("数据归集"),
        change={"error": message[:200], "code": code[:40]},
    )


def do_process_batch(
    *, actor, batch: ImportBatch, chunk_size: int | None = None, progress=None, throttle=0.0
) -> ImportBatch:
    """执行归集: run or resume ``batch`` to the end in chunked transactions — the first
    run checks the whole file first; an error marks it failed with the message (in every
    language, with its code) and keeps what was committed (a re-run resumes)."""
    if batch.status == ImportBatch.Status.DONE:
        return batch
    try:
        batch = pipeline.process(batch, chunk_size=chunk_size, progress=progress, throttle=throttle)
    except pipeline.Interrupted:
        batch.refresh_from_db()
        return batch
    except ValidationError as exc:  # a refused file: recorded on the batch
        code = getattr(exc, "code", None) or "invalid"
        _failed(actor, batch, str(exc.messages[0]), code, _texts(exc))
        batch.refresh_from_db()
        return batch
    except Exception as exc:  # recorded on the batch (committed chunks stay), then raised
        _failed(actor, batch, type(exc).__name__, "error", {})
        raise
    record(
        actor=actor,
        action="data.ingest.done",
        obj=batch,
        purpose=_("数据归集"),
        change={
            k: getattr(batch, k)
            for k in ("processed", "created", "updated", "unchanged", "quarantined", "conflicts")
        },
    )
    return batch


def enqueue_batch(batch: ImportBatch) -> None:
    """Process ``batch`` in the background once the current transaction commits."""
    from yiwang.data.tasks import process_batch

    transaction.on_commit(lambda: process_batch.enqueue(batch.pk))


def do_resubmit(
    *, actor, batch: ImportBatch, filename: str = "", data: bytes | None = None, file=None
) -> tuple[ImportBatch, bool]:
    """重新提交问题数据: a corrected file of ``batch``'s problem rows (its 行号 column
    names the original rows) becomes a new batch; rows that pass land and are marked fixed."""
    if batch.source == ImportBatch.Source.RESUBMIT:
        origin = ImportBatch.objects.get(pk=(batch.mapping or {}).get("origin", batch.pk))
    else:
        origin = batch
    return do_create_batch(
        actor=actor,
        resource=origin.resource,
        filename=filename,
        data=data,
        file=file,
        source=ImportBatch.Source.RESUBMIT,
        origin=origin,
    )


def do_fix_row(*, actor, row: QuarantinedRow, values: dict[str, str]) -> QuarantinedRow:
    """修正一行问题数据: re-check the edited row and, if it passes, land it (status fixed);
    otherwise its reasons are refreshed."""
    if row.status != QuarantinedRow.Status.OPEN:
        raise ValidationError(_("该行已修正入库。"), code="already_fixed")
    payload = {colmap.ROW_NUMBER: str(row.row_number), **{k: str(v) for k, v in values.items()}}
    data = json.dumps([payload], ensure_ascii=False).encode()
    new, _existed = do_resubmit(
        actor=actor, batch=row.batch, filename=f"row-{row.row_number}.json", data=data
    )
    do_process_batch(actor=actor, batch=new)
    row.refresh_from_db()
    return row


def do_create_pull_source(
    *,
    actor,
    resource: DataResource,
    url: str,
    records_path: str = "",
    headers: dict[str, str] | None = None,
    columns: dict[str, str] | None = None,
    interval_minutes: int = 1440,
) -> PullSource:
    """配置接口归集源: an HTTP JSON endpoint pulled into ``resource`` on a schedule."""
    _check_resource(actor, resource)
    if not url.startswith(("http://", "https://")):
        raise ValidationError(_("接口地址应以 http:// 或 https:// 开头。"), code="url")
    with transaction.atomic():
        source = PullSource.objects.create(
            resource=resource,
            department=resource.provider,
            url=url,
            records_path=records_path,
            headers=json.dumps(headers or {}, ensure_ascii=False),
            mapping=columns or {},
            interval_minutes=max(1, interval_minutes),
        )
        record(
            actor=actor,
            action="data.ingest.pull_source",
            obj=source,
            purpose=_("配置接口归集"),
            change={"resource": resource.code, "url": url, "interval": source.interval_minutes},
        )
    return source


def do_pull(*, actor, source: PullSource, client=None) -> ImportBatch | None:
    """接口拉取: fetch the source's JSON, load it as a batch and run it; errors are kept
    on the source. The same payload as last time changes nothing."""
    import httpx

    now = timezone.now()
    batch = None
    error = ""
    try:
        http = client or httpx.Client(timeout=30.0, follow_redirects=False)
        try:
            headers = json_value(source.headers, {})
            data = _pulled(http, source.url, headers)
        finally:
            if client is None:
                http.close()
        batch, _existed = do_create_batch(
            actor=actor,
            resource=source.resource,
            filename=f"pull-{source.pk}.json",
            data=data,
            source=ImportBatch.Source.PULL,
            columns=source.mapping or None,
            records_path=source.records_path,
        )
        batch = do_process_batch(actor=actor, batch=batch)
        error = batch.error
    except ValidationError as exc:
        error = exc.messages[0]
    except httpx.HTTPError as exc:
        error = _("接口请求失败：%(e)s") % {"e": type(exc).__name__}
    PullSource.objects.filter(pk=source.pk).update(
        last_run_at=now, last_batch=batch, last_error=error[:1000]
    )
    record(
        actor=actor,
        action="data.ingest.pull",
        obj=source,
        purpose=_("接口拉取"),
        change={"batch": batch.pk if batch else None, "error": error[:200]},
    )
    source.refresh_from_db()
    return batch


def _pulled(http, url: str, headers: dict) -> bytes:
    """The body of a pull, read as it streams in and refused (``too_large``) as soon as
    it passes ``DATA_IMPORT_MAX_BYTES``."""
    with http.stream("GET", url, headers=headers) as response:
        if response.status_code != 200:
            raise ValidationError(
                _("接口返回状态 %(s)s。") % {"s": response.status_code}, code="pull_status"
            )
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes():
                raise _too_large(size)
            chunks.append(chunk)
    return b"".join(chunks)


def due_sources(now=None) -> list[PullSource]:
    """Enabled pull sources whose interval has passed since their last run."""
    now = now or timezone.now()
    out = []
    for s in PullSource.objects.filter(enabled=True).select_related("resource"):
        if (
            s.last_run_at is None
            or (now - s.last_run_at).total_seconds() >= s.interval_minutes * 60
        ):
            out.append(s)
    return out


def bad_row_table(batch: ImportBatch, status: str = "open") -> tuple[list[str], list[list[str]]]:
    """Header and rows of a batch's problem rows: 行号, the original columns, 问题原因 —
    personal columns masked for everyone (an export leaves the platform; the ledger
    cannot follow it), so a corrected file re-enters those values in full."""
    qs = QuarantinedRow.objects.filter(batch=batch).order_by("row_number")
    if status:
        qs = qs.filter(status=status)
    columns: list[str] = []
    records = []
    for q in qs.iterator(chunk_size=2000):
        values = json_value(q.values, {})
        for k in values:
            if k not in columns and k not in (colmap.ROW_NUMBER, "__extra__"):
                columns.append(k)
        records.append((q, values))
    kinds = column_kinds(batch, columns)
    rows = []
    for q, values in records:
        why = "；".join(
            f"{r.get('field') or '-'}：{r.get('message', '')}（{r.get('code', '')}）"
            for r in q.reasons
        )
        shown = masked_row(kinds, values)
        rows.append([str(q.row_number), *[_cell(shown.get(c, "")) for c in columns], why])
    return [colmap.ROW_NUMBER, *columns, colmap.REASONS], rows


def _cell(value) -> str:
    """A value for a spreadsheet cell, never read as a formula (CSV/Excel injection)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return "'" + text if text[:1] in ("=", "+", "@", "\t", "\r") else text


def do_export_bad_rows(*, actor, batch: ImportBatch, fmt: str) -> tuple[bytes, str]:
    """下载问题数据: the open problem rows as CSV (UTF-8 with BOM, opens in Excel) or XLSX
    with a reasons column; the export is audited since rows may be personal."""
    import csv
    import io

    header, rows = bad_row_table(batch)
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("问题数据"))
        sheet.append(header)
        for r in rows:
            sheet.append(r)
        buf = io.BytesIO()
        book.save(buf)
        data, content_type = (
            buf.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(rows)
        data, content_type = text.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    record(
        actor=actor,
        action="data.ingest.export_bad_rows",
        obj=batch,
        purpose=_("下载问题数据以修正"),
        change={"rows": len(rows), "format": fmt},
    )
    return data, content_type
