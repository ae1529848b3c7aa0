"""Appending to the audit ledger (全程留痕). Every ``do_*`` action calls ``record``; the
request path only inserts, sealing happens in batches (see ``ledger``)."""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils import timezone

from yiwang.core.crypto import blind_index, sm3_hex

# Keys whose values are personal data: the ledger keeps a keyed digest, never the value.
PERSONAL_KEYS = frozenset(
    {"id_number", "phone", "full_name", "name", "address", "contact", "password", "totp_secret"}
)


def canonical(data: Any) -> bytes:
    """Deterministic JSON bytes: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def redact(change: dict[str, Any]) -> dict[str, Any]:
    """Replace personal values with a keyed digest so the ledger proves without revealing."""
    out: dict[str, Any] = {}
    for key, value in change.items():
        if isinstance(value, dict):
            out[key] = redact(value)
        elif key in PERSONAL_KEYS and value not in (None, ""):
            out[key] = "hmac-sm3:" + blind_index(str(value), "audit")[:16]
        else:
            out[key] = value
    return out


def leaf_fields(entry) -> dict[str, Any]:
    """The fields an entry's leaf hash covers (everything but its id and block)."""
    return {
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "purpose": entry.purpose,
        "digest": entry.digest,
        "change": entry.change,
    }


def leaf_hash(entry) -> str:
    return sm3_hex(b"\x00" + canonical(leaf_fields(entry)))


def object_ref(obj: Any) -> tuple[str, str]:
    if isinstance(obj, models.Model):
        return obj._meta.label_lower, str(obj.pk)
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return type(obj).__name__.lower(), str(obj)


def record(*, actor, action: str, obj: Any, purpose: str = "", change: dict | None = None):
    """Append one ledger entry. ``obj`` is a model instance or ``(type, id)``."""
    from yiwang.core.models import AuditEntry

    object_type, object_id = object_ref(obj)
    safe_change = redact(change or {})
    user = actor if getattr(actor, "pk", None) else None
    entry = AuditEntry(
        at=timezone.now(),
        actor=user,
        actor_label=(user.get_username() if user else str(actor or "system"))[:150],
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        purpose=purpose[:200],
        change=safe_change,
        digest=sm3_hex(canonical(safe_change)),
    )
    # JSON round-trip so the leaf is computed on exactly what the database will return.
    entry.change = json.loads(canonical(safe_change))
    entry.leaf = leaf_hash(entry)
    entry.save(force_insert=True)
    return entry
