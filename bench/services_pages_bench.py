"""Server time of the public services pages with the city-scale service catalogue
(``seed_services_demo(scale="city")``: the items of every county, a few hundred) and a few
hundred open cases: the 办事指南, the service hall search, the application form (when the
applications area is installed), a staff member's inbox, and the licence verification page
(when the licences room is installed). Each page is requested in turn, round after round,
through Django's test client (the full middleware stack, in-process); p50 and p95 of each
are reported with their ratio to the same percentile of a trivial page measured in the
same rounds: the portal home ``/`` for an anonymous visitor (the base layout rendered, no
query). ``/healthz`` (one ``SELECT 1``, JSON) is reported too, for reference."""

from __future__ import annotations

import statistics
import time

from bench.common import result

GUIDE = "410800-XK-0101-01"  # 食品经营许可（新办）: six materials, three steps, a form


def _setup(open_cases: int) -> dict:
    from yiwang.core.actions.demo import do_seed_demo
    from yiwang.core.actions.workflow import do_load_workflows, do_start_case
    from yiwang.core.models import User
    from yiwang.licences.actions.catalogue import do_seed_licence_types
    from yiwang.services.demo import seed_services_demo

    do_seed_demo(actor=None, people=20, enterprises=5)
    do_load_workflows(actor=None)
    # Items that issue a licence are published only once its type is in the 证照目录.
    do_seed_licence_types(actor=None)
    counts = seed_services_demo(scale="city")
    try:
        from yiwang.licences.demo import seed_demo_licences

        seed_demo_licences()
    except ImportError:
        pass
    clerk = User.objects.get(username="jiaozuo_market_window_clerk")
    unit = clerk.org_unit
    citizens = list(User.objects.filter(kind="citizen").order_by("username")[:20])
    for n in range(open_cases):
        do_start_case(
            actor=None,
            workflow_code="generic_approval",
            title=f"食品经营许可（新办）{n + 1}",
            division=unit.division,
            department=unit.department,
            applicant=citizens[n % len(citizens)],
        )
    return {"clerk": clerk, "citizen": citizens[0], "items": counts["items"]}


def _resolves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(quick: bool = False) -> list[dict]:
    from django.test import Client

    from yiwang.services.models import ServiceItem

    rounds = 30 if quick else 200
    ctx = _setup(open_cases=50 if quick else 300)
    anon, citizen, clerk = Client(), Client(), Client()
    citizen.force_login(ctx["citizen"])
    clerk.force_login(ctx["clerk"])
    pages: dict[str, tuple] = {
        "baseline_home": (anon, "/"),
        "healthz": (anon, "/healthz"),
        "service_guide": (anon, f"/services/items/{GUIDE}/"),
        "service_search": (anon, "/services/items/?q=食品经营"),
        "service_hall": (anon, "/services/"),
        "staff_inbox": (clerk, "/inbox/"),
    }
    notes = []
    apply_path = f"/services/items/{GUIDE}/apply/"
    if _resolves(apply_path):
        pages["application_form"] = (citizen, apply_path)
    else:
        notes.append("application_form skipped: /services/items/<code>/apply/ not installed")
    if _resolves("/licences/verify/"):
        pages["licence_verify"] = (anon, "/licences/verify/")
    else:
        notes.append("licence_verify skipped: /licences/verify/ not installed")
    for name, (client, path) in pages.items():  # warm up; every page must answer 200
        status = client.get(path).status_code
        if status != 200:
            raise RuntimeError(f"{name}: {path} answered {status}")
    times: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(rounds):
        for name, (client, path) in pages.items():
            start = time.perf_counter()
            client.get(path)
            times[name].append((time.perf_counter() - start) * 1000)
    base50 = _percentile(times["baseline_home"], 0.5)
    base95 = _percentile(times["baseline_home"], 0.95)
    items = ServiceItem.objects.count()
    out = [
        result("baseline_home_p50", base50, "ms", rounds=rounds, items=items, notes=notes or None),
        result("baseline_home_p95", base95, "ms"),
    ]
    for name, values in times.items():
        if name == "baseline_home":
            continue
        out.append(result(f"{name}_p50", _percentile(values, 0.5), "ms", base50, "home_p50"))
        out.append(result(f"{name}_p95", _percentile(values, 0.95), "ms", base95, "home_p95"))
        out[-1]["mean_ms"] = round(statistics.fmean(values), 3)
    return out
