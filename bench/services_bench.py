"""秒批 throughput: complete cases per second from submission to a signed e-licence on the
instant-approval path — a citizen's online application for 居住证 (form checked, 免证
lookups, case started with its working-day deadlines, rule evaluated over the form, the
applicant's age and the person registry, accepted → reviewed → approved by the platform,
licence rendered to PDF and sealed with SM2, applicant notified, everything audited) —
against the raw SM2 signing rate measured in the same run (one signature is the
cryptographic core of each licence). ``ratio`` = cases per second / signatures per second.

SQLite runs in this process; PostgreSQL (when reachable) runs in a child process against
a database this benchmark creates and drops (``BENCH_PG_URL``, default
postgres://postgres@127.0.0.1:5432). ``BENCH_SERVICES_CASES`` sets the full run's size.
One more case, untimed, reports the SQL statements a case costs (``statements_per_case``,
from BEGIN to COMMIT)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import measure_on_postgres, rate, result

RULE = {
    "code": "JZZ-BENCH",
    "name": "居住满半年、年满十六周岁、人口库有登记",
    "basis": "《居住证暂行条例》第二条",
    "when": [
        {"field": "form.months", "op": "ge", "value": 6},
        {"field": "applicant.age", "op": "ge", "value": 16},
        {"field": "registry.person.name", "op": "present"},
    ],
}
FIELDS = [
    {"name": "address", "label": "居住地址", "type": "text", "required": True},
    {"name": "months", "label": "已居住月数", "type": "integer", "required": True, "min": 0},
]


def _sign_rate(seconds: float) -> float:
    from yiwang.core import crypto

    key = crypto.generate_sm2_private()
    message = os.urandom(32)

    def sign() -> int:
        for _ in range(20):
            crypto.sm2_sign(key, message)
        return 20

    return rate(sign, seconds)


def _setup(n: int) -> tuple:
    """Org, licence catalogue with seals, data standards, an instant-approval item and
    ``n`` citizens registered in the person registry (not timed)."""
    from django.db import transaction

    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.fields import assign_row_ids
    from yiwang.core.identifiers import make_id_number
    from yiwang.core.models import Assurance, Department, User
    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import DataResource
    from yiwang.data.registry import apply_rows, derive
    from yiwang.licences.actions import do_seed_licence_types
    from yiwang.services.models import ServiceItem

    do_seed_org(actor=None, townships=False)
    do_seed_licence_types(actor=None)
    do_seed_data_standards(actor=None)
    dept = Department.objects.get(code="410800-public_security")
    common = {
        "kind": "confirmation",
        "department": dept,
        "implementer": dept.name,
        "legal_basis": "《居住证暂行条例》",
        "division": dept.division,
        "status": ServiceItem.Status.PUBLISHED,
    }
    main = ServiceItem.objects.create(
        code="BENCH-JZZ", name="居住证申领", level=ServiceItem.Level.MAIN, **common
    )
    item = ServiceItem.objects.create(
        code="BENCH-JZZ-01",
        name="居住证申领（新办）",
        level=ServiceItem.Level.HANDLING,
        parent=main,
        handling=ServiceItem.Handling.NEW,
        applicants=ServiceItem.Applicants.PERSON,
        statutory_days=15,
        promised_days=7,
        form_fields=FIELDS,
        instant_rules=[RULE],
        licence_type_code="residence_permit",
        **common,
    )
    ids = [
        make_id_number("410811", dt.date(1970, 1, 1) + dt.timedelta(days=i), 11) for i in range(n)
    ]
    users = [
        User(
            username=f"bench{i}",
            full_name=f"测试{i}",
            kind="citizen",
            id_number=idn,
            assurance=Assurance.SMS,  # 实名: 免证 lookups by the account's ID number
        )
        for i, idn in enumerate(ids)
    ]
    assign_row_ids(users)  # one query: encrypted values are bound to their rows
    users = User.objects.bulk_create(users)
    resource = DataResource.objects.get(registry="person", status="published")
    with transaction.atomic():
        apply_rows(
            registry="person",
            rows=[
                derive("person", {"id_number": idn, "name": f"测试{i}"})
                for i, idn in enumerate(ids)
            ],
            resource=resource,
            department=dept,
        )
    return item, users


def measure(n: int, sign_seconds: float) -> dict:
    """Cases per second on the instant path and SM2 signatures per second, same process."""
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from yiwang.services.actions.applications import do_apply

    tmp = Path(tempfile.mkdtemp(prefix="yiwang-services-bench-"))
    settings.MEDIA_ROOT = tmp / "media"
    item, users = _setup(n + 2)
    warm, counted, users = users[0], users[1], users[2:]
    # One case first, untimed: URL configuration, templates and fonts load once.
    do_apply(actor=warm, item=item, form_data={"address": "焦作", "months": 12}, uploads={})
    with CaptureQueriesContext(connection) as statements:  # one more, untimed: its SQL
        do_apply(actor=counted, item=item, form_data={"address": "焦作", "months": 12}, uploads={})
    signs = [_sign_rate(sign_seconds)]
    start = time.perf_counter()
    for user in users:
        app = do_apply(
            actor=user,
            item=item,
            form_data={"address": "焦作市山阳区塔南路 1 号", "months": 12},
            uploads={},
        )
        assert app.outcome == "approved" and app.licence_identifier, app.number
    seconds = time.perf_counter() - start
    signs.append(_sign_rate(sign_seconds))
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "vendor": connection.vendor,
        "cases": n,
        "cases_per_s": n / seconds,
        "sign_per_s": statistics.median(signs),
        "seconds": round(seconds, 2),
        "statements_per_case": len(statements.captured_queries),
    }


def run(quick: bool = False) -> list[dict]:
    n = 20 if quick else int(os.environ.get("BENCH_SERVICES_CASES", "300"))
    sign_seconds = 0.3 if quick else 1.0
    out = []
    for m in (measure(n, sign_seconds), measure_on_postgres("services_bench", n, sign_seconds)):
        if m is None:
            continue
        out.append(
            result(
                f"instant_case_to_licence_{m['vendor']}",
                m["cases_per_s"],
                "cases/s",
                m["sign_per_s"],
                "sm2_sign_per_s",
                cases=m["cases"],
                seconds=m["seconds"],
                statements_per_case=m["statements_per_case"],
            )
        )
    return out
