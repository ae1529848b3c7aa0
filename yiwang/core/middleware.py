"""Request middleware of the core room."""

from __future__ import annotations

import logging

from django.contrib.auth import logout

logger = logging.getLogger(__name__)

EPOCH_KEY = "yiwang_epoch"

# The cookie carrying a browser's elder-mode choice (长辈模式): set by the identity pages,
# read by the shell's middleware. Kept here so core never reaches into the shell.
ELDER_COOKIE = "yiwang_elder"


class SessionEpochMiddleware:
    """Ends sessions started before the user's last "log out everywhere" (全部下线)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            epoch = request.session.get(EPOCH_KEY)
            if epoch is None:
                request.session[EPOCH_KEY] = user.session_epoch
            elif epoch != user.session_epoch:
                logout(request)
        return self.get_response(request)


class RejectNulMiddleware:
    """Refuses (400) requests carrying NUL characters in the path, query, form or JSON body:
    no legitimate input has them, and PostgreSQL cannot store them, so they would otherwise
    surface as server errors deep inside a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            from django.core.exceptions import SuspiciousOperation

            raise SuspiciousOperation("NUL character in request")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method in ("POST", "PUT", "PATCH"):
            content_type = request.content_type or ""
            if content_type == "application/json":
                return b"\\u0000" in request.body or b"\x00" in request.body
            if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                return any("\x00" in v for values in request.POST.lists() for v in values[1])
        return False


class RefusalMiddleware:
    """Pages: a refused action that no view caught answers by its kind — the messages on
    an error page with the refusal's status (409 for a ``Conflict``, 400 for an
    ``Invalid`` …). ``Forbidden`` and ``NotFound`` are left to Django's own 403 and 404
    pages; under /api/ the API's envelope answers instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import PermissionDenied, ValidationError
        from django.http import Http404
        from django.shortcuts import render

        from yiwang.core.errors import refused

        if not isinstance(exception, ValidationError) or request.path.startswith("/api/"):
            return None
        if isinstance(exception, (PermissionDenied, Http404)):
            return None
        summary, _fields, status = refused(exception)
        # A view that lets a refusal through may have meant to catch it: keep a trace.
        logger.warning(
            "refusal not handled by the view: %s %s -> %s %s",
            request.method,
            request.path,
            status,
            "; ".join(summary),
        )
        return render(
            request, "core/refused.html", {"errors": summary, "status": status}, status=status
        )


API_PREFIX = "/api/"


class ApiEnvelopeMiddleware:
    """接口错误信封: under /api/, a 404 (no such path) or 405 (the path exists, the method
    does not) that reached the response as HTML — django-ninja's bare "Method not
    allowed", Django's technical 404 page with DEBUG — is answered in the API's one error
    envelope ``{"error": {"code", "message", "details"}}`` instead, keeping ``Allow``.
    JSON answers (the API's own refusals, the 404 handler's) pass untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code in (404, 405)
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self._envelope(request, response)
        return response

    @staticmethod
    def _envelope(request, response):
        from django.http import JsonResponse
        from django.utils.translation import gettext as _

        if response.status_code == 404:
            code, message = "not_found", _("接口不存在。")
        else:
            code = "method_not_allowed"
            message = _("该接口不支持 %(method)s 请求方法。") % {"method": request.method[:10]}
        body = {"error": {"code": code, "message": message, "details": []}}
        answer = JsonResponse(body, status=response.status_code)
        if response.has_header("Allow"):
            answer["Allow"] = response["Allow"]
        return answer
