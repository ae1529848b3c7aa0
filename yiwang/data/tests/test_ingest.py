"""归集: mixed good and bad rows in every format, quarantine with reasons, re-submission
of the fixed rows, idempotent re-runs, bad input refused before any row is touched."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from yiwang.core.fields import index_for
from yiwang.data.actions.ingest import do_create_batch, do_process_batch, do_resubmit
from yiwang.data.models import ImportBatch, Person, QualityResult, QuarantinedRow
from yiwang.data.tests.ingest_helpers import GOOD, HEADER, encode, fixed_rows, mixed_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def load(resource, filename, data, actor=None, **kw):
    batch, existed = do_create_batch(
        actor=actor, resource=resource, filename=filename, data=data, **kw
    )
    return do_process_batch(actor=actor, batch=batch, chunk_size=4), existed


@pytest.mark.parametrize("fmt", ["csv-utf8", "csv-gbk", "xlsx", "json"])
def test_mixed_file_lands_good_rows_keeps_bad_and_fixes_complete_the_set(data_city, fmt):
    resource = data_city.resource("person")
    rows, bad, ps = mixed_rows()
    filename, data = encode(fmt, HEADER, rows)
    batch, existed = load(resource, filename, data)
    assert not existed and batch.status == "done"
    if fmt == "csv-gbk":
        assert batch.encoding == "gbk"
    assert (batch.created, batch.quarantined, batch.processed) == (GOOD, len(bad), len(rows))
    assert Person.objects.count() == GOOD
    kept = {q.row_number: q for q in QuarantinedRow.objects.filter(batch=batch)}
    assert set(kept) == set(bad)
    for n, code in bad.items():
        assert code in {r["code"] for r in kept[n].reasons}, (n, kept[n].reasons)
        assert all(r["message"] for r in kept[n].reasons)
    results = {r.rule.code: r for r in QualityResult.objects.filter(batch=batch)}
    assert results["QR-UNIQ-KEY"].failed == 1
    assert results["QR-CONS-BIRTH"].failed == 1
    assert results["QR-VALID-STANDARD"].failed == 2  # checksum, mobile

    # Re-running the same file changes nothing.
    again, existed = load(resource, filename, data)
    assert existed and again.pk == batch.pk
    assert Person.objects.count() == GOOD

    # The corrected rows, re-submitted, land and the problem rows are marked fixed.
    fixes = fixed_rows(bad, ps)
    fname, fdata = encode(fmt, ["行号", *HEADER], fixes)
    new, _ = do_resubmit(actor=None, batch=batch, filename=fname, data=fdata)
    new = do_process_batch(actor=None, batch=new)
    assert new.source == "resubmit" and new.created == len(bad) and new.quarantined == 0
    assert Person.objects.count() == GOOD + len(bad)
    assert not QuarantinedRow.objects.filter(batch=batch, status="open").exists()
    assert QuarantinedRow.objects.filter(
        batch=batch, status="fixed", fixed_batch=new
    ).count() == len(bad)


def test_rerun_of_changed_bytes_with_same_rows_changes_nothing(data_city):
    resource = data_city.resource("person")
    rows, _bad, _ps = mixed_rows()
    load(resource, "a.csv", encode("csv-utf8", HEADER, rows)[1])
    versions = sorted(Person.objects.values_list("version", flat=True))
    second, existed = load(resource, "a.json", encode("json", HEADER, rows)[1])
    assert not existed
    assert (second.created, second.updated, second.unchanged) == (0, 0, GOOD)
    assert sorted(Person.objects.values_list("version", flat=True)) == versions


def test_missing_required_column_refused_before_any_row(data_city):
    resource = data_city.resource("person")
    rows, _bad, _ps = mixed_rows()
    data = encode("csv-utf8", HEADER[1:], [r[1:] for r in rows])[1]
    batch, _existed = do_create_batch(actor=None, resource=resource, filename="x.csv", data=data)
    assert batch.status == "pending" and batch.total is None  # stored, not parsed
    batch = do_process_batch(actor=None, batch=batch)
    assert batch.status == "failed" and batch.error_code == "missing_columns"
    assert "公民身份号码" in batch.error and batch.processed == 0
    assert not Person.objects.exists()


def test_explicit_mapping_and_element_names(data_city):
    resource = data_city.resource("person")
    rows, _bad, _ps = mixed_rows()
    header = ["身份证", "xm", *HEADER[2:]]
    data = encode("csv-utf8", header, rows[:GOOD])[1]
    batch, _ = load(resource, "m.csv", data, columns={"身份证": "公民身份号码", "xm": "姓名"})
    assert batch.created == GOOD
    p = rows[0]
    person = Person.objects.get(id_number_index=index_for(Person, "id_number", p[0]))
    assert person.name == p[1] and person.division_id == p[4]


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        ("bad.json", b'[{"a": 1}, ', "malformed"),
        ("bad.json", b'{"items": []}', "json_shape"),
        ("bad.xlsx", b"PK\x03\x04not really a zip", "malformed"),
        ("bad.csv", b"\xff\xfe\xfa\xfb\x81\x30\x81", "encoding"),
    ],
)
def test_bad_files_get_clear_errors_on_their_batch(data_city, filename, data, code):
    batch, _existed = do_create_batch(
        actor=None, resource=data_city.resource("person"), filename=filename, data=data
    )
    batch = do_process_batch(actor=None, batch=batch)
    assert batch.status == "failed" and batch.error_code == code
    assert batch.error and set(batch.error_texts) == {"zh-hans", "en"}
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("filename", "data", "code"),
    [
        ("bad.csv", b"", "empty"),
        ("bad.csv", "公民身份号码,姓名\n".encode("utf-16"), "bad_type"),  # NUL bytes
        ("bad.xlsx", "公民身份号码,姓名\n".encode(), "bad_type"),  # text named .xlsx
        ("bad.csv", b"%PDF-1.7 not a table", "bad_type"),
    ],
)
def test_upload_check_refuses_empty_and_wrong_type_before_storing(data_city, filename, data, code):
    with pytest.raises(ValidationError) as err:
        do_create_batch(
            actor=None, resource=data_city.resource("person"), filename=filename, data=data
        )
    assert err.value.code == code and err.value.messages[0]
    assert not ImportBatch.objects.exists()


def test_oversized_file_refused(data_city, settings):
    settings.YIWANG = {**settings.YIWANG, "DATA_IMPORT_MAX_BYTES": 100}
    rows, _bad, _ps = mixed_rows()
    with pytest.raises(ValidationError) as err:
        do_create_batch(
            actor=None,
            resource=data_city.resource("person"),
            filename="big.csv",
            data=encode("csv-utf8", HEADER, rows)[1],
        )
    assert err.value.code == "too_large"


def test_bulk_path_writes_what_apply_rows_writes(data_city):
    """New keys take the bulk insert path: the stored row must equal apply_rows' row."""
    from django.db import transaction

    from yiwang.data.registry import REGISTRIES, apply_rows, derive
    from yiwang.data.tests.ingest_helpers import people, person_row

    resource = data_city.resource("person")
    a, b = people(2, seed=5)
    batch, _ = load(resource, "one.csv", encode("csv-utf8", HEADER, [person_row(a)])[1])
    row = dict(
        zip(
            ["id_number", "name", "gender", "birth_date", "division", "phone"],
            person_row(b),
            strict=True,
        )
    )
    import datetime as dt

    row["birth_date"] = dt.date.fromisoformat(row["birth_date"])
    with transaction.atomic():
        apply_rows(
            registry="person",
            rows=[derive("person", row)],
            resource=resource,
            department=resource.provider,
            batch=batch,
        )
    fast = Person.objects.get(id_number_index=index_for(Person, "id_number", a["id_number"]))
    slow = Person.objects.get(id_number_index=index_for(Person, "id_number", b["id_number"]))
    names = [f.attname for f in Person._meta.concrete_fields if f.attname not in ("id",)]
    for name in names:
        fv, sv = getattr(fast, name), getattr(slow, name)
        if name.endswith("_index"):
            source = name[: -len("_index")]
            assert fv == index_for(Person, source, getattr(fast, source)), name
            continue
        assert type(fv) is type(sv), name
    assert fast.name == a["full_name"] and fast.phone == a["phone"] and fast.version == 1
    assert fast.sources == {} and fast.batch_id == batch.pk and fast.birth_date == a["birth_date"]
    assert fast.gender == ("1" if a["sex"] == "M" else "2") and fast.address == ""
    assert REGISTRIES["person"].get(a["id_number"]) == fast
    # The stored form too: each blind index as its 16 bytes (NULL when empty), by the
    # bulk insert (executemany on SQLite, COPY on PostgreSQL) as by the ORM.
    from django.db import connection

    from yiwang.core.fields import BlindIndexField, index_bytes

    blind = [f for f in Person._meta.concrete_fields if isinstance(f, BlindIndexField)]
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, {', '.join(qn(f.column) for f in blind)} "
            f"FROM {qn(Person._meta.db_table)} WHERE id IN (%s, %s)",
            [fast.pk, slow.pk],
        )
        stored = {row[0]: row[1:] for row in cur.fetchall()}
    for record in (fast, slow):
        for f, value in zip(blind, stored[record.pk], strict=True):
            want = index_bytes(index_for(Person, f.source, getattr(record, f.source)))
            assert (bytes(value) if value is not None else None) == want, f.name
            assert want is None or len(want) == 16
    fast.phone = ""
    fast.save()
    assert not Person.objects.filter(pk=fast.pk, phone_index__isnull=False).exists()


