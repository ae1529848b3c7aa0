"""Reading a stored upload (读取上传文件): the one read every room calls once its own
access rule has let the reader in — decrypt, check the SM3 digest, log the read."""

from __future__ import annotations

from typing import Any

from yiwang.core import audit, uploads


def do_open_upload(
    *, actor, record, obj, action: str, change: dict[str, Any] | None = None
) -> bytes:
    """The clear bytes of ``record`` (a ``StoredFile``) for ``actor``, whom the caller
    has already let in. The read is logged on ``obj`` as ``action`` with whether the file
    was intact; a file whose content no longer matches its SM3 digest (or whose
    ciphertext fails to open) is refused with ValidationError code ``tampered``, and a
    missing file is a 404. Not atomic on purpose: the log of a refused read stays."""
    data, intact = uploads.read_verified(record)
    audit.record(actor=actor, action=action, obj=obj, change={**(change or {}), "intact": intact})
    if not intact:
        raise uploads.tampered(record)
    return data
