"""数据归集 pages: upload a file into a resource, follow its progress, read its quality
report, download / fix / re-submit the problem rows."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from yiwang.core.access import pick, require
from yiwang.core.errors import status_of
from yiwang.core.fields import json_value
from yiwang.core.forms import add_errors
from yiwang.data import access, quality
from yiwang.data.actions.ingest import (
    do_create_batch,
    do_export_bad_rows,
    do_fix_row,
    do_resubmit,
    enqueue_batch,
    max_bytes,
)
from yiwang.data.forms import RowFixForm
from yiwang.data.ingest.mapping import ROW_NUMBER
from yiwang.data.models import DataResource, ImportBatch, QuarantinedRow

PAGE_SIZE = 30


def loadable_resources(user):
    """Published registry resources the user's department provides."""
    return (
        access.manageable_resources(user)
        .filter(status=DataResource.Status.PUBLISHED)
        .exclude(registry="")
        .select_related("provider")
        .order_by("code")
    )


class UploadForm(forms.Form):
    """归集文件: resource, file, optional column mapping."""

    resource = forms.ModelChoiceField(
        label=_lazy("数据资源"), queryset=DataResource.objects.none(), empty_label=None
    )
    file = forms.FileField(
        label=_lazy("数据文件（CSV、Excel 或 JSON）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.json"}),
    )
    mapping = forms.CharField(
        label=_lazy("列映射（可选，JSON：文件列名 → 信息项名称）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": '{"身份证": "公民身份号码"}'}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource"].queryset = loadable_resources(user)

    def clean_mapping(self) -> dict:
        text = self.cleaned_data.get("mapping", "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("列映射不是有效的 JSON。")) from None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise forms.ValidationError(_('列映射应为 {"列名": "信息项名称"} 形式的对象。'))
        return value

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > max_bytes():
            raise forms.ValidationError(
                _("文件过大（%(size)s 字节），上限为 %(max)s 字节。")
                % {"size": f.size, "max": max_bytes()},
                code="too_large",
            )
        return f


class ResubmitForm(forms.Form):
    file = forms.FileField(label=_lazy("修正后的问题数据文件"))


def _status_for(exc: ValidationError) -> int:
    return {"too_large": 413, "bad_type": 415}.get(getattr(exc, "code", ""), 422)


@login_required
def batches(request: HttpRequest) -> HttpResponse:
    """归集批次 list and the upload form (POST: store the file and create the batch; the
    file is parsed and loaded by the background task, never in this request)."""
    require(request.user, "data.view")
    form = UploadForm(user=request.user)
    status = 200
    if request.method == "POST":
        require(request.user, "data.manage")
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                batch, existed = do_create_batch(
                    actor=request.user,
                    resource=form.cleaned_data["resource"],
                    file=form.cleaned_data["file"],
                    columns=form.cleaned_data["mapping"],
                )
            except ValidationError as exc:
                form.add_error("file", exc.messages[0])
                status = _status_for(exc)
            else:
                if existed and batch.status == ImportBatch.Status.DONE:
                    messages.info(
                        request, _("该文件已归集过（批次 #%(n)s），数据未变化。") % {"n": batch.pk}
                    )
                else:
                    enqueue_batch(batch)
                return redirect("data:batch", batch.pk)
        else:
            too_large = any(e.code == "too_large" for e in form.errors.as_data().get("file", []))
            status = 413 if too_large else 400
    qs = access.batches(request.user).select_related("resource", "department")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "data/ingest/batches.html",
        {"form": form, "page": page, "query": "", "max_mb": max_bytes() // 1024**2},
        status=status,
    )


def _batch(request, pk: int) -> ImportBatch:
    return pick(access.batches(request.user).select_related("resource", "department"), pk)


def _progress_context(batch: ImportBatch) -> dict:
    total = batch.total or 0
    percent = 100 if batch.status == "done" else int(100 * batch.processed / total) if total else 0
    return {
        "batch": batch,
        "percent": percent,
        "running": batch.status in ("pending", "running"),
        # queued, or its file still being checked whole (the row count is not known yet)
        "checking": batch.status in ("pending", "running") and batch.total is None,
    }


@login_required
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    """批次详情与质量报告: progress while running; counts, per-rule results, a chart and the
    problem rows when done."""
    require(request.user, "data.view")
    b = _batch(request, pk)
    results = list(b.quality.select_related("rule").order_by("rule__code"))
    rows = QuarantinedRow.objects.filter(batch=b).order_by("row_number")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_fix = access.manageable_batches(request.user).filter(pk=b.pk).exists()
    chart = {
        "rules": [r.rule.name for r in results if r.checked],
        "scores": [r.score for r in results if r.checked],
        "split": [
            {"name": _("新增"), "value": b.created},
            {"name": _("更新"), "value": b.updated},
            {"name": _("未变化"), "value": b.unchanged},
            {"name": _("问题数据"), "value": b.quarantined},
        ],
    }
    origin = (b.mapping or {}).get("origin")
    return render(
        request,
        "data/ingest/batch.html",
        {
            **_progress_context(b),
            "results": results,
            "score": quality.score_of(results),
            "page": page,
            "query": "",
            "can_fix": can_fix and b.status == "done",
            "chart": chart,
            "origin": origin,
            "resubmit_form": ResubmitForm(),
            "fixes": ImportBatch.objects.filter(
                source=ImportBatch.Source.RESUBMIT, mapping__origin=b.pk
            ).order_by("id")
            if b.source != ImportBatch.Source.RESUBMIT
            else [],
        },
    )


@login_required
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment htmx polls; when the batch ends the page reloads to the report."""
    require(request.user, "data.view")
    b = _batch(request, pk)
    response = render(request, "data/ingest/_progress.html", _progress_context(b))
    if b.status in ("done", "failed") and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
def bad_rows_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """下载问题数据 (CSV or XLSX, with the reasons column), for fixing and re-submitting."""
    require(request.user, "data.manage")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    b = pick(access.manageable_batches(request.user), pk)
    data, content_type = do_export_bad_rows(actor=request.user, batch=b, fmt=fmt)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="batch-{b.pk}-bad-rows.{fmt}"'
    return response


@login_required
@require_POST
def batch_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    """重新提交: a corrected file of the problem rows becomes a new batch run in the background."""
    require(request.user, "data.manage")
    b = pick(access.manageable_batches(request.user), pk)
    form = ResubmitForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择修正后的文件。"))
        return redirect("data:batch", b.pk)
    f = form.cleaned_data["file"]
    if f.size > max_bytes():
        messages.error(request, _("文件过大。"))
        return redirect("data:batch", b.pk)
    try:
        new, existed = do_resubmit(actor=request.user, batch=b, file=f)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        return redirect("data:batch", b.pk)
    if not existed:
        enqueue_batch(new)
    return redirect("data:batch", new.pk)


@login_required
def bad_row(request: HttpRequest, pk: int, row_id: int) -> HttpResponse:
    """修正一行问题数据 in the page: edit its values and re-submit it."""
    require(request.user, "data.manage")
    b = pick(access.manageable_batches(request.user), pk)
    row = QuarantinedRow.objects.filter(batch=b, pk=row_id).first()
    if row is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    values = {k: v for k, v in json_value(row.values, {}).items() if k != "__extra__"}
    values.pop(ROW_NUMBER, None)
    columns = list(values)
    status = 200
    if request.method == "POST":
        form = RowFixForm(request.POST, columns=columns)
        status = 400
        if form.is_valid():
            try:
                row = do_fix_row(actor=request.user, row=row, values=form.values())
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                if row.status == QuarantinedRow.Status.FIXED:
                    messages.success(request, _("第 %(n)s 行已修正入库。") % {"n": row.row_number})
                    return redirect("data:batch", b.pk)
                form.add_reasons(row.reasons)  # still refused by the checks
                status = 422
    else:
        initial = {f"col-{i}": "" if v is None else str(v) for i, v in enumerate(values.values())}
        form = RowFixForm(initial=initial, columns=columns)
    return render(
        request, "data/ingest/row.html", {"batch": b, "row": row, "form": form}, status=status
    )


urlpatterns = [
    path("ingest/", batches, name="batches"),
    path("ingest/<int:pk>/", batch, name="batch"),
    path("ingest/<int:pk>/progress/", batch_progress, name="batch-progress"),
    path("ingest/<int:pk>/bad-rows.<str:fmt>", bad_rows_download, name="batch-bad-rows"),
    path("ingest/<int:pk>/resubmit/", batch_resubmit, name="batch-resubmit"),
    path("ingest/<int:pk>/rows/<int:row_id>/", bad_row, name="bad-row"),
]
