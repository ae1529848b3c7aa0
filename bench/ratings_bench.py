"""好差评 statistics at city scale: ratings aggregated per second by ``rating_stats`` (per
department, per item, per staff member over a year, 差评 joined to their rectification
cases for the 整改率) against a plain ``COUNT(*)`` over the same rows measured in the
same run; ``ratio`` = aggregated rows per second / counted rows per second. Also the
public statistics page, live and from its cache, against the portal home page
(requests per second).

The rows are bulk-inserted (setup, not timed): ``BENCH_RATINGS`` ratings (default
200 000, 20 000 with ``--quick``) over 60 items of 20 departments and 200 staff, spread
over twelve months, 6 % 差评 each with a rectification case. SQLite runs in this
process; PostgreSQL (when reachable) in a child process against a database created and
dropped here (``BENCH_PG_URL``, default postgres://postgres@127.0.0.1:5432)."""

from __future__ import annotations

import datetime as dt
import os
import random
import time

from bench.common import measure_on_postgres, rate, result

BAD_SHARE = 0.06


def _setup(n: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.actions.users import do_create_staff
    from yiwang.core.fields import assign_row_ids
    from yiwang.core.models import Case, Department, OrgUnit, Workflow
    from yiwang.services.models import Rating, ServiceItem

    do_seed_org(actor=None, townships=False)
    depts = list(Department.objects.select_related("division").order_by("code")[:20])
    items = []
    for i in range(60):
        dept = depts[i % len(depts)]
        items.append(
            ServiceItem.objects.create(
                code=f"BENCH-{i:03d}",
                name=f"测试事项{i}",
                kind="licensing",
                department=dept,
                implementer=dept.name,
                legal_basis="《测试依据》",
                level=ServiceItem.Level.HANDLING,
                division=dept.division,
                status=ServiceItem.Status.PUBLISHED,
            )
        )
    staff = []
    for i in range(200):
        dept = depts[i % len(depts)]
        unit = OrgUnit.objects.filter(department=dept).first()
        staff.append(
            do_create_staff(
                actor=None,
                username=f"benchclerk{i}",
                full_name=f"窗口{i}",
                org_unit=unit,
                roles=["window_clerk"],
                password=None,
                validate=False,
            )
        )
    wf = Workflow.objects.get(code="service_rectification", active=True)
    rnd = random.Random(7)
    now = timezone.now()
    batch = 5000
    for start in range(0, n, batch):
        rows, cases = [], []
        for k in range(start, min(n, start + batch)):
            item = items[k % len(items)]
            bad = rnd.random() < BAD_SHARE
            level = rnd.choice([4, 5]) if bad else rnd.choice([1, 1, 1, 2, 2, 3])
            rows.append(
                Rating(
                    visit_number=f"B-{k:09d}",
                    item=item,
                    department=item.department,
                    division=item.division,
                    staff=staff[k % len(staff)],
                    channel="window",
                    level=level,
                    excluded=bad and rnd.random() < 0.05,
                )
            )
            if bad:
                closed = rnd.random() < 0.8
                cases.append(
                    (
                        len(rows) - 1,
                        Case(
                            workflow=wf,
                            number=f"BENCH-ZG-{k:09d}",
                            title="差评整改",
                            state=rnd.choice(["fixed", "explained"]) if closed else "fixing",
                            division=item.division,
                            department=item.department,
                            opened_at=now,
                            state_entered_at=now,
                            closed_at=now if closed else None,
                        ),
                    )
                )
        with transaction.atomic():
            made = Case.objects.bulk_create([c for _, c in cases])
            for (pos, _), case in zip(cases, made, strict=True):
                rows[pos].rectification = case
            assign_row_ids(rows)  # one query: encrypted values are bound to their rows
            Rating.objects.bulk_create(rows)
    # Spread the ratings over the last twelve months (created_at is set on insert).
    ids = list(Rating.objects.order_by("pk").values_list("pk", flat=True))
    step = max(1, len(ids) // 12)
    for month in range(12):
        chunk = ids[month * step : (month + 1) * step]
        if chunk:
            Rating.objects.filter(pk__gte=chunk[0], pk__lte=chunk[-1]).update(
                created_at=now - dt.timedelta(days=30 * month + 1)
            )


def measure(n: int, seconds: float) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from yiwang.services.stats import counted, rating_stats

    _setup(n)
    end = timezone.localdate()
    start = end - dt.timedelta(days=366)
    total = counted(start=start, end=end).count()

    def count_once() -> int:
        counted(start=start, end=end).count()
        return 1

    out = {"vendor": connection.vendor, "ratings": n, "counted": total}
    out["count_rows_per_s"] = rate(count_once, seconds) * total
    for by in ("department", "item", "staff"):

        def agg(by: str = by) -> int:
            rating_stats(by, start=start, end=end)
            return 1

        out[f"{by}_rows_per_s"] = rate(agg, seconds) * total
    client = Client()
    client.get("/")
    client.get("/services/ratings/")

    def home() -> int:
        assert client.get("/").status_code == 200
        return 1

    def page() -> int:
        assert client.get("/services/ratings/").status_code == 200
        return 1

    out["home_per_s"] = rate(home, seconds)
    out["page_cached_per_s"] = rate(page, seconds)
    settings.YIWANG = {**settings.YIWANG, "SERVICES_STATS_CACHE_SECONDS": 0}
    t = time.perf_counter()
    out["page_per_s"] = rate(page, seconds)
    out["page_seconds"] = round(time.perf_counter() - t, 2)
    return out


def run(quick: bool = False) -> list[dict]:
    n = 20_000 if quick else int(os.environ.get("BENCH_RATINGS", "200000"))
    seconds = 0.5 if quick else 2.0
    out = []
    for m in (measure(n, seconds), measure_on_postgres("ratings_bench", n, seconds)):
        if m is None:
            continue
        v = m["vendor"]
        for by in ("department", "item", "staff"):
            out.append(
                result(
                    f"stats_by_{by}_{v}",
                    m[f"{by}_rows_per_s"],
                    "rows/s",
                    m["count_rows_per_s"],
                    "count_rows_per_s",
                    ratings=m["ratings"],
                    counted=m["counted"],
                )
            )
        for name, key in (("uncached", "page_per_s"), ("cached", "page_cached_per_s")):
            out.append(
                result(
                    f"public_stats_page_{name}_{v}",
                    m[key],
                    "requests/s",
                    m["home_per_s"],
                    "portal_home_per_s",
                    ratings=m["ratings"],
                )
            )
    return out
