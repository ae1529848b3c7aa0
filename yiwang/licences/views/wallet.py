"""证照夹 (licence wallet): a citizen or enterprise sees the licences they hold, their QR
code, shows one with a one-minute code (亮证) and downloads the sealed PDF. Anyone
else's licence is a 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _

from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.identity import assurance
from yiwang.core.identity.totp import qr_svg_data_uri
from yiwang.licences import access
from yiwang.licences.actions.licences import verify_url
from yiwang.licences.actions.showings import do_show_licence
from yiwang.licences.models import Licence
from yiwang.licences.queries import data_rows
from yiwang.licences.showing import SHOW_SECONDS


def _holder(request: AuthenticatedHttpRequest) -> HttpResponse | None:
    """Citizens and enterprises only; below 实名 the page says how to get there."""
    if request.user.kind not in ("citizen", "enterprise"):
        raise PermissionDenied(_("证照夹供群众和企业查看本人（本单位）持有的证照。"))
    if not assurance.is_verified(request.user):
        return assurance.refusal_page(request, _("证照夹"))
    return None


def _own(request: HttpRequest, pk: int) -> Licence:
    obj = (
        access.own_licences(request.user)
        .select_related("licence_type", "seal")
        .filter(pk=pk)
        .first()
    )
    if obj is None:
        raise Http404(_("未找到该证照，或它不属于您。"))
    return obj


@login_required
def wallet(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的证照: every licence held, newest first, with its status."""
    if refusal := _holder(request):
        return refusal
    licences = access.own_licences(request.user).select_related("licence_type")
    return render(request, "licences/wallet.html", {"licences": licences})


@login_required
def wallet_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One licence: the face data, the QR code to show at a counter, download."""
    if refusal := _holder(request):
        return refusal
    licence = _own(request, pk)
    url = verify_url(licence.identifier, licence.token)
    return render(
        request,
        "licences/wallet_detail.html",
        {
            "licence": licence,
            "rows": data_rows(licence, clear=True),  # the holder's own licence
            "qr": qr_svg_data_uri(url),
            "verify_url": url,
        },
    )


@login_required
def wallet_show(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """亮证: a QR code and an 8-digit code valid for one minute. Each opening makes a
    new code; the page's script fetches the next one before this one expires, and
    without scripts the page reloads itself."""
    if refusal := _holder(request):
        return refusal
    licence = _own(request, pk)
    shown = do_show_licence(actor=request.user, licence=licence)
    url = (
        request.build_absolute_uri(reverse("licences:verify")) + "?" + urlencode({"c": shown.token})
    )
    response = render(
        request,
        "licences/wallet_show.html",
        {
            "licence": licence,
            "shown": shown,
            "qr": qr_svg_data_uri(url),
            "refresh_in": max(shown.seconds_left - 5, 1),
            "show_seconds": SHOW_SECONDS,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def wallet_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    """Download one's own sealed licence file."""
    if refusal := _holder(request):
        return refusal
    licence = _own(request, pk)
    return pdf_response(licence)


def pdf_response(licence: Licence) -> FileResponse:
    try:
        handle = licence.pdf.open("rb")
    except (OSError, ValueError):
        raise Http404(_("证照文件不存在。")) from None
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"{licence.licence_type.name}-{licence.number}.pdf",
        content_type="application/pdf",
    )


urlpatterns = [
    path("wallet/", wallet, name="wallet"),
    path("wallet/<int:pk>/", wallet_detail, name="wallet-detail"),
    path("wallet/<int:pk>/pdf", wallet_pdf, name="wallet-pdf"),
    path("wallet/<int:pk>/show/", wallet_show, name="wallet-show"),
]
