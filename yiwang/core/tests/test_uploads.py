"""上传文件 through the pages: one check (type by content, size), SM3 digest of the
content, SM4 encryption at rest, and the read back only for those allowed."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.core import uploads
from yiwang.core.actions.workflow import do_start_case
from yiwang.core.crypto import sm3_hex
from yiwang.core.models import AuditEntry, CaseAttachment

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n" + "营业执照 统一社会信用代码".encode() * 8
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def staff(make_staff):
    class S:
        clerk = make_staff("window_clerk", "410823", "market")
        other = make_staff("window_clerk", "410822", "market")

    return S


@pytest.fixture
def case(city, staff, citizen):
    return do_start_case(
        actor=staff.clerk,
        workflow_code="generic_approval",
        title="上传测试",
        division=city.wuzhi,
        department=city.department("410823", "market"),
        applicant=citizen,
    )


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def attach(client, case, upload):
    return client.post(f"/cases/{case.pk}/", {"op": "attach", "file": upload})


def test_bytes_that_lie_about_their_type_are_refused_and_nothing_is_stored(
    client, staff, case, media
):
    client.force_login(staff.clerk)
    # A PNG sent as a PDF (name and content type both say PDF): the bytes decide.
    r = attach(client, case, SimpleUploadedFile("执照.pdf", PNG, content_type="application/pdf"))
    assert r.status_code == 415 and "不支持的文件类型" in r.content.decode()
    # A program with a harmless name and content type.
    exe = SimpleUploadedFile("说明.txt", b"MZ\x90\x00\x03\x00\x00\x00", content_type="text/plain")
    assert attach(client, case, exe).status_code == 415
    assert not CaseAttachment.objects.exists() and stored_files(media) == []


def test_oversize_is_refused_with_nothing_stored(client, staff, case, media, settings):
    settings.YIWANG_MAX_UPLOAD_BYTES = len(PDF) - 1
    client.force_login(staff.clerk)
    r = attach(client, case, SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"))
    assert r.status_code == 413 and "文件过大" in r.content.decode()
    assert not CaseAttachment.objects.exists() and stored_files(media) == []


def test_stored_encrypted_with_the_sm3_of_the_content_and_read_back_only_by_those_allowed(
    client, staff, case, media
):
    client.force_login(staff.clerk)
    r = attach(client, case, SimpleUploadedFile("执照.pdf", PDF, content_type="image/png"))
    assert r.status_code == 302
    att = CaseAttachment.objects.get()
    # Type from the bytes, not from the client; digest of the content.
    assert (att.content_type, att.size, att.sm3) == ("application/pdf", len(PDF), sm3_hex(PDF))
    assert att.key_version is not None
    [on_disk] = stored_files(media)
    raw = on_disk.read_bytes()
    assert raw != PDF and b"%PDF" not in raw and "营业执照".encode() not in raw
    assert "执照" not in on_disk.name  # the user's file name is not the storage name

    url = f"/cases/{case.pk}/attachments/{att.pk}/"
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert r["Content-Type"] == "application/pdf" and r["X-Content-Type-Options"] == "nosniff"
    assert AuditEntry.objects.filter(action="core.case.attachment_open").count() == 1
    client.force_login(staff.other)
    assert client.get(url).status_code == 404
    assert AuditEntry.objects.filter(action="core.case.attachment_open").count() == 1


def test_swapped_ciphertext_is_refused_not_served(client, staff, case, media):
    client.force_login(staff.clerk)
    attach(client, case, SimpleUploadedFile("a.pdf", PDF))
    attach(client, case, SimpleUploadedFile("b.png", PNG))
    a, b = CaseAttachment.objects.order_by("pk")
    Path(a.file.path).write_bytes(Path(b.file.path).read_bytes())
    r = client.get(f"/cases/{case.pk}/attachments/{a.pk}/")
    assert r.status_code == 409 and "SM3" in r.content.decode()


def test_a_legacy_clear_file_is_read_and_still_checked(client, staff, case, media):
    """Files stored before encryption at rest (key_version NULL) are read as they are,
    against the digest taken then."""
    att = CaseAttachment(
        case=case, name="旧附件.pdf", size=len(PDF), content_type="application/pdf"
    )
    att.sm3, att.uploaded_by = sm3_hex(PDF), staff.clerk
    att.file.save("old.pdf", ContentFile(PDF), save=False)
    att.save()
    client.force_login(staff.clerk)
    url = f"/cases/{case.pk}/attachments/{att.pk}/"
    assert b"".join(client.get(url).streaming_content) == PDF
    Path(att.file.path).write_bytes(PDF + b"x")
    assert client.get(url).status_code == 409


def _zip(member: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(member, "<x/>")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.pdf", PDF, "application/pdf"),
        ("a.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg"),
        ("a.ofd", _zip("OFD.xml"), "application/ofd"),
        ("a.docx", _zip("word/document.xml"), "document"),
        ("a.xlsx", _zip("xl/workbook.xml"), "sheet"),
        ("说明.txt", "情况说明".encode(), "text/plain"),
        ("no-ending", PNG, "image/png"),
    ],
)
def test_the_type_is_read_from_the_content(name, data, expected, settings):
    checked = uploads.check_upload(SimpleUploadedFile(name, data, content_type="x/y"))
    assert checked.content_type.endswith(expected) and checked.sm3 == sm3_hex(data)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.ofd", _zip("word/document.xml")),  # a Word package named .ofd
        ("a.zip", _zip("x.txt")),  # a ZIP that is none of ours
        ("a.txt", "GBK 文本".encode("gbk")),  # text must be UTF-8
        ("a.png", PDF),  # the ending names another type
    ],
)
def test_refused_types(name, data, settings):
    with pytest.raises(ValidationError) as err:
        uploads.check_upload(SimpleUploadedFile(name, data))
    assert err.value.code == "bad_type"


def test_a_room_narrows_the_types_and_names_them(settings):
    with pytest.raises(ValidationError) as err:
        uploads.check_upload(SimpleUploadedFile("a.pdf", PDF), allowed={"image/png"}, label="照片")
    assert err.value.code == "bad_type" and "「照片」须为 PNG 文件" in err.value.messages[0]
    with pytest.raises(ValidationError) as err:
        uploads.check_upload(SimpleUploadedFile("a.pdf", b""))
    assert err.value.code == "empty"


def test_reencrypt_brings_legacy_clear_files_under_the_active_key(staff, case, media):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    def legacy(name: str, data: bytes, digest: str) -> CaseAttachment:
        att = CaseAttachment(case=case, name=name, size=len(data), content_type="application/pdf")
        att.sm3, att.uploaded_by = digest, staff.clerk
        att.file.save(name, ContentFile(data), save=False)
        att.save()
        return att

    good = legacy("good.pdf", PDF, sm3_hex(PDF))
    bad = legacy("bad.pdf", PDF + b"changed", sm3_hex(PDF))
    clear_path = Path(good.file.path)
    out = StringIO()
    with pytest.raises(CommandError):  # the changed file is reported, not re-encrypted
        call_command("uploads", "reencrypt", stdout=out)
    assert "core.CaseAttachment：重新加密 1" in out.getvalue()
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.key_version is not None and not clear_path.exists()
    assert b"%PDF" not in Path(good.file.path).read_bytes()
    assert uploads.read_verified(good) == (PDF, True)
    assert bad.key_version is None and Path(bad.file.path).read_bytes() == PDF + b"changed"
    assert AuditEntry.objects.filter(action="core.uploads.reencrypt").exists()
