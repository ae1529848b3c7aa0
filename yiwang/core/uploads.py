"""上传文件: the one check and the one store for files users upload, whichever room keeps
them (案件附件, 工单附件, 申请材料).

- ``check_upload`` reads the upload within the size limit (``YIWANG_MAX_UPLOAD_BYTES``
  unless the room passes a smaller one) and decides its type from its leading bytes
  (magic bytes): neither the file name nor the client's content type is trusted, and a
  name ending that names another type is refused (an .exe renamed .pdf, a PNG named .pdf).
- ``store`` puts the checked bytes on a ``StoredFile`` row encrypted at rest with SM4-GCM
  under the active key version (加密存储), with the SM3 digest of the clear content.
- ``read_verified`` decrypts and checks the SM3 digest (完整性校验); ``download`` answers
  the bytes as an attachment. The room checks access first and reads through
  ``yiwang.core.actions.uploads.do_open_upload``, which logs the read and refuses a
  file that no longer matches.
"""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core import crypto
from yiwang.core.keys import keyring, sm4_key

# Associated data bound into every stored file's SM4-GCM tag: a file's ciphertext does
# not open as anything else (an encrypted personal-data column, say).
FILE_AAD = b"yiwang.core.StoredFile"


@dataclass(frozen=True)
class FileType:
    """A type the platform accepts (``sniff`` recognises it by its content): what it is
    called in messages and the name endings it may carry."""

    label: Any
    endings: tuple[str, ...]


TYPES: dict[str, FileType] = {
    "application/pdf": FileType("PDF", (".pdf",)),
    "application/ofd": FileType("OFD", (".ofd",)),
    "image/jpeg": FileType("JPG", (".jpg", ".jpeg")),
    "image/png": FileType("PNG", (".png",)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": FileType(
        "Word", (".docx",)
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": FileType(
        "Excel", (".xlsx",)
    ),
    "text/plain": FileType(gettext_lazy("文本"), (".txt", ".csv", ".md", ".log")),
}
DOCUMENT_TYPES = frozenset(TYPES)
# Data files (数据归集): told apart by a room's own ``sniffer``, never by ``sniff``.
TYPES["text/csv"] = FileType("CSV", (".csv", ".txt"))
TYPES["application/json"] = FileType("JSON", (".json",))
EXTENSION = {ct: t.endings[0] for ct, t in TYPES.items()}

