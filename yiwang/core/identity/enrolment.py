"""Staff 动态口令 requirement (强制动态口令) and 恢复码: who must have TOTP, until when they
may still work without it (the enrolment window, 启用宽限期), and the recovery codes'
format and keyed hash. Pure rules: the writes are in ``yiwang.core.actions.identity``,
the gate that applies them to requests in ``yiwang.core.identity.gate``."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings

from yiwang.core.crypto import keyed_digest

# Recovery codes: 10 characters of an alphabet without look-alikes (no 0/O, 1/I/L),
# shown as two groups of five: 50 bits each, single use.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


def required() -> bool:
    """Whether the platform requires 动态口令 of staff (``YIWANG["STAFF_TOTP_REQUIRED"]``)."""
    return bool(settings.YIWANG.get("STAFF_TOTP_REQUIRED", False))


def window() -> dt.timedelta:
    """The enrolment window (启用宽限期) for staff other than administrators."""
    return dt.timedelta(days=int(settings.YIWANG.get("STAFF_TOTP_WINDOW_DAYS", 7)))


def may_use(user) -> bool:
    """Who may enrol 动态口令: staff (工作人员) and superusers."""
    return bool(getattr(user, "is_superuser", False)) or getattr(user, "kind", "") == "staff"


def is_admin(user) -> bool:
    """An administrator account (管理员): a superuser or a holder of one of
    ``YIWANG["STAFF_TOTP_ADMIN_ROLES"]`` (sysadmin, bureau_admin) anywhere. These must
    have 动态口令 as soon as it is required, with no window."""
    if getattr(user, "is_superuser", False):
        return True
    roles = settings.YIWANG.get("STAFF_TOTP_ADMIN_ROLES", ("sysadmin", "bureau_admin"))
    return user.role_assignments.filter(role__in=roles).exists()


def applies_to(user) -> bool:
    """Whether the requirement covers ``user`` (it does not cover citizens, enterprises or
    system clients)."""
    return required() and getattr(user, "is_authenticated", False) and may_use(user)


@dataclass(frozen=True)
class Standing:
    """Where a user stands with the requirement: ``due`` is None when nothing is asked of
    them (not covered, or already enrolled); else the moment after which they may use
    nothing but the enrolment page, and ``blocked`` whether that moment has passed."""

    due: dt.datetime | None
    blocked: bool

    @property
    def must_enrol(self) -> bool:
        return self.due is not None


NOTHING_DUE = Standing(due=None, blocked=False)


def standing(user, now: dt.datetime) -> Standing:
    """The user's standing at ``now``. An administrator is due at once; anyone else is due
    ``window()`` after ``user.totp_required_since`` (``now`` when not yet stamped)."""
    if user.totp_enabled or not applies_to(user):
        return NOTHING_DUE
    if is_admin(user):
        return Standing(due=user.totp_required_since or now, blocked=True)
    due = (user.totp_required_since or now) + window()
    return Standing(due=due, blocked=now >= due)


def new_codes(count: int | None = None) -> list[str]:
    """Fresh recovery codes in clear, formatted ``ABCDE-FGHJK`` for reading aloud."""
    n = count if count is not None else int(settings.YIWANG.get("TOTP_RECOVERY_CODES", 10))
    codes = []
    for _ in range(n):
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise(code: str) -> str:
    """What the user typed, without spaces or dashes, in capitals."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def looks_like_code(code: str) -> bool:
    """Whether ``code`` has the shape of a recovery code (not of a 6-digit 动态口令)."""
    clean = normalise(code)
    return len(clean) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in clean)


def code_hash(user_id: int, code: str) -> str:
    """Keyed hash of one recovery code, bound to its user (a copied row matches nobody
    else's code)."""
    return keyed_digest(normalise(code), f"core.recovery_code:{user_id}")


def recovery_code_matches(user, code: str) -> bool:
    """Whether ``code`` is one of ``user``'s unused 恢复码 (without spending it)."""
    from yiwang.core.models import RecoveryCode

    if not looks_like_code(code):
        return False
    unused = RecoveryCode.objects.filter(user=user, used_at__isnull=True)
    return unused.filter(code_hash=code_hash(user.pk, code)).exists()
