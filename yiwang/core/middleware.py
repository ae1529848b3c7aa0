"""Request middleware of the core room."""

from __future__ import annotations

from django.contrib.auth import logout

EPOCH_KEY = "yiwang_epoch"


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
