"""解析限额: hostile import files (a workbook declaring millions of shared strings, zip
bombs, JSON nested 100,000 deep, a 10 MB CSV line) are refused quickly, with a message
naming the limit on their batch, never a 500; the upload request only stores the file
(encrypted, mode 0600) and queues the batch — parsing is the background task's work."""

from __future__ import annotations

import datetime as dt
import io
import stat
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.data.actions.ingest import do_create_batch, do_process_batch
from yiwang.data.ingest.readers import read_table
from yiwang.data.models import ImportBatch, Person
from yiwang.data.tests.ingest_helpers import HEADER, as_csv, people, person_row

pytestmark = pytest.mark.django_db

API = "/api/v1/data/ingest/batches"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
QUICK = 5.0  # seconds: each hostile file is refused well within this

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE


@pytest.fixture
def task_runs():
    """(status, seconds) of each task the immediate backend ran: the worker's time on a
    file, apart from the request's first-time warm-up."""
    from django_tasks.signals import task_finished

    runs: list[tuple[str, float]] = []

    def finished(sender, task_result, **kwargs):
        seconds = (task_result.finished_at - task_result.started_at).total_seconds()
        runs.append((str(task_result.status), seconds))

    task_finished.connect(finished)
    yield runs
    task_finished.disconnect(finished)


# --- building workbooks by hand (the parts a hostile file controls) ---


