"""URLconf for error-page tests: the real site plus views that fail on purpose."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from yiwang.urls import handler400, handler403, handler404, handler500  # noqa: F401
from yiwang.urls import urlpatterns as site


def boom(request):
    raise RuntimeError("failure on purpose")


def forbidden(request):
    raise PermissionDenied


def suspicious(request):
    raise SuspiciousOperation("bad on purpose")


urlpatterns = [
    path("test-boom/", boom),
    path("test-forbidden/", forbidden),
    path("test-bad/", suspicious),
    *site,
]
