"""The enrolment gate (动态口令启用检查): applies the staff 动态口令 requirement to every
request made with a session.

- Within the enrolment window, the first page a staff member without 动态口令 opens in a
  session sends them to the enrolment page, which says until when they may wait and lets
  them continue.
- After the window (at once for administrators), pages answer with the enrolment page
  and session calls to the API with 403 ``totp_required``, until they have enrolled.

Bearer-token calls are not sessions and are left to the token's own checks."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core.identity import enrolment

NUDGED_KEY = "yiwang_totp_nudged"
# Pages open to someone who must enrol: enrolment itself, signing in and out, the language.
OPEN_PAGES = ("core:totp", "core:login_totp", "web:login", "web:logout", "set_language")


def _open_paths() -> set[str]:
    return {reverse(name) for name in OPEN_PAGES}


def _silent(request: HttpRequest) -> bool:
    """A silent OIDC sign-in (``prompt=none``) shows no page: the authorization endpoint
    answers the relying party ``interaction_required`` itself."""
    return request.path == reverse("oauth2_provider:authorize") and "none" in (
        request.GET.get("prompt", "").split()
    )


def enrol_url(next_path: str = "") -> str:
    """The enrolment page, with where to go on afterwards."""
    url = reverse("core:totp")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def _refuse_api(request: HttpRequest) -> HttpResponse:
    message = _(
        "请先开启动态口令：本平台要求工作人员使用动态口令，启用前不能通过登录会话调用接口。"
    )
    body = {"error": {"code": "totp_required", "message": message, "details": []}}
    return JsonResponse(body, status=403, json_dumps_params={"ensure_ascii": False})


class StaffTOTPMiddleware:
    """Sends staff who must enrol in 动态口令 to the enrolment page (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not enrolment.applies_to(user) or user.totp_enabled:
            return self.get_response(request)
        answer = self._gate(request, user)
        return answer if answer is not None else self.get_response(request)

    def _gate(self, request: HttpRequest, user) -> HttpResponse | None:
        from yiwang.core.actions.identity import do_start_totp_window

        if user.totp_required_since is None:
            do_start_totp_window(actor=user, user=user)
        standing = enrolment.standing(user, timezone.now())
        if not standing.must_enrol or request.path in _open_paths() or _silent(request):
            return None
        is_api = request.path.startswith("/api/")
        if standing.blocked:
            if is_api:
                if request.headers.get("Authorization", "").lower().startswith("bearer "):
                    from django.contrib.auth.models import AnonymousUser

                    request.user = AnonymousUser()  # only the token may authenticate this call
                    return None
                return _refuse_api(request)
            return redirect(enrol_url(request.get_full_path() if request.method == "GET" else ""))
        if is_api or request.method != "GET" or request.session.get(NUDGED_KEY):
            return None
        request.session[NUDGED_KEY] = True
        return redirect(enrol_url(request.get_full_path()))
