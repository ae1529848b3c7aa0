"""证照核验 page (public, no login): paste or scan the QR payload, type an identifier, or
upload the PDF. Inputs are bounded and each network address has a per-minute budget."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from yiwang.core.errors import RateLimited
from yiwang.licences import verify as core_verify
from yiwang.licences.queries import Refused, max_bytes, run

RESULT_CLASSES = {
    "valid": "ok",
    "forged": "error",
    "suspended": "warn",
    "revoked": "error",
    "cancelled": "error",
    "expired": "warn",
    "invalid": "warn",
}


@csrf_protect
def verify_page(request: HttpRequest) -> HttpResponse:
    """GET with ?id=…&t=… (the QR code's URL) verifies at once; POST takes a pasted
    payload or an uploaded PDF."""
    verdict = None
    error = ""
    status = 200
    payload = ""
    try:
        if request.method == "POST":
            payload = request.POST.get("payload", "")[: core_verify.PAYLOAD_MAX + 1]
            upload = request.FILES.get("file")
            if upload is None and not payload.strip():
                raise Refused(400, _("请粘贴二维码内容、输入电子证照标识或上传证照文件。"))
            verdict = run(request, payload=payload, upload=upload)
        elif request.GET.get("id"):
            payload = request.get_full_path()
            verdict = run(request, payload=payload)
    except Refused as exc:
        error, status = exc.message, exc.status
    except RateLimited as exc:
        error, status = exc.messages[0], exc.status
    return render(
        request,
        "licences/verify.html",
        {
            "verdict": verdict,
            "info": verdict.public() if verdict else None,
            "css": RESULT_CLASSES.get(verdict.result, "") if verdict else "",
            "error": error,
            "payload": payload if request.method == "POST" else "",
            "max_mb": max_bytes() // 1024**2,
        },
        status=status,
    )


urlpatterns = [path("verify/", verify_page, name="verify")]
