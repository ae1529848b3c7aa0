"""归集 and 数据质量 pages: upload, progress, quality report, bad rows download, fix a
row in the page, re-submit, census — and scoping."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from yiwang.data.models import ImportBatch, Person, QuarantinedRow
from yiwang.data.tests.ingest_helpers import HEADER, encode, mixed_rows, people, person_row

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE


@pytest.fixture
def police(client, steward):
    user = steward("public_security")
    client.force_login(user)
    return user


def upload(client, data_city, filename, data, django_capture_on_commit_callbacks, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            reverse("data:batches"),
            {
                "resource": data_city.resource("person").pk,
                "file": SimpleUploadedFile(filename, data),
                **extra,
            },
        )


def test_upload_page_runs_batch_and_shows_report(
    client, police, data_city, django_capture_on_commit_callbacks
):
    rows, bad, _ps = mixed_rows()
    filename, data = encode("csv-gbk", HEADER, rows)
    page = client.get(reverse("data:batches"))
    assert page.status_code == 200 and "上传并归集" in page.content.decode()
    response = upload(client, data_city, filename, data, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert response.url == reverse("data:batch", args=[batch.pk])
    assert batch.status == "done" and batch.quarantined == len(bad)
    report = client.get(response.url).content.decode()
    assert 'role="progressbar"' in report and f'aria-valuenow="{len(rows)}"' in report
    assert "质量报告" in report and "身份证号码校验位不正确" in report
    assert "出生日期与公民身份号码一致" in report
    progress = client.get(reverse("data:batch-progress", args=[batch.pk]), HTTP_HX_REQUEST="true")
    assert progress["HX-Refresh"] == "true"

    # The same file again: told it is already loaded, nothing new.
    again = upload(client, data_city, filename, data, django_capture_on_commit_callbacks)
    assert again.status_code == 302 and ImportBatch.objects.count() == 1

    # Bad rows download as CSV and XLSX with a reasons column.
    got = client.get(reverse("data:batch-bad-rows", args=[batch.pk, "csv"]))
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert table[0][0] == "行号" and table[0][-1] == "问题原因"
    assert sorted(int(r[0]) for r in table[1:]) == sorted(bad)
    xlsx = client.get(reverse("data:batch-bad-rows", args=[batch.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == len(bad) + 1 and sheet.cell(1, sheet.max_column).value == "问题原因"

    # Fix one row in the page.
    row = QuarantinedRow.objects.get(batch=batch, row_number=next(iter(bad)))
    form = client.get(reverse("data:bad-row", args=[batch.pk, row.pk]))
    assert form.status_code == 200 and "校验位" in form.content.decode()
    fixed = person_row(_ps[row.row_number - 1])
    post = {f"col-{i}": v for i, v in enumerate(fixed)}
    done = client.post(reverse("data:bad-row", args=[batch.pk, row.pk]), post)
    assert done.status_code == 302
    row.refresh_from_db()
    assert row.status == "fixed" and Person.objects.count() == 7

    # Still wrong: stays open with fresh reasons, 422.
    other = QuarantinedRow.objects.filter(batch=batch, status="open").first()
    still = client.post(reverse("data:bad-row", args=[batch.pk, other.pk]), {"col-0": "123"})
    page = still.content.decode()
    assert still.status_code == 422 and 'id="error-summary"' in page
    assert 'id="col-0-error"' in page and 'value="123"' in page
    long = client.post(
        reverse("data:bad-row", args=[batch.pk, other.pk]), {"col-0": "1" * 501, "col-1": "张三"}
    )
    page = long.content.decode()
    assert long.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#col-0">' in page and 'id="col-0-error"' in page
    assert 'value="' + "1" * 501 + '"' in page and 'value="张三"' in page
    other.refresh_from_db()
    assert other.status == "open"

    # Re-submit the downloaded file after correcting it (the original values, fixed).
    header = table[0][:-1]
    fixes = []
    for r in table[1:]:
        n = int(r[0])
        if n == row.row_number:
            continue
        p = _ps[n - 1] if bad[n] != "duplicate_key" else people(1, seed=99)[0]
        fixes.append([str(n), *person_row(p)])
    _name, fdata = encode("csv-utf8", header, fixes)
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            reverse("data:batch-resubmit", args=[batch.pk]),
            {"file": SimpleUploadedFile("fixed.csv", fdata)},
        )
    assert resp.status_code == 302
    assert not QuarantinedRow.objects.filter(batch=batch, status="open").exists()
    assert Person.objects.count() == 6 + len(bad)


def test_bad_upload_errors_and_status_codes(
    client, police, data_city, settings, django_capture_on_commit_callbacks
):
    rows, _bad, _ps = mixed_rows()
    missing = encode("csv-utf8", HEADER[1:], [r[1:] for r in rows])[1]
    # Parsed by the background task: the upload goes to the batch, which shows why.
    r = upload(client, data_city, "m.csv", missing, django_capture_on_commit_callbacks)
    assert r.status_code == 302
    page = client.get(r.url).content.decode()
    assert 'id="batch-error"' in page and "缺少必需的列" in page
    r = upload(client, data_city, "m.json", b"{not json", django_capture_on_commit_callbacks)
    assert r.status_code == 302
    page = client.get(r.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "JSON" in page and 'id="batch-error"' in page
    stored = ImportBatch.objects.count()
    # Refused by the upload check (type by content, size), nothing stored.
    r = upload(client, data_city, "m.csv", b"%PDF-1.7", django_capture_on_commit_callbacks)
    assert r.status_code == 415 and 'id="error-summary"' in r.content.decode()
    settings.YIWANG = {**settings.YIWANG, "DATA_IMPORT_MAX_BYTES": 50}
    r = upload(client, data_city, "big.csv", b"x" * 100, django_capture_on_commit_callbacks)
    assert r.status_code == 413 and "文件过大" in r.content.decode()
    assert ImportBatch.objects.count() == stored


def test_other_department_cannot_see_or_fix_batches(
    client, police, steward, data_city, django_capture_on_commit_callbacks
):
    rows, _bad, _ps = mixed_rows()
    upload(
        client,
        data_city,
        "a.csv",
        encode("csv-utf8", HEADER, rows)[1],
        django_capture_on_commit_callbacks,
    )
    batch = ImportBatch.objects.get()
    client.force_login(steward("market"))
    assert client.get(reverse("data:batch", args=[batch.pk])).status_code == 404
    assert client.get(reverse("data:batch-bad-rows", args=[batch.pk, "csv"])).status_code == 404
    # and cannot upload into a resource it does not provide
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = client.post(
        reverse("data:batches"),
        {"resource": data_city.resource("person").pk, "file": SimpleUploadedFile("a.csv", b"x")},
    )
    assert r.status_code == 400 and ImportBatch.objects.count() == 1


def test_census_and_quality_pages(
    client, police, steward, make_staff, data_city, django_capture_on_commit_callbacks
):
    rows, _bad, _ps = mixed_rows()
    upload(
        client,
        data_city,
        "a.csv",
        encode("csv-utf8", HEADER, rows)[1],
        django_capture_on_commit_callbacks,
    )
    page = client.get(reverse("data:census")).content.decode()
    assert "数据资源普查" in page and "人口基本信息" in page and "按期更新" in page
    assert "市场主体登记信息" not in page  # another department's resource
    client.force_login(make_staff("bureau_admin", "410800", "big_data"))
    page = client.get(reverse("data:census")).content.decode()
    assert "人口基本信息" in page and "市场主体登记信息" in page and "从未归集" in page
    q = client.get(reverse("data:quality")).content.decode()
    assert "QR-CONS-BIRTH" in q and "近期批次质量得分" in q
