"""E-licences (电子证照): verification and issuing throughput against the raw SM2 operation
each one is built on, measured in the same run.

- ``verify_payload_per_s``: the full QR path — parse and check the identifier, load the
  licence, its seal and type (one query), read the stored PDF, SM3 over it, the content
  digest of the record, the seal maker's signature (cached per seal) and the SM2 verify of
  the sign data — against raw ``sm2_verify`` of a 32-byte message.
- ``verify_pdf_per_s``: the same for an uploaded PDF (found by its SM3 digest).
- ``verify_api_http_per_s``: ``POST /api/v1/licences/verify`` with the QR payload over
  HTTP, served by gunicorn with 2 worker processes (``bench.http``), 8 client threads —
  against a bare view on the same server doing one raw ``sm2_verify`` per request.
- ``issue_per_s``: ``do_issue_licence`` — identifier, counter, PDF with QR code and seal
  drawn by reportlab, SM3, SM2 signature, file write, rows, audit — against raw
  ``sm2_sign``.

Rates alternate in short slices with their baseline; medians of the paired slices are
compared.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Callable

from bench.common import rate, result


def _loop(fn: Callable[[], object], n: int) -> Callable[[], int]:
    def run() -> int:
        for _ in range(n):
            fn()
        return n

    return run


def _paired(op: Callable[[], int], base: Callable[[], int], rounds: int, seconds: float):
    values, baselines = [], []
    for _ in range(rounds):
        baselines.append(rate(base, seconds))
        values.append(rate(op, seconds))
    return statistics.median(values), statistics.median(baselines)


def _setup():
    from django.conf import settings

    from yiwang.core.actions.org import do_seed_org
    from yiwang.licences.actions import do_seed_licence_types

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="yiwang-bench-media-")
    do_seed_org(actor=None, townships=False)
    do_seed_licence_types(actor=None)


def _issue_one(n: list[int]):
    from yiwang.core.identifiers import make_credit_code
    from yiwang.licences.actions import do_issue_licence

    n[0] += 1
    code = make_credit_code("91", "410800", f"MA{n[0]:06d}")
    return do_issue_licence(
        actor=None,
        licence_type="food_business",
        holder_name=f"焦作基准食品有限公司{n[0]}",
        holder_id=code,
        holder_id_type="001",
        data={
            "legal_rep": "王五",
            "address": "河南省焦作市解放区民主南路 88 号",
            "main_form": "食品销售经营者",
            "items": "预包装食品销售（含冷藏冷冻食品）",
        },
        source="bench",
    )


def application():
    """gunicorn's application factory: the platform plus ``/bare/sm2``, a view that only
    verifies one SM2 signature (the HTTP baseline)."""
    import sys
    import types

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.http import JsonResponse
    from django.urls import include, path

    from yiwang.core import crypto

    key = crypto.generate_sm2_private()
    public, message = key.public_key(), os.urandom(32)
    signature = crypto.sm2_sign(key, message)

    def bare(request):
        return JsonResponse({"valid": crypto.sm2_verify(public, signature, message)})

    module = types.ModuleType("bench_licence_urls")
    module.urlpatterns = [path("bare/sm2", bare), path("", include("yiwang.urls"))]  # type: ignore[attr-defined]
    sys.modules["bench_licence_urls"] = module
    settings.ROOT_URLCONF = "bench_licence_urls"
    return get_wsgi_application()


def _http(payload: str, rounds: int, seconds: float) -> dict:
    """The verification API against the bare SM2 view, 2 gunicorn workers, slices taking
    turns; medians."""
    import json

    from django.conf import settings
    from django.db import connection

    from bench.http import Server, load

    connection.close()
    body = json.dumps({"payload": payload}).encode()
    json_headers = {"Content-Type": "application/json"}
    env = {
        "YIWANG_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "YIWANG_LICENCE_VERIFY_PER_MINUTE": str(10**9),
    }
    api, bare = [], []
    with Server("bench.licences_bench:application()", workers=2, threads=4, env=env) as srv:
        load(srv.port, lambda i: ("GET", "/bare/sm2", b"", {}), 8, 0.5)
        load(srv.port, lambda i: ("POST", "/api/v1/licences/verify", body, json_headers), 8, 0.5)
        for _ in range(rounds):
            bare.append(load(srv.port, lambda i: ("GET", "/bare/sm2", b"", {}), 8, seconds))
            api.append(
                load(
                    srv.port,
                    lambda i: ("POST", "/api/v1/licences/verify", body, json_headers),
                    8,
                    seconds,
                )
            )
        label = srv.label

    def med(runs, key):
        return statistics.median(r[key] for r in runs)

    return {
        "api": med(api, "rate"),
        "bare": med(bare, "rate"),
        "api_p99": med(api, "p99"),
        "server": label,
    }


def run(quick: bool = False) -> list[dict]:
    from yiwang.core import crypto
    from yiwang.licences import verify
    from yiwang.licences.models import Licence

    _setup()
    rounds, seconds = (3, 0.2) if quick else (5, 0.6)
    message = os.urandom(32)
    key = crypto.generate_sm2_private()
    public = key.public_key()
    signature = crypto.sm2_sign(key, message)
    sign_fn = _loop(lambda: crypto.sm2_sign(key, message), 10)
    verify_fn = _loop(lambda: crypto.sm2_verify(public, signature, message), 10)

    counter = [0]
    for _ in range(20 if quick else 200):  # a library to look licences up in
        _issue_one(counter)
    licence = Licence.objects.order_by("pk").last()
    payload = f"{licence.identifier} {licence.token}"
    with licence.pdf.open("rb") as fh:
        pdf = fh.read()
    assert verify.verify_payload(payload).result == "valid"
    assert verify.verify_pdf(pdf).result == "valid"

    out = []
    value, base = _paired(
        _loop(lambda: verify.verify_payload(payload), 10), verify_fn, rounds, seconds
    )
    out.append(result("verify_payload_per_s", value, "ops/s", base, "sm2_verify_per_s"))
    value, base = _paired(_loop(lambda: verify.verify_pdf(pdf), 10), verify_fn, rounds, seconds)
    out.append(
        result("verify_pdf_per_s", value, "ops/s", base, "sm2_verify_per_s", pdf_bytes=len(pdf))
    )
    served = _http(payload, 3 if quick else 5, 1.0 if quick else 3.0)
    out.append(
        result(
            "verify_api_http_per_s",
            served["api"],
            "req/s",
            served["bare"],
            "bare_sm2_verify_http_per_s",
            p99_ms=round(served["api_p99"], 1),
            server=served["server"],
            clients=8,
        )
    )
    value, base = _paired(_loop(lambda: _issue_one(counter), 2), sign_fn, rounds, seconds * 2)
    out.append(
        result(
            "issue_per_s",
            value,
            "ops/s",
            base,
            "sm2_sign_per_s",
            licences=Licence.objects.count(),
        )
    )
    return out
