"""证照核验 page (public, no login): paste or scan the QR payload, type an identifier,
upload the PDF, or check a holder's 亮证 code (its QR link or the 8-digit code). Inputs are bounded and each network address has a per-minute budget."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.csrf import csrf_protect

from yiwang.core.errors import RateLimited
from yiwang.core.forms import add_errors
from yiwang.licences import showing
from yiwang.licences.actions.reads import do_record_verification
from yiwang.licences.forms import VerifyForm
from yiwang.licences.queries import Refused, max_bytes, run, spend_budget
from yiwang.licences.verify import Verdict

RESULT_CLASSES = {
    "valid": "ok",
    "forged": "error",
    "suspended": "warn",
    "revoked": "error",
    "cancelled": "error",
    "expired": "warn",
    "invalid": "warn",
    "show_expired": "warn",
}


def _verify_showing(request: HttpRequest, *, token: str = "", code: str = "") -> tuple:
    """亮证: a QR token (``?c=``) or the 8-digit code, counted against the same budget."""
    try:
        spend_budget(request)
    except RateLimited as exc:
        return None, exc.messages, exc.status
    verdict = showing.verify_token(token) if token else showing.verify_code(code)
    return verdict, [], 200


def _verify_form(request: HttpRequest, form: VerifyForm) -> tuple[Verdict | None, int]:
    """Verify what the form sent: (the verdict, the status). A refusal goes onto the form,
    on the input it is about (the file when one was sent, else the pasted content)."""
    if not form.is_valid():
        return None, 400
    upload = form.cleaned_data["file"]
    try:
        return run(request, payload=form.cleaned_data["payload"], upload=upload), 200
    except Refused as exc:
        form.add_error("file" if upload is not None else "payload", exc.message)
        return None, exc.status
    except RateLimited as exc:
        add_errors(form, exc)
        return None, exc.status


@csrf_protect
def verify_page(request: HttpRequest) -> HttpResponse:
    """GET with ?id=…&t=… (the QR code's URL) verifies at once; POST takes a pasted
    payload or an uploaded PDF, and a refused one shows the form again with the error
    summary, the message on its input and the pasted content kept."""
    max_mb = max_bytes() // 1024**2
    verdict = None
    errors: list[str] = []
    status = 200
    if request.method == "POST" and "show_code" in request.POST:
        form = VerifyForm(max_mb=max_mb)
        verdict, errors, status = _verify_showing(request, code=request.POST["show_code"])
    elif request.method == "POST":
        form = VerifyForm(request.POST, request.FILES, max_mb=max_mb)
        verdict, status = _verify_form(request, form)
    else:
        form = VerifyForm(max_mb=max_mb)
        if request.GET.get("c"):
            verdict, errors, status = _verify_showing(request, token=request.GET["c"])
        elif request.GET.get("id"):
            try:
                verdict = run(request, payload=request.get_full_path())
            except Refused as exc:
                errors, status = [exc.message], exc.status
            except RateLimited as exc:
                errors, status = exc.messages, exc.status
    if verdict is not None:
        do_record_verification(actor=request.user, verdict=verdict)
    return render(
        request,
        "licences/verify.html",
        {
            "verdict": verdict,
            "info": verdict.public() if verdict else None,
            "css": RESULT_CLASSES.get(verdict.result, "") if verdict else "",
            "form": form,
            "errors": errors,
        },
        status=status,
    )


urlpatterns = [path("verify/", verify_page, name="verify")]
