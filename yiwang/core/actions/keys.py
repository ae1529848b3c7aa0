"""Writes that involve key material (密钥管理): SM4 key rotation with re-encryption of every
stored value, and department SM2 keys (部门签名密钥)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models import Count, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from yiwang.core import access, audit, crypto, fields, keys
from yiwang.core.fields import EncryptedTextField
from yiwang.core.models import Department
from yiwang.core.signing import DEPARTMENT_KEY_CONTEXT

log = logging.getLogger(__name__)

DEFAULT_BATCH = 500
_RAW = "_yiwang_raw"


@dataclass(frozen=True)
class EncryptedColumn:
    """One database column holding ``sm4:v{n}:…`` values and the context bound to them;
    ``row_bound`` for an ``EncryptedTextField`` (each value bound to its row too), with
    ``index`` the attname of its blind index if it has one."""

    model: type[models.Model]
    field: str
    context: str
    row_bound: bool = False
    index: str | None = None

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"


# Columns that hold crypto.encrypt_field output in a plain field (not EncryptedTextField):
# (model label, field name, context). Other rooms may add theirs with register_encrypted_column.
_EXTRA_COLUMNS: list[tuple[str, str, str]] = [
    ("core.Department", "sm2_private_enc", DEPARTMENT_KEY_CONTEXT),
]


def register_encrypted_column(model_label: str, field: str, context: str) -> None:
    """Declare a plain text column that stores ``crypto.encrypt_field(value, context)`` so
    that `keys status` counts it and `keys rotate` re-encrypts it."""
    entry = (model_label, field, context)
    if entry not in _EXTRA_COLUMNS:
        _EXTRA_COLUMNS.append(entry)


def encrypted_columns() -> list[EncryptedColumn]:
    """Every EncryptedTextField column of every installed concrete model, plus registered
    plain columns, in a stable order."""
    out: list[EncryptedColumn] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.local_concrete_fields:
            if isinstance(field, EncryptedTextField):
                index = field.index_field.attname if field.index_field is not None else None
                out.append(
                    EncryptedColumn(
                        model, field.attname, field.context, row_bound=True, index=index
                    )
                )
    for label, column, context in _EXTRA_COLUMNS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        out.append(EncryptedColumn(model, column, context))
    return sorted(out, key=lambda c: c.label)


def _raw_qs(col: EncryptedColumn) -> models.QuerySet:
    """The column's stored text as ``_yiwang_raw`` (no decryption), empty values left out."""
    return (
        col.model._base_manager.annotate(**{_RAW: Cast(col.field, models.TextField())})
        .exclude(**{f"{_RAW}__isnull": True})
        .exclude(**{_RAW: ""})
    )


def _prefix(version: int) -> str:
    return f"{crypto.FIELD_PREFIX}{version}:"


def _current(col: EncryptedColumn, version: int) -> str:
    """The prefix of a value that needs no re-encryption: on ``version`` and, in a
    row-bound column, bound to its row."""
    return _prefix(version) + (crypto.ROW_MARK if col.row_bound else "")


def column_status(col: EncryptedColumn) -> dict[str, int]:
    """Stored values of one column by key version (``v1``, ``v2`` …), ``clear`` for
    unencrypted text, ``other`` for versions not in the key ring, ``total``; for a
    row-bound column also ``column_bound``: ciphertexts written before row binding, which
    `keys rotate --reencrypt-only` binds to their rows."""
    ring = keys.keyring()
    counts: dict[str, Any] = {
        f"v{v}": Count("pk", filter=Q(**{f"{_RAW}__startswith": _prefix(v)}))
        for v in sorted(ring.sm4)
    }
    counts["clear"] = Count("pk", filter=~Q(**{f"{_RAW}__startswith": crypto.FIELD_PREFIX}))
    counts["total"] = Count("pk")
    if col.row_bound:
        counts["column_bound"] = Count(
            "pk",
            filter=Q(**{f"{_RAW}__startswith": crypto.FIELD_PREFIX})
            & ~Q(**{f"{_RAW}__contains": ":" + crypto.ROW_MARK}),
        )
    out = _raw_qs(col).aggregate(**counts)
    out["other"] = out["total"] - sum(
        v for k, v in out.items() if k not in ("total", "column_bound")
    )
    return out