_MAGIC = (
    (b"%PDF", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
# Office Open XML and OFD (GB/T 33190) are ZIP packages, told apart by what they hold.
_PACKAGES = (
    ("ofd.xml", "application/ofd"),
    (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)


def _package_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = {n.lower() for n in package.namelist()}
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    return next((ct for member, ct in _PACKAGES if member in names), None)


def sniff(data: bytes) -> str | None:
    """The type the content really is, by its leading bytes (and, for ZIP packages, what
    they hold); UTF-8 text without NUL bytes is ``text/plain``; else None."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    if data.startswith(b"PK\x03\x04"):
        return _package_type(data)
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed ``check_upload``: its name, true type, bytes and SM3."""

    name: str
    content_type: str
    data: bytes
    sm3: str

    @classmethod
    def of(cls, name: str, content_type: str, data: bytes) -> CheckedUpload:
        """Bytes a room has checked its own way (e.g. a data file parsed whole)."""
        return cls(name[:200], content_type, data, crypto.sm3_hex(data))

    @property
    def size(self) -> int:
        return len(self.data)


def max_upload_bytes() -> int:
    """The platform's largest upload (``settings.YIWANG_MAX_UPLOAD_BYTES``)."""
    return int(settings.YIWANG_MAX_UPLOAD_BYTES)


def kinds(allowed: Iterable[str]) -> str:
    """The allowed types as named in messages, e.g. "PDF、JPG、PNG"."""
    names = dict.fromkeys(str(TYPES[ct].label) for ct in TYPES if ct in set(allowed))
    return _("、").join(names)


def _read(uploaded_file, limit: int, what: str) -> bytes:
    too_large = _("「%(what)s」文件过大：上限为 %(mb)s MB。") % {
        "what": what,
        "mb": f"{limit / 1024 / 1024:.3g}",
    }
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise ValidationError(too_large, code="too_large")
    chunks, total = [], 0
    for chunk in uploaded_file.chunks():
        total += len(chunk)
        if total > limit:
            raise ValidationError(too_large, code="too_large")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise ValidationError(_("「%(what)s」文件为空。") % {"what": what}, code="empty")
    return data


def check_upload(
    uploaded_file,
    *,
    allowed: Iterable[str] = DOCUMENT_TYPES,
    max_bytes: int | None = None,
    label: str = "",
    refused: str = "",
    sniffer: Callable[[bytes, str], str | None] | None = None,
    own_limit: bool = False,
) -> CheckedUpload:
    """Read one upload and check it: not empty, within ``max_bytes`` (default the
    platform limit), of an ``allowed`` type by its content, and with a name ending (if
    any) of that type. ``label`` names the file in messages (default its name);
    ``refused`` is the room's own wording for a refused type. A room whose files are not
    documents (数据归集: CSV, JSON) passes its own ``sniffer`` (bytes, name → type or
    None), and with ``own_limit`` its ``max_bytes`` stands even above the platform's.
    Raises a localised ValidationError with code ``too_large`` (HTTP 413), ``empty`` or
    ``bad_type`` (415) before anything is stored."""
    allowed = frozenset(allowed)
    name = os.path.basename(getattr(uploaded_file, "name", "") or "file")[:200] or "file"
    what = label or name
    if max_bytes is None:
        limit = max_upload_bytes()
    else:
        limit = max_bytes if own_limit else min(max_bytes, max_upload_bytes())
    data = _read(uploaded_file, limit, what)
    content_type = sniffer(data, name) if sniffer else sniff(data)
    ending = os.path.splitext(name)[1].lower()
    if (
        content_type not in allowed
        or content_type is None
        or (ending and ending not in TYPES[content_type].endings)
    ):
        raise ValidationError(
            refused
            or _("不支持的文件类型：「%(what)s」须为 %(kinds)s 文件（按文件内容检查）。")
            % {"what": what, "kinds": kinds(allowed)},
            code="bad_type",
        )
    return CheckedUpload(name, content_type, data, crypto.sm3_hex(data))


def store(
    record, upload: CheckedUpload, *, filename: str = "", name: str = "", ending: str = ""
) -> None:
    """Put a checked upload on ``record`` (a ``StoredFile``, not yet saved): SM4-GCM
    ciphertext under the active key version written to storage, and the name, size,
    true type and SM3 digest of the clear content. Call inside the room's action.
    The stored name is ``filename`` (default a random one: a name derived from the clear
    content would let whoever lists the store confirm a known document), the type's
    ``ending`` and ``.sm4``."""
    ring = keyring()
    record.name = (name or upload.name)[:200]
    record.size = upload.size
    record.content_type = upload.content_type
    record.sm3 = upload.sm3
    record.key_version = ring.active
    blob = crypto.sm4_gcm_encrypt(ring.active_key, upload.data, FILE_AAD)
    stem = filename or uuid.uuid4().hex
    ending = ending or EXTENSION.get(upload.content_type, "")
    record.file.save(f"{stem}{ending}.sm4", ContentFile(blob), save=False)


def share(record, stored) -> None:
    """Point ``record`` at the bytes already stored for ``stored`` (the same file given
    for two applications of one 一件事 submission), without storing them again."""
    record.file.name = stored.file.name
    for field in ("name", "size", "content_type", "sm3", "key_version"):
        setattr(record, field, getattr(stored, field))


def tampered(record) -> ValidationError:
    """The refusal for a stored file whose bytes no longer match its SM3 digest: a
    ``Conflict`` (409) with the reason code ``tampered``."""
    from yiwang.core.errors import Conflict

    return Conflict(
        _("文件「%s」的内容与上传时的 SM3 摘要不符，已拒绝打开。") % record.name,
        code="tampered",
    )


def read_verified(record) -> tuple[bytes, bool]:
    """(clear bytes, intact) of a stored file: decrypted with the key version it names
    (a legacy clear file is read as it is) and checked against its SM3 digest. A file
    that is missing is a 404; one that fails to decrypt or to match is not intact."""
    if not record.file:
        raise Http404(_("该记录没有文件。"))
    try:
        with record.file.open("rb") as fh:
            raw = fh.read()
    except (OSError, ValueError):
        raise Http404(_("文件不存在。")) from None
    if record.key_version is None:
        data = raw
    else:
        key = sm4_key(record.key_version)
        try:
            if key is None:
                raise crypto.DecryptionError(f"SM4 key version {record.key_version} is unknown")
            data = crypto.sm4_gcm_decrypt(key, raw, FILE_AAD)
        except crypto.DecryptionError:
            return b"", False
    return data, bool(record.sm3) and crypto.sm3_hex(data) == record.sm3


def read(record) -> bytes:
    """The clear bytes of a stored file the platform itself works on (no person reads
    them, so nothing is logged); refused (code ``tampered``) when they do not match."""
    data, intact = read_verified(record)
    if not intact:
        raise tampered(record)
    return data


def download(record, data: bytes, *, inline: bool = False, filename: str = "") -> FileResponse:
    """The verified clear bytes streamed back: the stored (checked) type, the original
    name, and no content sniffing by the browser. The whole file is decrypted and its
    digest checked before the first byte goes out (SM4-GCM authenticates the whole)."""
    response = FileResponse(
        io.BytesIO(data),
        content_type=record.content_type or "application/octet-stream",
    )
    response["Content-Length"] = str(len(data))
    disposition = content_disposition_header(not inline, filename or record.name)
    if disposition is not None:  # None only for an inline file without a name
        response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    return response