def test_worker_pool_gives_the_same_result(data_city, settings):
    """Large batches check and encrypt in forked workers: same rows, reasons and counts."""
    settings.YIWANG = {
        **settings.YIWANG,
        "DATA_IMPORT_WORKERS": 2,
        "DATA_IMPORT_PARALLEL_MIN_ROWS": 1,
    }
    resource = data_city.resource("person")
    rows, bad, _ps = mixed_rows()
    batch, _ = load(resource, "p.csv", encode("csv-utf8", HEADER, rows * 1)[1])
    assert (batch.created, batch.quarantined) == (GOOD, len(bad))
    kept = {q.row_number: {r["code"] for r in q.reasons} for q in batch.bad_rows.all()}
    assert all(code in kept[n] for n, code in bad.items())
    results = {
        r.rule.code: (r.checked, r.failed) for r in QualityResult.objects.filter(batch=batch)
    }
    assert results["QR-UNIQ-KEY"] == (11, 1) and results["QR-CONS-BIRTH"][1] == 1
    assert Person.objects.count() == GOOD


def _counts(batch) -> dict[str, tuple[int, int]]:
    return {r.rule.code: (r.checked, r.failed) for r in QualityResult.objects.filter(batch=batch)}


def test_chunks_checked_ahead_count_and_word_what_one_chunk_does(data_city):
    """Chunk k+1 is checked and encrypted while chunk k is written: the rows, quality
    counts and reasons are those of a run in one chunk, and the reasons are worded in
    the language the run was started in."""
    from django.utils import translation

    resource = data_city.resource("person")
    rows, bad, _ps = mixed_rows()
    whole, _ = do_create_batch(
        actor=None, resource=resource, filename="a.csv", data=encode("csv-utf8", HEADER, rows)[1]
    )
    whole = do_process_batch(actor=None, batch=whole, chunk_size=1000)
    one = _counts(whole)
    Person.objects.all().delete()
    with translation.override("en"):
        chunked, _ = load(resource, "a.json", encode("json", HEADER, rows)[1])
    assert (chunked.created, chunked.quarantined) == (whole.created, whole.quarantined)
    assert _counts(chunked) == one
    assert one["QR-UNIQ-KEY"] == (11, 1) and one["QR-VALID-STANDARD"][1] == 2
    messages = {
        q.row_number: {r["code"]: r["message"] for r in q.reasons} for q in chunked.bad_rows.all()
    }
    assert set(messages) == set(bad)
    assert messages[7]["id_check"] == "The check character of the ID number is wrong."
    assert messages[8]["required"] == "A required item is empty."
    assert messages[10]["duplicate_key"] == "Duplicates the key of row 1."