def key_status() -> dict[str, Any]:
    """Active version, versions in the ring and per-column counts (for `keys status`)."""
    ring = keys.keyring()
    return {
        "active": ring.active,
        "versions": sorted(ring.sm4),
        "columns": {col.label: column_status(col) for col in encrypted_columns()},
    }


def _pending(col: EncryptedColumn, active: int) -> models.QuerySet:
    return _raw_qs(col).exclude(**{f"{_RAW}__startswith": _current(col, active)}).order_by("pk")


def pending_count(col: EncryptedColumn) -> int:
    """How many values of the column are not on the active key version."""
    return _pending(col, keys.keyring().active).count()


def _conditional_update(col: EncryptedColumn, updates: list[tuple[Any, str, str]]) -> int:
    """Write one batch in one short transaction: ``SET col = new WHERE pk = ? AND col = old``,
    so a row a writer changed since it was read is left to the writer. Returns rows changed.
    One prepared statement run many times: the ORM's per-row compilation cost is the
    bottleneck of a full-table pass otherwise."""
    if not updates:
        return 0
    meta = col.model._meta
    alias = router.db_for_write(col.model)
    connection = connections[alias]
    qn = connection.ops.quote_name
    field, pk = meta.get_field(col.field), meta.pk
    assert isinstance(field, models.Field) and field.column and pk is not None and pk.column
    column = qn(field.column)
    sql = (
        f"UPDATE {qn(meta.db_table)} SET {column} = %s WHERE {qn(pk.column)} = %s AND {column} = %s"
    )
    pk_field = meta.pk
    params = [(new, pk_field.get_db_prep_value(pk, connection), old) for pk, old, new in updates]
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.executemany(sql, params)
        return max(cursor.rowcount, 0)


def _reencrypt_column(
    col: EncryptedColumn, batch_size: int, progress: Callable[[EncryptedColumn, int], None] | None
) -> dict[str, int]:
    counts = {"reencrypted": 0, "skipped": 0, "failed": 0}
    active = keys.keyring().active
    last_pk = None
    while True:
        qs = _pending(col, active)
        if last_pk is not None:
            qs = qs.filter(pk__gt=last_pk)
        rows = list(qs.values_list("pk", _RAW, *([col.index] if col.index else []))[:batch_size])
        if not rows:
            return counts
        last_pk = rows[-1][0]
        updates, failed = _reencrypted_batch(col, rows)  # crypto outside the transaction
        counts["failed"] += len(failed)
        for pk, exc in failed:
            log.error("cannot re-encrypt %s pk=%s: %s", col.label, pk, exc)
        changed = _conditional_update(col, updates)
        counts["reencrypted"] += changed
        counts["skipped"] += len(updates) - changed
        if progress:
            progress(col, len(rows))


def _reencrypted_batch(
    col: EncryptedColumn, rows: list[tuple]
) -> tuple[list[tuple[Any, str, str]], list[tuple[Any, crypto.DecryptionError]]]:
    """(pk, old, new) for each stored value of ``rows`` (pk, stored[, blind index]) under
    the active key — bound to its row in a row-bound column — and (pk, error) for those
    that do not open. A value whose blind index is not its own is refused like a tampered
    one, not bound to a row it was moved into. Decrypted one by one (each names its key
    version); indexes and the new ciphertexts made per batch (``index_many``,
    ``encrypt_many``)."""
    opened: list[tuple[Any, str, str, str | None]] = []  # pk, old, clear, stored index
    failed: list[tuple[Any, crypto.DecryptionError]] = []
    for pk, old, *index in rows:
        row = fields.row_id(pk) if col.row_bound else None
        try:
            clear = crypto.decrypt_field(old, col.context, row, legacy=True)
        except crypto.DecryptionError as exc:
            failed.append((pk, exc))
            continue
        opened.append((pk, old, clear, index[0] if index else None))
    if col.index:
        filled = [clear for _pk, _old, clear, _i in opened if clear]
        expected = iter(crypto.index_many(filled, col.context))
        kept = []
        for item in opened:
            if item[3] != (next(expected) if item[2] else ""):
                failed.append(
                    (item[0], crypto.DecryptionError("the blind index is not the value's own"))
                )
            else:
                kept.append(item)
        opened = kept
    rows_of = [fields.row_id(pk) for pk, *_rest in opened] if col.row_bound else None
    sealed = crypto.encrypt_many([clear for _pk, _old, clear, _i in opened], col.context, rows_of)
    updates = [(pk, old, new) for (pk, old, _c, _i), new in zip(opened, sealed, strict=True)]
    return updates, failed


