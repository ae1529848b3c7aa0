"""The platform API under /api/v1/ (django-ninja): session or bearer auth, one error
envelope ``{"error": {"code", "message", "details"}}``, OpenAPI 3 for free."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import django_auth

from yiwang.core.identity.tokens import BearerAuth

api = NinjaAPI(
    title="Yiwang 一网 API",
    version="1",
    description="焦作一网平台接口：组织机构、当前用户、待办、审计账本。",
    auth=[django_auth, BearerAuth()],
    urls_namespace="api",
)


def error(request, status: int, code: str, message: str, details=None):
    return api.create_response(
        request,
        {"error": {"code": code, "message": message, "details": details or []}},
        status=status,
    )


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    details = [
        {"loc": [str(p) for p in e.get("loc", [])], "msg": str(e.get("msg", ""))}
        for e in exc.errors
    ]
    return error(request, 422, "invalid", _("请求内容不符合要求。"), details)


@api.exception_handler(ValidationError)
def _domain_invalid(request, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        details = [{"loc": [k], "msg": str(m)} for k, v in exc.message_dict.items() for m in v]
    else:
        details = [{"loc": [], "msg": str(m)} for m in exc.messages]
    message = details[0]["msg"] if details else _("请求内容不符合要求。")
    return error(request, 422, "invalid", message, details)


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
    return error(request, exc.status_code, codes.get(exc.status_code, "error"), str(exc))


def _register() -> None:
    from yiwang.core.api import register

    register(api)


_register()
