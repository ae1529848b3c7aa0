"""The platform API under /api/v1/ (django-ninja): session or bearer auth, one error
envelope ``{"error": {"code", "message", "details"}}``, OpenAPI 3 for free."""

from __future__ import annotations

from functools import lru_cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from yiwang.core import rooms
from yiwang.core.errors import Conflict, Forbidden, error_details, kind_of
from yiwang.core.identity.tokens import BearerAuth, enforce_scopes_first

api = NinjaAPI(
    title="Yiwang 一网 API",
    version="1",
    description="焦作一网平台接口：组织机构、当前用户、待办、审计账本。",
    auth=[BearerAuth(), django_auth],  # bearer first: token POSTs skip CSRF
    urls_namespace="api",
)


def error(request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request,
        {"error": {"code": code, "message": message, "details": details or []}},
        status=status,
    )


# Localised messages for the common validation error types (pydantic's are English).
FIELD_ERRORS = {
    "missing": N_("此项为必填项。"),
    "int_parsing": N_("应为整数。"),
    "int_type": N_("应为整数。"),
    "float_parsing": N_("应为数字。"),
    "bool_parsing": N_("应为是或否。"),
    "string_type": N_("应为文本。"),
    "string_too_short": N_("内容过短。"),
    "string_too_long": N_("内容过长。"),
    "string_pattern_mismatch": N_("格式不正确。"),
    "date_from_datetime_parsing": N_("日期格式不正确。"),
    "date_parsing": N_("日期格式不正确。"),
    "datetime_parsing": N_("时间格式不正确。"),
    "enum": N_("不是允许的取值。"),
    "literal_error": N_("不是允许的取值。"),
    "json_invalid": N_("不是有效的 JSON。"),
    "model_attributes_type": N_("应为对象。"),
    "dict_type": N_("应为对象。"),
    "list_type": N_("应为列表。"),
    "greater_than_equal": N_("数值过小。"),
    "less_than_equal": N_("数值过大。"),
}


def _field_message(e: dict) -> str:
    known = FIELD_ERRORS.get(e.get("type", ""))
    return _(known) if known else str(e.get("msg", ""))


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    details = [
        {
            "loc": [str(p) for p in e.get("loc", [])],
            "msg": _field_message(e),
            "type": e.get("type", ""),
        }
        for e in exc.errors
    ]
    return error(request, 422, "invalid", _("请求内容不符合要求。"), details)


@lru_cache(maxsize=8)
def _reason_code_prefixes(root: str) -> tuple[str, ...]:
    """Full paths of the API areas whose room declared (``api_reason_codes``) that a 403
    or 409 answers with the step's own reason code instead of the kind."""
    return tuple(root + p for p in rooms.api_reason_code_paths())


def _reason_codes(request) -> bool:
    return request.path.startswith(_reason_code_prefixes(reverse("api:api-root")))


@api.exception_handler(ValidationError)
def _refused(request, exc: ValidationError):
    """The one mapping of a refused action: its kind gives the status and the code
    (``forbidden`` 403, ``not_found`` 404, ``conflict`` 409, ``invalid`` 422,
    ``rate_limited`` 429; a plain ``ValidationError`` is ``invalid``), each message is a
    detail with its field and reason code."""
    kind = kind_of(exc)
    details = error_details(exc)
    message = details[0]["msg"] if details else _("请求内容不符合要求。")
    code = kind.kind
    if kind in (Forbidden, Conflict) and details and _reason_codes(request):
        code = next(d["code"] for d in details)
    return error(request, kind.api_status, code, message, details)


@api.exception_handler(OverflowError)
def _out_of_range(request, exc: OverflowError):
    """An identifier beyond the database's integer range names no record."""
    return error(request, 404, "not_found", _("未找到该记录，或您无权查看。"))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error(request, 401, "unauthenticated", _("请先登录或提供有效的访问令牌。"))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return error(request, 403, "forbidden", str(exc) or _("您没有执行此操作的权限。"))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error(request, 404, "not_found", str(exc) or _("未找到该记录，或您无权查看。"))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        429: "rate_limited",
    }
    message = str(exc)
    if exc.status_code == 400 and message == "Cannot parse request body":
        message = _("请求体不是有效的 JSON。")
    return error(request, exc.status_code, codes.get(exc.status_code, "error"), message)


def _register() -> None:
    """Mount every installed room's routers, in settings order (``yiwang.core.rooms``)."""
    from yiwang.core.rooms import api_registrars

    for register in api_registrars():
        register(api)
    enforce_scopes_first(api)


_register()
