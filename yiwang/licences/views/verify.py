"""证照核验 page (public, no login): paste or scan the QR payload, type an identifier, or
upload the PDF. Inputs are bounded and each network address has a per-minute budget."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from yiwang.core.identity.views import client_ip
from yiwang.core.ratelimit import spend
from yiwang.licences import verify as core_verify

RESULT_CLASSES = {
    "valid": "ok",
    "forged": "error",
    "suspended": "warn",
    "revoked": "error",
    "cancelled": "error",
    "expired": "warn",
    "invalid": "warn",
}


class Refused(Exception):
    """An input refused before any verification (status + Chinese message)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def max_bytes() -> int:
    return int(settings.YIWANG["LICENCE_VERIFY_MAX_BYTES"])


def spend_budget(request: HttpRequest) -> None:
    """Count one verification against the caller's address; Refused(429) over budget."""
    limit = int(settings.YIWANG["LICENCE_VERIFY_PER_MINUTE"])
    if not spend("licence-verify", client_ip(request), limit):
        raise Refused(429, _("核验过于频繁：每分钟最多 %(n)s 次，请稍后再试。") % {"n": limit})


def read_upload(upload) -> bytes:
    """The uploaded file's bytes, refusing anything over the size bound (413)."""
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise Refused(
            413, _("文件过大：核验上传的证照文件不能超过 %(n)s MB。") % {"n": limit // 1024**2}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise Refused(
            413, _("文件过大：核验上传的证照文件不能超过 %(n)s MB。") % {"n": limit // 1024**2}
        )
    if not data:
        raise Refused(400, _("上传的文件是空的。"))
    return data


def run(request: HttpRequest, *, payload: str = "", upload=None) -> core_verify.Verdict:
    """Budget, then verify the file or the payload; BadPayload becomes Refused(400)."""
    spend_budget(request)
    try:
        if upload is not None:
            return core_verify.verify_pdf(read_upload(upload))
        return core_verify.verify_payload(payload)
    except core_verify.BadPayload as exc:
        raise Refused(400, exc.messages[0]) from None


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