def test_copy_confirms_foreign_keys_once_per_chunk(data_city):
    """On PostgreSQL new rows go in with COPY, their references (resource, department,
    batch, division) confirmed and locked once per chunk instead of by a trigger per
    row; a reference that is not there leaves the triggers on, and they refuse it."""
    from django.db import IntegrityError, connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from yiwang.core.models import Division
    from yiwang.data.ingest.fastpath import Inserter
    from yiwang.data.registry import REGISTRIES
    from yiwang.data.tests.ingest_helpers import people, person_row

    if connection.vendor != "postgresql":
        pytest.skip("COPY and foreign-key triggers are PostgreSQL's")
    resource = data_city.resource("person")
    first, a, b = people(3, seed=11)
    batch, _ = load(resource, "one.csv", encode("csv-utf8", HEADER, [person_row(first)])[1])
    inserter = Inserter("person")
    inserter.bind(resource=resource, department=resource.provider, batch=batch, now=timezone.now())
    known = Division.objects.get(code=a["division"])

    def rows(p: dict, division: str) -> list[tuple]:
        row = {"id_number": p["id_number"], "name": p["full_name"], "division": division}
        return [t for _key, t in inserter.prepare_many([row], inserter.allocate(1))]

    with (
        CaptureQueriesContext(connection) as sql,
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        inserter.insert(rows(a, known.code))
        assert any("= replica" in q["sql"] for q in sql.captured_queries)
        cur.execute("SHOW session_replication_role")
        assert cur.fetchone()[0] == "origin"  # only the COPY ran without the triggers
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert REGISTRIES["person"].get(a["id_number"]).division_id == known.code
    with (
        CaptureQueriesContext(connection) as sql,
        pytest.raises(IntegrityError),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        inserter.insert(rows(b, "419999"))
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not any("= replica" in q["sql"] for q in sql.captured_queries)
    assert REGISTRIES["person"].get(b["id_number"]) is None


def test_source_file_is_kept_encrypted_with_its_sm3_and_a_changed_file_fails_the_run(
    data_city,
):
    from pathlib import Path

    from yiwang.core.crypto import sm3_hex

    resource = data_city.resource("person")
    rows, _bad, _ps = mixed_rows()
    filename, data = encode("csv-utf8", HEADER, rows)
    batch, _existed = do_create_batch(actor=None, resource=resource, filename=filename, data=data)
    assert (batch.name, batch.sm3, batch.size) == (filename, sm3_hex(data), len(data))
    raw = Path(batch.file.path).read_bytes()
    assert batch.key_version is not None and raw != data and HEADER[0].encode() not in raw
    # The stored ciphertext is altered before the run: refused, nothing loaded.
    Path(batch.file.path).write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    batch = do_process_batch(actor=None, batch=batch)
    assert batch.status == "failed" and "SM3" in batch.error
    assert Person.objects.count() == 0
