"""Elder mode (长辈模式): larger text and a simpler layout, chosen per browser or per user."""

from __future__ import annotations

from yiwang.core.middleware import ELDER_COOKIE as COOKIE

__all__ = ["COOKIE", "ElderModeMiddleware"]


class ElderModeMiddleware:
    """Sets ``request.elder_mode`` from the cookie (or the signed-in user's preference)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cookie = request.COOKIES.get(COOKIE)
        if cookie is not None:
            request.elder_mode = cookie == "1"
        else:
            user = getattr(request, "user", None)
            request.elder_mode = bool(user and user.is_authenticated and user.elder_mode)
        return self.get_response(request)
