"""Turning a refused action's ValidationError into what a page shows: its messages (all,
and per field) and the HTTP status (403 without the role, 409 when the case moved on,
404 for an unknown reference, else 400)."""

from __future__ import annotations

from collections.abc import Collection

from django.core.exceptions import ValidationError

FORBIDDEN_CODES = frozenset({"role_missing", "assigned_elsewhere"})
CONFLICT_CODES = frozenset({"case_closed", "action_not_allowed"})


def error_codes(exc: ValidationError) -> set[str]:
    """The codes of every error inside ``exc`` (an error raised without a code has none)."""
    if hasattr(exc, "error_dict"):
        return {e.code for errs in exc.error_dict.values() for e in errs if e.code is not None}
    return {e.code for e in exc.error_list if e.code is not None}


def split_errors(exc: ValidationError) -> tuple[list[str], dict[str, list[str]]]:
    """(all messages for the summary, messages per field)."""
    if hasattr(exc, "error_dict"):
        per_field = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        return [m for v in per_field.values() for m in v], per_field
    return [str(m) for m in exc.messages], {}


def status_of(
    exc: ValidationError,
    *,
    forbidden: Collection[str] = FORBIDDEN_CODES,
    conflict: Collection[str] = CONFLICT_CODES,
    not_found: Collection[str] = (),
) -> int:
    """HTTP status of a refused page action, from the error codes."""
    codes = error_codes(exc)
    if codes & set(forbidden):
        return 403
    if codes & set(conflict):
        return 409
    if codes & set(not_found):
        return 404
    return 400
