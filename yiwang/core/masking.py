"""Masking of personal data (脱敏) and logged, purpose-bound unmasking.

The one place where a personal value is masked: pages, API and exports all ask
``mask_value(kind, value)`` (one value whose kind is declared — a 申请表 field's type, a
数据元's grade) or ``masked_mapping(user, spec, data)`` (a submitted form against its field
list). A clear value is only shown to its owner, or to a named person with
``personal.unmask`` over the record's place, for a stated purpose, logged (``reveal`` /
``reveal_mapping``); bulk exports are masked for everyone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.core import audit
from yiwang.core.access import covers, has_perm
from yiwang.core.fields import undecryptable

if TYPE_CHECKING:
    from yiwang.core.notify.text import Text


def _keeps_placeholder(mask: Callable[[str], str]) -> Callable[[str], str]:
    """A value that did not decrypt is shown as its placeholder (数据无法解密), not masked
    into asterisks that would pass for data."""

    @wraps(mask)
    def masking(v: str) -> str:
        return v if undecryptable(v) else mask(v)

    return masking


@_keeps_placeholder
def mask_id_number(v: str) -> str:
    """410802199001011234 → 4108**********1234."""
    return v[:4] + "*" * (len(v) - 8) + v[-4:] if v and len(v) > 8 else ("*" * len(v or ""))


@_keeps_placeholder
def mask_phone(v: str) -> str:
    """13812345678 → 138****5678."""
    return v[:3] + "****" + v[-4:] if v and len(v) >= 7 else ("*" * len(v or ""))


@_keeps_placeholder
def mask_name(v: str) -> str:
    """张三 → 张*; 欧阳明月 → 欧**月."""
    if not v:
        return ""
    if len(v) <= 2:
        return v[0] + "*"
    return v[0] + "*" * (len(v) - 2) + v[-1]


@_keeps_placeholder
def mask_address(v: str) -> str:
    """Keep the first six characters (division-level place), hide the rest."""
    return v[:6] + "****" if v and len(v) > 6 else (v or "")


@_keeps_placeholder
def mask_date(v: str) -> str:
    """1990-01-01 → 1990-**-** (the year stays: ages can still be reckoned)."""
    return v[:4] + "-**-**" if v else ""


@_keeps_placeholder
def mask_all(v: str) -> str:
    """Every character hidden (民族 and other sensitive codes)."""
    return "*" * len(v or "")


MASKERS: dict[str, Callable[[str], str]] = {
    "id_number": mask_id_number,
    "mobile": mask_phone,
    "phone": mask_phone,
    "full_name": mask_name,
    "name": mask_name,
    "address": mask_address,
    "date": mask_date,
    "secret": mask_all,
}
# The kinds of value that are personal (个人信息) and masked wherever they are shown to
# someone other than their owner. A 申请表 field type or a 数据元 grade names one of them.
PERSONAL_KINDS = frozenset(MASKERS)


def masked(field: str, value: str) -> str:
    return MASKERS.get(field, mask_name)(value or "")


def mask_value(kind: str | None, value: Any) -> Any:
    """``value`` as shown by default: masked when ``kind`` is a personal kind (身份证号码、
    手机号码、姓名、地址 …), unchanged otherwise (and when empty)."""
    masker = MASKERS.get(kind or "")
    if masker is None or value is None or value == "":
        return value
    return masker(value if isinstance(value, str) else str(value))


def personal_names(spec: Iterable[Mapping]) -> list[str]:
    """The names of a 申请表 field list whose declared type is a personal kind."""
    return [f["name"] for f in spec or [] if f.get("name") and f.get("type") in PERSONAL_KINDS]


def masked_mapping(user, spec: Iterable[Mapping], data: Mapping | None, *, owner_id=None) -> dict:
    """A submitted form (申请表) as ``user`` may see it: each field whose declared type is a
    personal kind masked, unless ``user`` is the record's owner (``owner_id``: the applicant
    sees their own data in full). Clear values for staff go through ``reveal_mapping``."""
    data = dict(data or {})
    if owner_id is not None and getattr(user, "pk", None) == owner_id:
        return data
    kinds = {f.get("name"): f.get("type") for f in spec or []}
    return {k: mask_value(kinds.get(k), v) for k, v in data.items()}


def may_reveal(user, *, division=None, department=None) -> bool:
    """Whether ``user`` may ask for clear personal values of a record at this place:
    ``personal.unmask`` over it (``core.access.covers``)."""
    return covers(user, "personal.unmask", division=division, department=department)


def _check_reveal(user, purpose: str, allowed: bool | None) -> str:
    purpose = (purpose or "").strip()
    # A question, not a guard: the platform (``None``) is refused too, for a clear value
    # is only ever shown to a named person, whom the ledger must record (个人信息保护).
    if allowed is None:
        allowed = has_perm(user, "personal.unmask")
    if not allowed or user is None:
        raise PermissionDenied(_("您的角色不允许查看完整个人信息。"))
    if len(purpose) < 2:
        raise PermissionDenied(_("查看完整个人信息须说明用途。"))
    return purpose


def reveal_mapping(
    user,
    obj,
    spec: Iterable[Mapping],
    data: Mapping | None,
    purpose: str,
    *,
    allowed: bool | None = None,
    subject: str | None = None,
) -> dict:
    """The clear values of a 申请表's personal fields for a stated purpose, one ledger
    entry naming the fields; refused unless ``allowed`` (the room's answer, e.g.
    ``may_reveal`` over the record's place; by default ``personal.unmask`` anywhere) or
    without a purpose. ``subject``, the ID number of the person the record is about, files
    the read under them too (谁用了我的数据, ``core.datause``)."""
    purpose = _check_reveal(user, purpose, allowed)
    data = dict(data or {})
    names = [n for n in personal_names(spec) if n in data]
    audit.record(
        actor=user,
        action="core.personal.unmask",
        obj=obj,
        purpose=purpose,
        change={"fields": names},
    )
    labels = {f.get("name"): str(f.get("label") or f.get("name")) for f in spec or []}
    _note_unmask(user, obj, subject, purpose, [labels[n] for n in names])
    return data


def _field_name(obj, field: str) -> Any:
    """A model field's name in words (姓名, 联系电话), never its code: its lazily
    translated verbose name, so it can be written in both languages."""
    try:
        return obj._meta.get_field(field).verbose_name
    except (AttributeError, LookupError):
        return gettext_lazy("个人信息")


def _note_unmask(user, obj, subject: str | None, purpose: str, labels: list) -> None:
    """File a reveal under the person it is about (谁用了我的数据), once per reveal; the
    fields' names are their labels (申请表 labels are data, model field names are the
    platform's words, kept in both languages)."""
    if subject and labels:
        from yiwang.core import datause

        datause.note(
            subject=subject,
            kind="unmask",
            obj=obj,
            actor=user,
            what=_joined(labels),
            purpose=purpose,
        )


def _joined(labels: list) -> Text:
    """Field names joined with 、, in both languages where they are translatable."""
    from yiwang.core.notify.text import bilingual  # notify reads masking

    if all(isinstance(label, str) for label in labels):
        return "、".join(labels)
    from django.utils.translation import get_language

    def joined() -> str:
        comma = ", " if (get_language() or "").startswith("en") else "、"
        return comma.join(str(label) for label in labels)

    return bilingual(joined)


def reveal_fields(
    user,
    obj,
    fields: Iterable[str],
    purpose: str,
    *,
    allowed: bool | None = None,
    subject: str | None = None,
) -> dict[str, Any]:
    """``reveal`` of several fields of one record for one purpose: a ledger entry per
    field, as ``reveal`` writes, and one use filed under ``subject`` naming them all."""
    fields = list(fields)
    out = {f: reveal(user, obj, f, purpose, allowed=allowed) for f in fields}
    _note_unmask(user, obj, subject, purpose, [_field_name(obj, f) for f in fields])
    return out


def reveal(
    user,
    obj,
    field: str,
    purpose: str,
    *,
    allowed: bool | None = None,
    subject: str | None = None,
) -> str:
    """Return the clear value of a personal field for a stated purpose, logged in the
    ledger; refuse without the ``personal.unmask`` permission (or, when the room passes
    ``allowed``, its answer for this record's place) or without a purpose. ``subject``
    (the person's ID number) files the read under them too (谁用了我的数据)."""
    purpose = _check_reveal(user, purpose, allowed)
    audit.record(
        actor=user,
        action="core.personal.unmask",
        obj=obj,
        purpose=purpose,
        change={"field": field},
    )
    _note_unmask(user, obj, subject, purpose, [_field_name(obj, field)])
    return getattr(obj, field)
