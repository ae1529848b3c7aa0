"""Reading a stored upload (读取上传文件): the one read every room calls once its own
access rule has let the reader in — decrypt, check the SM3 digest, log the read; and
bringing stored files onto the active SM4 key version (legacy clear files included)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils.translation import gettext as _

from yiwang.core import access, audit, uploads
from yiwang.core.keys import keyring
from yiwang.core.models import StoredFile


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


def stored_file_models() -> list[type[StoredFile]]:
    """Every installed model that keeps uploads (subclasses of ``StoredFile``)."""
    return [m for m in apps.get_models() if issubclass(m, StoredFile)]


def _shared(name: str) -> bool:
    """Whether any row (of any stored-file model) still points at these stored bytes."""
    return any(m._default_manager.filter(file=name).exists() for m in stored_file_models())


def do_reencrypt_files(*, actor) -> dict[str, dict[str, int]]:
    """Re-encrypt every stored file not on the active SM4 key version (密钥轮换后, and
    files stored in clear before encryption at rest): each is read and checked against
    its SM3 digest first — a file that does not match is left alone and counted as
    failed, never re-encrypted. The new ciphertext is written to a new path and the row
    switched over only if its key version has not changed meanwhile; the old bytes are
    removed once no row points at them. A signed-in user needs ``system.manage``; the
    command line passes a label. One audit entry per model."""
    if isinstance(actor, models.Model):
        access.require(actor, "system.manage")
    active = keyring().active
    results: dict[str, dict[str, int]] = {}
    for model in stored_file_models():
        counts = {"reencrypted": 0, "skipped": 0, "failed": 0}
        pending = model._default_manager.exclude(file="").exclude(key_version=active).order_by("pk")
        for record in pending.iterator():
            old_name, old_version = record.file.name, record.key_version
            assert old_name, "rows without a file are excluded above"
            try:
                data, intact = uploads.read_verified(record)
            except Exception:  # a missing file (404) is reported, the rest goes on
                intact = False
            if not intact:
                counts["failed"] += 1
                continue
            upload = uploads.CheckedUpload(record.name, record.content_type, data, record.sm3)
            uploads.store(record, upload, name=record.name)
            new_name = record.file.name
            assert new_name, "store() names the new bytes"
            with transaction.atomic():
                moved = model._default_manager.filter(pk=record.pk, key_version=old_version).update(
                    file=new_name, key_version=record.key_version
                )
            if not moved:
                record.file.storage.delete(new_name)
                counts["skipped"] += 1
                continue
            counts["reencrypted"] += 1
            if not _shared(old_name):
                record.file.storage.delete(old_name)
        results[model._meta.label] = counts
        audit.record(
            actor=actor,
            action="core.uploads.reencrypt",
            obj=("model", model._meta.label),
            purpose=_("上传文件加密存储：重新加密"),
            change={"active": active, **counts},
        )
    return results
