"""Request overhead: an authenticated, access-checked (and, for reveal, audited) API read
against a bare Django view doing the same indexed query, through the same middleware."""

from __future__ import annotations

import datetime as dt
import json

from bench.common import rate, result


def _bare_urls():
    """A URLconf with the platform's URLs plus one bare view (no auth, no access rules)."""
    import types

    from django.http import JsonResponse
    from django.urls import include, path

    from yiwang.core.models import User

    def bare(request, pk: int):
        u = User.objects.only("id", "username", "full_name", "phone").get(pk=pk)
        return JsonResponse({"id": u.id, "username": u.username, "phone": u.phone})

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [path("bare/<int:pk>", bare), path("", include("yiwang.urls"))]
    return module


def _setup():
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.actions.users import do_create_staff, do_grant_role
    from yiwang.core.models import OrgUnit

    do_seed_org(actor=None, townships=False)
    unit = OrgUnit.objects.get(department__code="410823-market")
    admin = do_create_staff(
        actor=None,
        username="bench-admin",
        full_name="基准管理员",
        org_unit=unit,
        roles=["dept_admin"],
        password="x",
        validate=False,
    )
    do_grant_role(actor=None, user=admin, role="window_clerk")
    member = do_create_staff(
        actor=None,
        username="bench-member",
        full_name="被查人员",
        org_unit=unit,
        roles=["window_clerk"],
        password="x",
        phone="13900001111",
        validate=False,
    )
    token = AccessToken.objects.create(
        user=admin,
        token="bench-token",
        scope="org read write",
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    return member, token.token


def statements(fn) -> int:
    """SQL statements one call of ``fn`` makes (after a warm-up call)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries.captured_queries)


def paired(fns: dict, rounds: int, seconds: float) -> dict[str, float]:
    """Rates of each call in ``fns``, measured in short slices that take turns (the
    machine's load changes between slices, not between the calls), medians of the rounds."""
    import statistics

    seen: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            seen[name].append(rate(fn, seconds))
    return {name: statistics.median(values) for name, values in seen.items()}


def run(quick: bool = False) -> list[dict]:
    import sys

    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    member, token = _setup()
    rounds, seconds = (3, 0.2) if quick else (7, 0.4)
    sys.modules["bench_urls"] = _bare_urls()
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    body = json.dumps({"field": "phone", "purpose": "基准测试"})

    def bare():
        assert client.get(f"/bare/{member.pk}").status_code == 200
        return 1

    def api_read():
        assert client.get(f"/api/v1/org/staff/{member.pk}", **auth).status_code == 200
        return 1

    def api_reveal():
        response = client.post(
            f"/api/v1/org/staff/{member.pk}/reveal", body, content_type="application/json", **auth
        )
        assert response.status_code == 200, response.content
        return 1

    with override_settings(ROOT_URLCONF="bench_urls", ALLOWED_HOSTS=["testserver"]):
        counts = {name: statements(fn) for name, fn in (("bare", bare), ("read", api_read))}
        counts["reveal"] = statements(api_reveal)
        rates = paired({"bare": bare, "read": api_read, "reveal": api_reveal}, rounds, seconds)
    db = connection.vendor
    return [
        result("bare_view_read", rates["bare"], "req/s", db=db, statements=counts["bare"]),
        result(
            "api_read_authenticated_scoped",
            rates["read"],
            "req/s",
            rates["bare"],
            "bare_view_read",
            db=db,
            statements=counts["read"],
        ),
        result(
            "api_read_audited_unmask",
            rates["reveal"],
            "req/s",
            rates["bare"],
            "bare_view_read",
            db=db,
            statements=counts["reveal"],
        ),
    ]