def do_reencrypt(
    *,
    actor,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[EncryptedColumn, int], None] | None = None,
    columns: list[EncryptedColumn] | None = None,
) -> dict[str, dict[str, int]]:
    """Re-encrypt every stored value not on the active SM4 version (密钥轮换后重新加密),
    and bind each value stored before row binding (clear text, column-bound) to its row.

    Deliberately not one transaction: each primary-key batch commits on its own with
    conditional UPDATEs, so writers wait at most one batch and a re-run resumes. Reads keep
    working throughout (the stored version picks the key). One audit entry per model."""
    _require(actor, "system.manage")
    active = keys.keyring().active
    by_model: dict[type[models.Model], dict[str, dict[str, int]]] = {}
    for col in columns if columns is not None else encrypted_columns():
        by_model.setdefault(col.model, {})[col.field] = _reencrypt_column(col, batch_size, progress)
    results: dict[str, dict[str, int]] = {}
    for model, per_field in by_model.items():
        totals = {
            k: sum(c[k] for c in per_field.values()) for k in ("reencrypted", "skipped", "failed")
        }
        results[model._meta.label] = totals
        with transaction.atomic():
            audit.record(
                actor=actor,
                action="core.keys.reencrypt",
                obj=("model", model._meta.label),
                purpose=_("密钥轮换：重新加密"),
                change={"active": active, **totals, "fields": per_field},
            )
    return results


@dataclass
class RotationResult:
    """Outcome of `keys rotate`: the active version before and after, counts per model."""

    previous: int
    active: int
    models: dict[str, dict[str, int]]


def do_rotate_keys(
    *,
    actor,
    reencrypt_only: bool = False,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[EncryptedColumn, int], None] | None = None,
) -> RotationResult:
    """Rotate the SM4 field key (密钥轮换): add a new active version to the key file (unless
    ``reencrypt_only``, e.g. when keys come from the environment), then re-encrypt."""
    _require(actor, "system.manage")
    previous = keys.keyring().active
    if not reencrypt_only:
        version = keys.add_sm4_version()
        with transaction.atomic():
            audit.record(
                actor=actor,
                action="core.keys.rotate",
                obj=("sm4_key", version),
                purpose=_("密钥轮换"),
                change={"previous": previous, "active": version},
            )
    result = do_reencrypt(actor=actor, batch_size=batch_size, progress=progress)
    return RotationResult(previous=previous, active=keys.keyring().active, models=result)


def _require(actor, perm: str) -> None:
    """A signed-in user needs ``perm``; ``None`` or a label is the server's own CLI."""
    if isinstance(actor, models.Model):
        access.require(actor, perm)


def _fingerprint(public_pem: str) -> str:
    return crypto.sm3_hex(public_pem.encode())[:16]


@transaction.atomic
def do_issue_department_key(*, actor, department: Department, replace: bool = False) -> str:
    """Generate a department SM2 key (部门签名密钥): the public PEM is stored as is, the
    private key only SM4-encrypted. Returns the new public PEM."""
    _require(actor, "org.manage")
    department = Department.objects.select_for_update().get(pk=department.pk)
    old = department.sm2_public_pem
    if old and not replace:
        raise ValidationError(
            _("部门「%(name)s」已有 SM2 密钥；如需更换请明确指定替换。"),
            code="department_key_exists",
            params={"name": department.name},
        )
    private = crypto.generate_sm2_private()
    public_pem = crypto.sm2_public_pem(private).decode()
    department.sm2_public_pem = public_pem
    department.sm2_private_enc = crypto.encrypt_field(
        crypto.sm2_private_pem(private).decode(), DEPARTMENT_KEY_CONTEXT
    )
    department.save(update_fields=["sm2_public_pem", "sm2_private_enc"])
    audit.record(
        actor=actor,
        action="core.department.issue_key",
        obj=department,
        purpose=_("签发部门 SM2 密钥"),
        change={"key_id": _fingerprint(public_pem), "replaced": _fingerprint(old) if old else None},
    )
    return public_pem