def _parts(sheet: bytes, strings: bytes | None = None, styles: bytes | None = None) -> dict:
    rels = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    if strings is not None:
        rels += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    if styles is not None:
        rels += f'<Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/>'
    parts = {
        "_rels/.rels": (
            f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="人口" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ).encode(),
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">{rels}</Relationships>'.encode(),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if strings is not None:
        parts["xl/sharedStrings.xml"] = strings
    if styles is not None:
        parts["xl/styles.xml"] = styles
    return parts


def zip_of(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A ZIP of already-deflated members (name, deflate stream, declared size, CRC):
    what it declares is whatever the caller says."""
    body, central = b"", b""
    for name, stream, size, crc in members:
        n = name.encode()
        offset = len(body)
        body += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(stream), size, len(n), 0
        )
        body += n + stream
        central += struct.pack(
            "<4s4B4HL2L5H2L",
            b"PK\x01\x02",
            20, 0, 20, 0, 0, 8, 0, 0, crc, len(stream), size, len(n), 0, 0, 0, 0, 0, offset,
        ) + n  # fmt: skip
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(body), 0
    )
    return body + central + end


def deflated(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def spaces_stream(total: int) -> bytes:
    """A raw deflate stream inflating to ``total`` spaces, built without compressing
    them all: one flushed 1 MiB block repeated, then an empty final block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(b" " * 2**20) + c.flush(zlib.Z_FULL_FLUSH)
    return block * (total // 2**20) + b"\x03\x00"


def sheet_xml(rows: list[list[str]]) -> bytes:
    out = [f'<worksheet xmlns="{MAIN}"><sheetData>']
    for r, row in enumerate(rows, start=1):
        out.append(f'<row r="{r}">')
        for c, value in enumerate(row):
            out.append(f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{value}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out).encode()


# --- the hostile files ---


def shared_strings_bomb() -> tuple[str, bytes]:
    """~170 KB: a sharedStrings.xml declaring and holding 4,000,000 strings."""
    count = 4_000_000
    strings = (
        f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'.encode()
        + b"<si><t>x</t></si>" * count
        + b"</sst>"
    )
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    return "bomb.xlsx", zip_of(_parts(sheet.encode(), strings))


def declared_size_bomb() -> tuple[str, bytes]:
    """A worksheet member whose central directory declares 3 GB decompressed."""
    sheet = sheet_xml([HEADER])
    members = [(n, deflated(d), len(d), zlib.crc32(d)) for n, d in _parts(b"").items()]
    members = [m for m in members if m[0] != "xl/worksheets/sheet1.xml"]
    members.append(("xl/worksheets/sheet1.xml", deflated(sheet), 3_000_000_000, 0))
    return "declared.xlsx", raw_zip(members)


def inflating_bomb() -> tuple[str, bytes]:
    """A worksheet member declaring 1 MB that inflates to 1 GB (of XML whitespace)."""
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH) + spaces_stream(2**30)
    members = [(n, deflated(d), len(d), zlib.crc32(d)) for n, d in _parts(b"").items()]
    members = [m for m in members if m[0] != "xl/worksheets/sheet1.xml"]
    members.append(("xl/worksheets/sheet1.xml", stream, 2**20, 0))
    return "inflating.xlsx", raw_zip(members)


def deep_json() -> tuple[str, bytes]:
    return "deep.json", b"[" * 100_000 + b"]" * 100_000


def long_csv_line() -> tuple[str, bytes]:
    rows = [person_row(p) for p in people(2)]
    return "long.csv", as_csv(HEADER, rows) + b"a" * (10 * 1024**2) + b"\r\n"


HOSTILE = {
    "shared_strings": (
        shared_strings_bomb,
        "limit_shared_strings",
        "DATA_IMPORT_MAX_SHARED_STRINGS",
    ),
    "declared_size": (declared_size_bomb, "limit_unzipped", "DATA_IMPORT_MAX_UNZIPPED_BYTES"),
    "inflating": (inflating_bomb, "malformed", "xl/worksheets/sheet1.xml"),
    "deep_json": (deep_json, "limit_json_depth", "DATA_IMPORT_MAX_JSON_DEPTH"),
    "long_line": (long_csv_line, "limit_line", "DATA_IMPORT_MAX_LINE_CHARS"),
}


def test_the_hostile_files_are_small():
    """What an attacker sends is small: the cost is all in the parsing."""
    sizes = {name: len(build()[1]) for name, (build, _c, _t) in HOSTILE.items()}
    assert sizes["shared_strings"] < 400_000 and sizes["inflating"] < 2_000_000
    assert sizes["deep_json"] == 200_000


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_refused_quickly_on_its_batch_through_the_page(
    client, steward, data_city, django_capture_on_commit_callbacks, task_runs, name
):
    build, code, words = HOSTILE[name]
    filename, data = build()
    client.force_login(steward("public_security"))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("data:batches"),
            {
                "resource": data_city.resource("person").pk,
                "file": SimpleUploadedFile(filename, data),
            },
        )
    assert r.status_code == 302, r.content[:500]
    batch = ImportBatch.objects.get()
    assert batch.status == "failed" and batch.error_code == code, batch.error
    [(status, seconds)] = task_runs
    assert status.endswith("SUCCESSFUL") and seconds < QUICK, (status, seconds)
    page = client.get(r.url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="alert" id="batch-error"' in html and words in html
    assert not Person.objects.exists()
    english = client.get(r.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert words in english and batch.error not in english  # the message, in English


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_refused_quickly_on_its_batch_through_the_api(
    client, steward, data_city, django_capture_on_commit_callbacks, task_runs, name
):
    build, code, words = HOSTILE[name]
    filename, data = build()
    client.force_login(steward("public_security"))
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            API,
            {
                "resource": data_city.resource("person").pk,
                "file": SimpleUploadedFile(filename, data),
            },
        )
    assert r.status_code == 202, r.content[:500]
    [(status, seconds)] = task_runs
    assert status.endswith("SUCCESSFUL") and seconds < QUICK, (status, seconds)
    got = client.get(f"{API}/{r.json()['id']}").json()
    assert got["status"] == "failed" and got["error_code"] == code
    assert words in got["error"] and got["processed"] == 0


def test_upload_returns_before_parsing_and_the_task_does_the_work(
    client, steward, data_city, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The request stores the file and queues the batch; not one byte of it is parsed
    until the task runs (here: a queue no worker drains, then the worker's turn)."""
    from django_tasks import task_backends

    from yiwang.data.ingest import pipeline
    from yiwang.data.tasks import process_batch

    settings.TASKS = DUMMY
    client.force_login(steward("public_security"))
    resource = data_city.resource("person")
    parsed = []
    real_open = pipeline.open_table
    monkeypatch.setattr(
        pipeline, "open_table", lambda *a, **k: parsed.append(1) or real_open(*a, **k)
    )
    filename, bomb = shared_strings_bomb()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("data:batches"),
            {"resource": resource.pk, "file": SimpleUploadedFile(filename, bomb)},
        )
        api = client.post(
            API,
            {
                "resource": resource.pk,
                "file": SimpleUploadedFile(
                    "good.csv", as_csv(HEADER, [person_row(p) for p in people(3)])
                ),
            },
        )
    assert time.monotonic() - started < QUICK
    assert page.status_code == 302 and api.status_code == 202
    assert api.json()["status"] == "pending" and api.json()["total"] is None
    assert not parsed and not Person.objects.exists()
    queued = [r.args[0] for r in task_backends["default"].results]
    batches = list(ImportBatch.objects.order_by("id"))
    assert queued == [b.pk for b in batches] and {b.status for b in batches} == {"pending"}
    waiting = client.get(page.url).content.decode()
    assert "等待后台处理" in waiting and 'hx-trigger="every 1s"' in waiting

    # The worker's turn.
    assert process_batch.call(batches[0].pk) == "failed"
    assert process_batch.call(batches[1].pk) == "done"
    assert parsed and Person.objects.count() == 3
    assert "DATA_IMPORT_MAX_SHARED_STRINGS" in client.get(page.url).content.decode()


def test_stored_file_is_encrypted_with_mode_0600_and_not_served(
    client, steward, data_city, django_capture_on_commit_callbacks
):
    client.force_login(steward("public_security"))
    data = as_csv(HEADER, [person_row(p) for p in people(3)])
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            reverse("data:batches"),
            {
                "resource": data_city.resource("person").pk,
                "file": SimpleUploadedFile("p.csv", data),
            },
        )
    assert r.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == "done"  # read back (decrypted) by the task
    path = Path(batch.file.path)
    raw = path.read_bytes()
    assert (
        raw != data
        and HEADER[0].encode() not in raw
        and people(1)[0]["id_number"].encode() not in raw
    )
    assert batch.key_version is not None and batch.file.name.endswith(".csv.sm4")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # No URL serves the stored bytes: not to the steward, not without login.
    assert client.get(f"/media/{batch.file.name}").status_code == 404
    client.logout()
    assert client.get(f"/media/{batch.file.name}").status_code == 404
    page = client.get(reverse("data:batch", args=[batch.pk]))
    assert page.status_code == 302 and "login" in page.url


def test_media_is_not_served_even_with_debug(settings):
    import importlib

    from django.urls import Resolver404, clear_url_caches, resolve
    from django.views.static import serve

    import yiwang.urls

    settings.DEBUG = True
    try:
        importlib.reload(yiwang.urls)
        clear_url_caches()
        try:
            match = resolve("/media/ingest/2026/03/x.csv.sm4", urlconf=yiwang.urls)
        except Resolver404:
            match = None
        assert match is None or match.func is not serve
    finally:
        settings.DEBUG = False
        importlib.reload(yiwang.urls)
        clear_url_caches()


# --- each limit, at a small setting, and its message ---


def _refusal(data_city, filename: str, data: bytes):
    batch, _existed = do_create_batch(
        actor=None, resource=data_city.resource("person"), filename=filename, data=data
    )
    started = time.monotonic()
    batch = do_process_batch(actor=None, batch=batch)
    assert time.monotonic() - started < QUICK
    assert batch.status == "failed"
    return batch


@pytest.mark.parametrize(
    ("setting", "value", "filename", "data", "code"),
    [
        (
            "DATA_IMPORT_MAX_ROWS",
            3,
            "r.csv",
            lambda: as_csv(HEADER, [person_row(p) for p in people(4)]),
            "limit_rows",
        ),
        ("DATA_IMPORT_MAX_COLUMNS", 5, "c.csv", lambda: as_csv(HEADER, []), "limit_columns"),
        (
            "DATA_IMPORT_MAX_CELL_CHARS",
            10,
            "l.csv",
            lambda: as_csv(HEADER, [person_row(people(1)[0])]),
            "limit_cell",
        ),
        (
            "DATA_IMPORT_MAX_LINE_CHARS",
            40,
            "x.csv",
            lambda: as_csv(HEADER, [person_row(people(1)[0])]),
            "limit_line",
        ),
        ("DATA_IMPORT_MAX_JSON_DEPTH", 2, "d.json", lambda: b'[{"a": [1]}]', "limit_json_depth"),
        ("DATA_IMPORT_MAX_ROWS", 1, "r.json", lambda: b'[{"a": 1}, {"a": 2}]', "limit_rows"),
        (
            "DATA_IMPORT_MAX_COLUMNS",
            2,
            "c.json",
            lambda: b'[{"a": 1, "b": 2, "c": 3}]',
            "limit_columns",
        ),
        (
            "DATA_IMPORT_MAX_ROWS",
            1,
            "r.xlsx",
            lambda: zip_of(_parts(sheet_xml([HEADER, HEADER, HEADER]))),
            "limit_rows",
        ),
        (
            "DATA_IMPORT_MAX_COLUMNS",
            5,
            "c.xlsx",
            lambda: zip_of(_parts(sheet_xml([HEADER]))),
            "limit_columns",
        ),
        (
            "DATA_IMPORT_MAX_CELL_CHARS",
            3,
            "l.xlsx",
            lambda: zip_of(_parts(sheet_xml([HEADER]))),
            "limit_cell",
        ),
        (
            "DATA_IMPORT_MAX_UNZIPPED_BYTES",
            100,
            "u.xlsx",
            lambda: zip_of(_parts(sheet_xml([HEADER]))),
            "limit_unzipped",
        ),
        (
            "DATA_IMPORT_MAX_ZIP_MEMBERS",
            3,
            "m.xlsx",
            lambda: zip_of(_parts(sheet_xml([HEADER]))),
            "limit_zip_members",
        ),
    ],
)
def test_each_limit_is_a_setting_and_its_message_names_it(
    data_city, settings, setting, value, filename, data, code
):
    settings.YIWANG = {**settings.YIWANG, setting: value}
    batch = _refusal(data_city, filename, data())
    assert batch.error_code == code, batch.error
    assert setting in batch.error and f"{value}" in batch.error
    assert setting in batch.error_texts["en"] and batch.error_texts["en"] != batch.error


def test_shared_strings_are_counted_when_not_declared(data_city, settings):
    """A part that declares no count (or a false one) is stopped as it is read."""
    settings.YIWANG = {**settings.YIWANG, "DATA_IMPORT_MAX_SHARED_STRINGS": 10_000}
    strings = (
        f'<sst xmlns="{MAIN}" count="1">'.encode() + b"<si><t>x</t></si>" * 4_000_000 + b"</sst>"
    )
    sheet = sheet_xml([HEADER])
    batch = _refusal(data_city, "s.xlsx", zip_of(_parts(sheet, strings)))
    assert batch.error_code == "limit_shared_strings"
    settings.YIWANG = {**settings.YIWANG, "DATA_IMPORT_MAX_SHARED_CHARS": 1000}
    strings = f'<sst xmlns="{MAIN}">'.encode() + b"<si><t>" + b"x" * 5000 + b"</t></si></sst>"
    batch = _refusal(data_city, "t.xlsx", zip_of(_parts(sheet, strings)))
    assert batch.error_code == "limit_shared_chars"


def test_json_beyond_the_parsers_recursion_is_still_the_depth_refusal(data_city, settings):
    """Were the depth limit set past what the parser can recurse, its RecursionError is
    still turned into the limit's refusal, not a 500."""
    settings.YIWANG = {**settings.YIWANG, "DATA_IMPORT_MAX_JSON_DEPTH": 1_000_000}
    _name, data = deep_json()
    batch = _refusal(data_city, "deep.json", data)
    assert batch.error_code == "limit_json_depth"


def test_a_dtd_in_a_workbook_part_is_refused(data_city):
    sheet = (
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa">]>'
        + f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'.encode()
    )
    batch = _refusal(data_city, "dtd.xlsx", zip_of(_parts(sheet)))
    assert batch.error_code == "malformed" and "文档类型" in batch.error


def test_excel_workbook_with_shared_strings_and_date_formats_loads(data_city):
    """What Excel writes (shared strings, rich text runs, a date-formatted serial
    number, phonetic runs) reads as openpyxl would have read it."""
    ps = people(2)
    strings = [*HEADER]
    cells = []
    for r, p in enumerate(ps, start=2):
        row = person_row(p)
        serial = (dt.date.fromisoformat(row[3]) - dt.date(1899, 12, 30)).days
        parts = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if c == 3:
                parts.append(f'<c r="{ref}" s="1"><v>{serial}</v></c>')
            elif c == 2:
                parts.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                strings.append(value)
                parts.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
        cells.append(f'<row r="{r}">{"".join(parts)}</row>')
    head = "".join(f'<c r="{chr(65 + i)}1" t="s"><v>{i}</v></c>' for i in range(len(HEADER)))
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{head}</row>{"".join(cells)}</sheetData></worksheet>'
    si = [f"<si><t>{s}</t></si>" for s in strings]
    si[1] = "<si><r><t>姓</t></r><r><t>名</t></r><rPh><t>xing ming</t></rPh></si>"
    sst = f'<sst xmlns="{MAIN}" count="{len(si)}" uniqueCount="{len(si)}">{"".join(si)}</sst>'
    styles = (
        f'<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/>'
        '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
    )
    data = zip_of(_parts(sheet.encode(), sst.encode(), styles.encode()))
    table = read_table(data, "xlsx")
    assert table.columns == HEADER
    got = list(table.rows)
    assert got[0][1]["出生日期"] == ps[0]["birth_date"].isoformat()
    assert got[1][1]["性别"] == ("1" if ps[1]["sex"] == "M" else "2")
    batch, _ = do_create_batch(
        actor=None, resource=data_city.resource("person"), filename="excel.xlsx", data=data
    )
    batch = do_process_batch(actor=None, batch=batch)
    assert batch.status == "done" and batch.created == 2 and batch.encoding == "xlsx"
