"""Masking of personal data (脱敏) and logged, purpose-bound unmasking."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.access import has_perm


def mask_id_number(v: str) -> str:
    """410802199001011234 → 4108**********1234."""
    return v[:4] + "*" * (len(v) - 8) + v[-4:] if v and len(v) > 8 else ("*" * len(v or ""))


def mask_phone(v: str) -> str:
    """13812345678 → 138****5678."""
    return v[:3] + "****" + v[-4:] if v and len(v) >= 7 else ("*" * len(v or ""))


def mask_name(v: str) -> str:
    """张三 → 张*; 欧阳明月 → 欧**月."""
    if not v:
        return ""
    if len(v) <= 2:
        return v[0] + "*"
    return v[0] + "*" * (len(v) - 2) + v[-1]


def mask_address(v: str) -> str:
    """Keep the first six characters (division-level place), hide the rest."""
    return v[:6] + "****" if v and len(v) > 6 else (v or "")


MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "full_name": mask_name,
    "name": mask_name,
    "address": mask_address,
}


def masked(field: str, value: str) -> str:
    return MASKERS.get(field, mask_name)(value or "")


def reveal(user, obj, field: str, purpose: str) -> str:
    """Return the clear value of a personal field for a stated purpose, logged in the
    ledger; refuse without the ``personal.unmask`` permission or without a purpose."""
    purpose = (purpose or "").strip()
    # A question, not a guard: the platform (``None``) is refused too, for a clear value
    # is only ever shown to a named person, whom the ledger must record (个人信息保护).
    if not has_perm(user, "personal.unmask"):
        raise PermissionDenied(_("您的角色不允许查看完整个人信息。"))
    if len(purpose) < 2:
        raise PermissionDenied(_("查看完整个人信息须说明用途。"))
    audit.record(
        actor=user,
        action="core.personal.unmask",
        obj=obj,
        purpose=purpose,
        change={"field": field},
    )
    return getattr(obj, field)
