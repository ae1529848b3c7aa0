"""The platform's one error vocabulary (错误类型): what an action raises when it refuses,
and how a refusal becomes an HTTP answer — once for the API (the JSON envelope, in
``yiwang.api``) and once for pages (messages and a status, here).

Every refusal is a Django ``ValidationError``, so forms and ``except ValidationError``
keep working, but it carries its kind instead of leaving callers to guess it from code
strings:

========================  ========  ====  =========================================
error                     kind      page  API
========================  ========  ====  =========================================
``Forbidden``             无权办理   403   403 ``forbidden``
``NotFound``              查无此项   404   404 ``not_found``
``Conflict``              状态冲突   409   409 ``conflict``
``Invalid``               填写有误   400   422 ``invalid`` (with field errors)
``RateLimited``           过于频繁   429   429 ``rate_limited``
plain ``ValidationError`` 填写有误   400   422 ``invalid``
========================  ========  ====  =========================================

Each instance also keeps its own reason ``code`` (``role_missing``, ``case_closed`` …,
defaulting to the kind) for callers and tests that need the exact reason.

``Forbidden`` is also a ``PermissionDenied`` and ``NotFound`` an ``Http404``, so a
refusal nobody catches still answers 403 or 404 through Django's own handlers.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class Refusal(ValidationError):
    """Base of the typed errors: an action refused, for a reason of a known kind."""

    kind = "invalid"
    status = 400  # on a page
    api_status = 422  # in the API

    def __init__(self, message: Any, code: str | None = None, params: Any = None) -> None:
        super().__init__(message, code or self.kind, params)


class Forbidden(Refusal, PermissionDenied):
    """The actor may not do this (无权办理): no role in the case's jurisdiction, the case
    signed for by someone else, another department's record."""

    kind = "forbidden"
    status = api_status = 403


class NotFound(Refusal, Http404):
    """A reference names nothing the actor may see (查无此项): an unknown code or number.
    The same answer as a record outside the actor's scope, so existence is not revealed."""

    kind = "not_found"
    status = api_status = 404


class Conflict(Refusal):
    """The record is not in a state that allows this (状态冲突): the case is closed or in
    another step, the thing was already done, a stored file no longer matches its digest."""

    kind = "conflict"
    status = api_status = 409


class Invalid(Refusal):
    """The input is wrong (填写有误), usually per field: ``Invalid({"name": "…"})``."""

    kind = "invalid"
    status = 400
    api_status = 422


class RateLimited(Refusal):
    """Too many attempts in too short a time (过于频繁); try again later."""

    kind = "rate_limited"
    status = api_status = 429


def kind_of(exc: ValidationError) -> type[Refusal]:
    """The typed error class a refusal belongs to; a plain ``ValidationError`` is
    ``Invalid``. A plain error wrapping typed ones (``ValidationError([Conflict(…)])``)
    takes the kind of the first typed one inside."""
    if isinstance(exc, Refusal):
        return type(exc)
    for inner in _leaves(exc):
        if isinstance(inner, Refusal):
            return type(inner)
    return Invalid


def error_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Each message of a refusal as an envelope detail: its field (``loc``), text and
    reason code (the message's own code, else the refusal's kind)."""
    kind = kind_of(exc).kind
    if hasattr(exc, "error_dict"):
        return [
            {"loc": [k], "msg": str(m), "code": e.code or kind}
            for k, errs in exc.error_dict.items()
            for e in errs
            for m in e
        ]
    return [{"loc": [], "msg": str(m), "code": e.code or kind} for e in exc.error_list for m in e]


def _leaves(exc: ValidationError) -> list[ValidationError]:
    if hasattr(exc, "error_dict"):
        return [e for errs in exc.error_dict.values() for e in errs]
    return list(exc.error_list)


def error_codes(exc: ValidationError) -> set[str]:
    """The reason codes of every error inside ``exc``."""
    return {e.code for e in _leaves(exc) if e.code}


def split_errors(exc: ValidationError) -> tuple[list[str], dict[str, list[str]]]:
    """(all messages for the summary, messages per field)."""
    if hasattr(exc, "error_dict"):
        per_field = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        return [m for v in per_field.values() for m in v], per_field
    return [str(m) for m in exc.messages], {}


def status_of(exc: ValidationError) -> int:
    """HTTP status of a refusal shown on a page (an ``Invalid`` is 400 there)."""
    return kind_of(exc).status


class PageRefusal(NamedTuple):
    """What a page shows for a refused action: the messages for the error summary, the
    messages per form field, and the status to answer with."""

    summary: list[str]
    fields: dict[str, list[str]]
    status: int


def refused(exc: ValidationError | PermissionDenied) -> PageRefusal:
    """The one mapping for pages: a refusal (typed or plain; a ``PermissionDenied`` too)
    as the messages and status the page re-renders with."""
    if isinstance(exc, ValidationError):
        summary, fields = split_errors(exc)
        return PageRefusal(summary, fields, status_of(exc))
    return PageRefusal([str(exc)] if str(exc) else [], {}, Forbidden.status)
