"""Friendly error pages (400/403/404/500) in the user's language; under /api/ the same
errors answer in the API's JSON envelope instead of HTML."""

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def _api_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "details": []}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _page(request, status: int, template: str):
    return render(request, template, status=status)


def bad_request(request, exception=None):
    too_big = isinstance(exception, RequestDataTooBig)
    if request.path.startswith(API_PREFIX):
        if too_big:
            return _api_error(413, "too_large", _("请求内容过大。"))
        return _api_error(400, "bad_request", _("请求有误。"))
    if too_big:
        return render(request, "web/errors/413.html", status=413)
    return _page(request, 400, "web/errors/400.html")


def forbidden(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return _api_error(403, "forbidden", _("您没有执行此操作的权限。"))
    return _page(request, 403, "web/errors/403.html")


def csrf_failure(request, reason: str = "", template_name: str = ""):
    """A form sent with a missing or stale CSRF token (a page left open, a sign-in in
    another tab): 403 in the site's shell with what to do, instead of Django's page."""
    if request.path.startswith(API_PREFIX):
        return _api_error(403, "csrf_failed", _("请求来源校验失败，请刷新页面后重试。"))
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return render(request, "web/errors/csrf.html", {"back": back}, status=403)


def not_found(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return _api_error(404, "not_found", _("接口不存在。"))
    return _page(request, 404, "web/errors/404.html")


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return _api_error(500, "server_error", _("服务暂时出现问题，请稍后再试。"))
    try:
        return _page(request, 500, "web/errors/500.html")
    except Exception:  # the shell itself may be what failed (e.g. the database is down)
        return _bare_500()


def _bare_500():
    """A self-contained 500 page that needs no database, session or context processor."""
    from django.http import HttpResponseServerError
    from django.utils.html import escape
    from django.utils.translation import get_language

    title, text = _("系统繁忙"), _("服务暂时出现问题，我们已记录，请稍后再试。")
    lang = "zh-Hans" if (get_language() or "").startswith("zh") else "en"
    return HttpResponseServerError(
        f'<!doctype html><html lang="{lang}"><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<h1>{escape(title)} <small>(500)</small></h1><p>{escape(text)}</p>"
        f'<p><a href="/">{escape(_("返回首页"))}</a></p></html>'
    )
