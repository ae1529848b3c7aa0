"""Exchange gateway throughput: identity verification queries (核验) per second through
``POST /api/v1/exchange/person/verify`` — bearer token, grant lookup, field check, rate
counter, 用数记录 row and ledger entry per query — against a bare Django view doing the
same blind-index read, both served as in production (``bench.http``: gunicorn, 2 worker
processes × 8 threads, persistent database connections) to 16 concurrent clients in the
same run. Reports rates and p99 latency with their ratios: closed loop (each client sends
its next request as soon as the last is answered: the saturation rate) and paced (16
clients × 10 requests a second: the latency at a steady load below saturation)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

from bench.common import result

CLIENTS = 16
PACE = 10  # requests a second per client in the paced run (160/s offered)


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


def application():
    """gunicorn's application factory: the platform plus the bare view."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    django.setup()
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application

    sys.modules["bench_gateway_urls"] = _urls()
    settings.ROOT_URLCONF = "bench_gateway_urls"
    return get_wsgi_application()


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


def _requests(people: list, path: str, headers: dict):
    """Request ``i``: a person in turn, a third of them with a wrong name."""

    def request(i: int):
        idn, name = people[i % len(people)]
        body = json.dumps({"key": idn, "claims": {"name": name if i % 3 else "错名"}}).encode()
        return "POST", path, body, {"Content-Type": "application/json", **headers}

    return request


def run(quick: bool = False) -> list[dict]:
    from django.db import connection

    from bench.http import Server, load
    from yiwang.data.models import DataAccess

    people, token = _setup(2_000 if quick else 20_000)
    connection.close()
    seconds = 3.0 if quick else 10.0
    auth = {
        "Authorization": f"Bearer {token}",
        "X-Road-Client": "CN/GOV/410800-civil_affairs/bench",
    }
    bare = _requests(people, "/bare/verify", {})
    gateway = _requests(people, "/api/v1/exchange/person/verify", auth)
    with Server("bench.gateway_bench:application()", workers=2, threads=8) as srv:
        load(srv.port, bare, CLIENTS, 0.5)  # warm both paths
        load(srv.port, gateway, CLIENTS, 0.5)
        bare_run = load(srv.port, bare, CLIENTS, seconds)
        before = DataAccess.objects.count()
        gw_run = load(srv.port, gateway, CLIENTS, seconds)
        logged = DataAccess.objects.count() - before
        # The latency a client sees at a steady offered load below saturation:
        # 16 clients, PACE requests a second each.
        bare_paced = load(srv.port, bare, CLIENTS, seconds, pace=PACE)
        gw_paced = load(srv.port, gateway, CLIENTS, seconds, pace=PACE)
        server = srv.label
    vendor = connection.vendor
    common = {"clients": CLIENTS, "db": vendor, "server": server}
    return [
        result("bare_view_verify", bare_run["rate"], "req/s", **common),
        result(
            "gateway_verify_authorised_logged",
            gw_run["rate"],
            "req/s",
            bare_run["rate"],
            "bare_view_verify",
            logged_rows=logged,
            errors=gw_run["errors"],
            **common,
        ),
        result("bare_view_verify_p99", bare_run["p99"], "ms", **common),
        result(
            "gateway_verify_p99",
            gw_run["p99"],
            "ms",
            bare_run["p99"],
            "bare_view_verify_p99",
            **common,
        ),
        result(
            "gateway_verify_p99_paced",
            gw_paced["p99"],
            "ms",
            bare_paced["p99"],
            "bare_view_verify_p99_paced",
            offered_per_s=CLIENTS * PACE,
            gateway_p50_ms=round(gw_paced["p50"], 1),
            **common,
        ),
    ]
