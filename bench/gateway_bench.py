"""Exchange gateway throughput: identity verification queries (核验) per second through
``POST /api/v1/exchange/person/verify`` — bearer token, grant lookup, field check, rate
counter, 用数记录 row and ledger entry per query — against a bare Django view doing the
same blind-index read, both served by one threaded WSGI server (a separate process) to 16
concurrent clients in the same run. Reports rates, p99 latency and their ratios."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import result

CLIENTS = 16
ROOT = Path(__file__).resolve().parent.parent


def _urls():
    """The platform's URLs plus one bare view (no auth, no grant, no logging)."""
    import types

    from django.http import JsonResponse
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    from yiwang.core.fields import index_for
    from yiwang.data.models import Person

    @csrf_exempt
    def bare(request):
        body = json.loads(request.body)
        row = (
            Person.objects.filter(
                id_number_index=index_for(Person, "id_number", body["key"].upper())
            )
            .values_list("name_index", flat=True)
            .first()
        )
        match = row is not None and row == index_for(Person, "name", body["claims"]["name"])
        return JsonResponse({"match": match})

    module = types.ModuleType("bench_gateway_urls")
    module.urlpatterns = [path("bare/verify", bare), path("", include("yiwang.urls"))]
    return module


def serve(port: int) -> None:
    """Child process: serve the platform with a thread per request (wsgiref + ThreadingMixIn)."""
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    sys.modules["bench_gateway_urls"] = _urls()
    settings.ROOT_URLCONF = "bench_gateway_urls"

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True
        request_queue_size = 128

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    httpd = make_server(
        "127.0.0.1", port, get_wsgi_application(), server_class=Server, handler_class=Quiet
    )
    print("ready", flush=True)
    httpd.serve_forever()


def _setup(n_people: int):
    from django.db import transaction
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.actions.users import do_create_staff
    from yiwang.core.models import OrgUnit
    from yiwang.core.synth import CitySynth
    from yiwang.data.actions.sharing import do_decide_share, do_request_share
    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import DataResource, ShareGrant
    from yiwang.data.registry import apply_rows, derive

    do_seed_org(actor=None, townships=False)
    do_seed_data_standards(actor=None)

    def staff(role, line):
        return do_create_staff(
            actor=None,
            username=f"bench-{role}-{line}".replace("_", "-"),
            full_name="基准",
            org_unit=OrgUnit.objects.get(department__code=f"410800-{line}", division="410800"),
            roles=[role],
            password="x",
            validate=False,
        )

    consumer, provider = (
        staff("data_steward", "civil_affairs"),
        staff("data_steward", "public_security"),
    )
    bureau = staff("bureau_admin", "big_data")
    resource = DataResource.objects.get(registry="person", status="published")
    people = list(CitySynth(7).people(n_people))
    rows = [derive("person", {"id_number": p["id_number"], "name": p["full_name"]}) for p in people]
    with transaction.atomic():
        for i in range(0, len(rows), 2000):
            apply_rows(
                registry="person",
                rows=rows[i : i + 2000],
                resource=resource,
                department=provider.org_unit.department,
            )
    today = timezone.localdate()
    req = do_request_share(
        actor=consumer,
        resource=resource,
        fields=["公民身份号码", "姓名"],
        purpose="基准测试：身份核验",
        legal_basis="基准",
        consumer_system="bench",
        starts_on=today,
        ends_on=today + dt.timedelta(days=30),
    ).request
    do_decide_share(actor=provider, request=req, action="provider_agree")
    grant = do_decide_share(actor=bureau, request=req, action="grant").grant
    ShareGrant.objects.filter(pk=grant.pk).update(rate_per_minute=10**9)
    token = AccessToken.objects.create(
        user=grant.client.user,
        application=grant.client.application,
        token="bench-gateway-token",
        scope="exchange",
        expires=timezone.now() + dt.timedelta(hours=2),
    )
    return [(p["id_number"], p["full_name"]) for p in people], token.token


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load(port: int, path: str, headers: dict, people: list, seconds: float):
    """16 client threads, one request at a time each, for ``seconds``; → (rate, p99 ms)."""
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(offset: int):
        mine, i = [], offset
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.perf_counter() < stop:
            idn, name = people[i % len(people)]
            i += CLIENTS
            body = json.dumps({"key": idn, "claims": {"name": name if i % 3 else "错名"}})
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body, {"Content-Type": "application/json", **headers})
                r = conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    errors.append(repr(exc))
                continue
            if r.status != 200:
                with lock:
                    errors.append(f"{r.status} {data[:200]!r}")
                continue
            mine.append(time.perf_counter() - t0)
            if r.getheader("Connection", "").lower() == "close" or r.version == 10:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors and len(errors) > len(latencies) // 100:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan")
    return len(latencies) / elapsed, p99, len(errors)


def run(quick: bool = False) -> list[dict]:
    from django.db import connection

    from yiwang.data.models import DataAccess

    people, token = _setup(2_000 if quick else 20_000)
    connection.close()
    seconds = 3.0 if quick else 10.0
    port = _free_port()
    # A thread per request: persistent connections would pile up, one per finished thread.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "YIWANG_DB_CONN_MAX_AGE": "0"}
    child = subprocess.Popen(
        [sys.executable, "-c", f"from bench.gateway_bench import serve; serve({port})"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        auth = {
            "Authorization": f"Bearer {token}",
            "X-Road-Client": "CN/GOV/410800-civil_affairs/bench",
        }
        _load(port, "/bare/verify", {}, people, 0.5)  # warm both paths
        _load(port, "/api/v1/exchange/person/verify", auth, people, 0.5)
        bare_rate, bare_p99, _ = _load(port, "/bare/verify", {}, people, seconds)
        before = DataAccess.objects.count()
        gw_rate, gw_p99, gw_errors = _load(
            port, "/api/v1/exchange/person/verify", auth, people, seconds
        )
        logged = DataAccess.objects.count() - before
    finally:
        child.terminate()
        child.wait(timeout=10)
    vendor = connection.vendor
    return [
        result("bare_view_verify", bare_rate, "req/s", clients=CLIENTS, db=vendor),
        result(
            "gateway_verify_authorised_logged",
            gw_rate,
            "req/s",
            bare_rate,
            "bare_view_verify",
            clients=CLIENTS,
            db=vendor,
            logged_rows=logged,
            errors=gw_errors,
        ),
        result("bare_view_verify_p99", bare_p99, "ms", db=vendor),
        result(
            "gateway_verify_p99",
            gw_p99,
            "ms",
            bare_p99,
            "bare_view_verify_p99",
            db=vendor,
        ),
    ]
