"""问题数据脱敏: the problem rows of an import batch leave the platform as CSV, XLSX or API
JSON; columns filling a data element graded personal are masked for everyone — a data
steward, a steward who also holds ``personal.unmask``, the 大数据局 — while the other
columns and the reasons stay as loaded."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from yiwang.core.masking import mask_value
from yiwang.data.models import DataElement, ImportBatch
from yiwang.data.tests.ingest_helpers import HEADER, encode, mixed_rows

pytestmark = pytest.mark.django_db
API = "/api/v1/data"
# Column → its masking kind, as the seeded data elements grade them.
KINDS = {"公民身份号码": "id_number", "姓名": "name", "出生日期": "date", "联系电话": "mobile"}


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def loaded(client, steward, data_city, django_capture_on_commit_callbacks):
    """A person batch with problem rows, loaded by the city police's data steward;
    returns (batch, the problem rows as uploaded keyed by row number)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    user = steward("public_security")
    client.force_login(user)
    rows, bad, _ps = mixed_rows()
    filename, data = encode("csv-utf8", HEADER, rows)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("data:batches"),
            {
                "resource": data_city.resource("person").pk,
                "file": SimpleUploadedFile(filename, data),
            },
        )
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == "done" and batch.quarantined == len(bad)
    client.logout()
    return batch, {n: dict(zip(HEADER, rows[n - 1], strict=True)) for n in bad}


@pytest.fixture
def downloaders(steward, make_staff, city):
    """Who may download the problem rows: the steward, a steward also holding
    ``personal.unmask``, and the city's bureau_admin."""
    from yiwang.core.actions.users import do_create_staff

    return {
        "steward": steward("public_security"),
        "steward_unmask": do_create_staff(
            actor=None,
            username="steward_unmask",
            full_name="测试人员",
            org_unit=city.unit("410800", "public_security"),
            roles=["data_steward", "approver"],
            password="Jz-test-pass-2026",
            validate=False,
        ),
        "bureau_admin": make_staff("bureau_admin", "410800", "big_data"),
    }


def _tables(client, batch) -> dict[str, list[dict]]:
    """The problem rows through each surface, as {surface: [{column: value}]}; a surface
    the user may not reach is left out."""
    out: dict[str, list[dict]] = {}
    got = client.get(reverse("data:batch-bad-rows", args=[batch.pk, "csv"]))
    if got.status_code == 200:
        table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
        out["csv"] = [dict(zip(table[0], r, strict=True)) for r in table[1:]]
    got = client.get(reverse("data:batch-bad-rows", args=[batch.pk, "xlsx"]))
    if got.status_code == 200:
        sheet = load_workbook(io.BytesIO(got.content)).active
        assert sheet is not None
        values = [
            [c if c is not None else "" for c in r] for r in sheet.iter_rows(values_only=True)
        ]
        out["xlsx"] = [dict(zip(values[0], r, strict=True)) for r in values[1:]]
    got = client.get(f"{API}/ingest/batches/{batch.pk}/bad-rows")
    if got.status_code == 200:
        out["api"] = [{"行号": str(x["row_number"]), **x["values"]} for x in got.json()["items"]]
    return out


def test_elements_declare_how_they_are_masked(data_city):
    kinds = {e.name: e.mask_kind() for e in DataElement.objects.all()}
    assert {name: kinds[name] for name in KINDS} == KINDS
    assert kinds["住址"] == "address" and kinds["民族"] == "secret"
    assert kinds["行政区划代码"] is None and kinds["统一社会信用代码"] is None


@pytest.mark.parametrize("who", ["steward", "steward_unmask", "bureau_admin"])
def test_problem_rows_are_masked_on_every_export(client, loaded, downloaders, who):
    batch, uploaded = loaded
    client.force_login(downloaders[who])
    tables = _tables(client, batch)
    assert "csv" in tables and "xlsx" in tables and "api" in tables, (who, list(tables))
    for surface, rows in tables.items():
        assert len(rows) == len(uploaded), surface
        for row in rows:
            original = uploaded[int(row["行号"])]
            for column, value in original.items():
                kind = KINDS.get(column)
                shown = str(row[column]).lstrip("'")
                if kind is None or not value:
                    assert shown == value, (surface, column)
                    continue
                assert shown == mask_value(kind, value), (surface, column)
                if len(value) > 2:
                    assert value not in shown, (surface, column)
