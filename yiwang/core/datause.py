"""谁用了我的数据, the platform's own part: ``note`` records one use of a person's data
inside the platform (``models.DataUse``) in the caller's transaction, beside the ledger
entry the caller's action records; ``uses_of`` reads a person's uses by their subject key
through the table's one index. The exchange gateway's reads (用数记录 of shared data)
are the data room's and are listed beside these (``data.queries.uses``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from yiwang.core.audit import object_ref
from yiwang.core.crypto import blind_index
from yiwang.core.models import DataUse
from yiwang.core.notify.text import Text, split

SUBJECT_CONTEXT = "core.datause.subject"


def subject_key(holder_id: str | None) -> str:
    """The key a person's (or entity's) uses are filed under: the HMAC-SM3 blind index
    of their ID number or credit code (never the number itself); empty for none."""
    holder = (holder_id or "").strip().upper()
    return blind_index(holder, SUBJECT_CONTEXT) if holder else ""


def note(
    *,
    subject: str | None,
    kind: str,
    obj: Any = None,
    actor=None,
    department=None,
    user_label: str = "",
    what: Text = "",
    purpose: Text = "",
) -> DataUse | None:
    """Record that ``actor`` (or ``department``, or the party named by ``user_label``)
    used the data of the holder of ID number / credit code ``subject`` — ``kind`` one of
    ``DataUse.Kind`` — about ``obj``, for ``purpose``. Nothing is recorded without a
    subject. ``what`` and ``purpose`` in the platform's own words are ``bilingual`` (the
    page shows the reader's language). Call it inside the action that does the use, so
    both go or neither."""
    key = subject_key(subject)
    if not key:
        return None
    object_type, object_id = object_ref(obj) if obj is not None else ("", "")
    actor = actor if getattr(actor, "pk", None) else None
    if department is None and actor is not None and getattr(actor, "org_unit_id", None):
        department = actor.org_unit.department
    if not user_label:
        user_label = department.name if department is not None else ""
    what_zh, what_en = split(what)
    purpose_zh, purpose_en = split(purpose)
    return DataUse.objects.create(
        at=timezone.now(),
        subject=key,
        kind=kind,
        actor=actor,
        department=department,
        user_label=user_label[:200],
        what=what_zh[:200],
        what_en=what_en[:200],
        purpose=purpose_zh[:200],
        purpose_en=purpose_en[:200],
        object_type=object_type[:64],
        object_id=str(object_id)[:64],
    )


def uses_of(holder_id: str | None):
    """The platform's uses of one holder's data, newest first (a queryset on the
    subject index)."""
    key = subject_key(holder_id)
    if not key:
        return DataUse.objects.none()
    return DataUse.objects.filter(subject=key)
