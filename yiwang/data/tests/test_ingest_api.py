"""归集 and 数据质量 API: upload (202, then 200 for the same file), status, bad rows,
re-submit, quality report and census; bad input gets the right status codes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.data.models import ImportBatch, Person
from yiwang.data.tests.ingest_helpers import HEADER, encode, fixed_rows, mixed_rows

pytestmark = pytest.mark.django_db

API = "/api/v1/data"


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def post_file(client, url, name, data, capture, **fields):
    with capture(execute=True):
        return client.post(url, {"file": SimpleUploadedFile(name, data), **fields})


def test_upload_status_bad_rows_resubmit_quality_census(
    client, steward, data_city, django_capture_on_commit_callbacks
):
    client.force_login(steward("public_security"))
    resource = data_city.resource("person")
    rows, bad, ps = mixed_rows()
    name, data = encode("xlsx", HEADER, rows)
    r = post_file(
        client,
        f"{API}/ingest/batches",
        name,
        data,
        django_capture_on_commit_callbacks,
        resource=resource.pk,
    )
    assert r.status_code == 202, r.content
    batch_id = r.json()["id"]
    status = client.get(f"{API}/ingest/batches/{batch_id}").json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["quarantined"] == len(bad) and status["created"] == 6
    again = post_file(
        client,
        f"{API}/ingest/batches",
        name,
        data,
        django_capture_on_commit_callbacks,
        resource=resource.pk,
    )
    assert again.status_code == 200 and again.json()["already_loaded"] is True
    listed = client.get(f"{API}/ingest/batches").json()
    assert listed["count"] == 1

    got = client.get(f"{API}/ingest/batches/{batch_id}/bad-rows").json()
    assert got["count"] == len(bad)
    codes = {row["row_number"]: {x["code"] for x in row["reasons"]} for row in got["items"]}
    assert all(code in codes[n] for n, code in bad.items())
    assert got["items"][0]["values"]["公民身份号码"]

    q = client.get(f"{API}/quality/batches/{batch_id}").json()
    rules = {x["rule"]: x for x in q["results"]}
    assert rules["QR-UNIQ-KEY"]["failed"] == 1 and 0 < q["score"] < 100

    fname, fdata = encode("csv-utf8", ["行号", *HEADER], fixed_rows(bad, ps))
    r = post_file(
        client,
        f"{API}/ingest/batches/{batch_id}/resubmit",
        fname,
        fdata,
        django_capture_on_commit_callbacks,
    )
    assert r.status_code == 202 and r.json()["source"] == "resubmit"
    assert Person.objects.count() == 6 + len(bad)
    left = client.get(f"{API}/ingest/batches/{batch_id}/bad-rows?status=open").json()
    assert left["count"] == 0

    census = client.get(f"{API}/quality/census").json()
    assert [d["department"] for d in census] == ["410800-public_security"]
    person = next(x for x in census[0]["resources"] if x["code"] == resource.code)
    assert person["rows"] == 6 + len(bad) and person["freshness"] == "fresh"
    assert person["score"] is not None
    assert client.get(f"{API}/quality/rules").status_code == 200


def test_bad_input_status_codes(
    client, steward, data_city, settings, django_capture_on_commit_callbacks
):
    client.force_login(steward("public_security"))
    resource = data_city.resource("person")
    url = f"{API}/ingest/batches"
    cap = django_capture_on_commit_callbacks
    rows, _bad, _ps = mixed_rows()
    missing = encode("csv-utf8", HEADER[1:], [r[1:] for r in rows])[1]
    # Refused by the background task: queued (202), then failed with its message.
    r = post_file(client, url, "m.csv", missing, cap, resource=resource.pk)
    assert r.status_code == 202, r.content
    got = client.get(f"{API}/ingest/batches/{r.json()['id']}").json()
    assert got["status"] == "failed" and got["error_code"] == "missing_columns"
    assert "缺少必需的列" in got["error"]
    r = post_file(client, url, "e.csv", b"\xff\xfe\xfa\xfb\x81\x30\x81", cap, resource=resource.pk)
    assert r.status_code == 202
    got = client.get(f"{API}/ingest/batches/{r.json()['id']}").json()
    assert got["status"] == "failed" and got["error_code"] == "encoding"
    got = client.get(f"{API}/ingest/batches/{r.json()['id']}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "encoding" in got["error"] and "编码" not in got["error"]
    # Refused by the upload check, before anything is stored.
    stored = ImportBatch.objects.count()
    r = post_file(client, url, "n.csv", "a,b\n".encode("utf-16"), cap, resource=resource.pk)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["code"] == "bad_type"
    r = post_file(client, url, "m.csv", missing, cap, resource=resource.pk, mapping="{oops")
    assert r.status_code == 422
    r = post_file(client, url, "m.csv", missing, cap, resource=999999)
    assert r.status_code == 404
    r = post_file(
        client, url, "m.csv", missing, cap, resource=data_city.resource("legal_entity").pk
    )
    assert r.status_code == 404  # another department's resource
    settings.YIWANG = {**settings.YIWANG, "DATA_IMPORT_MAX_BYTES": 10}
    r = post_file(client, url, "m.csv", missing, cap, resource=resource.pk)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert ImportBatch.objects.count() == stored
    assert client.get(f"{API}/ingest/batches/12345").status_code == 404
    client.logout()
    assert client.get(f"{API}/ingest/batches").status_code == 401
