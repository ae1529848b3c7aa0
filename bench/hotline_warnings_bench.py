"""12345 预警信息发布 at scale: recipients reached per second when a warning goes to every
citizen of an area, through the core notification action (an in-app message, an SMS
delivery queued for the worker, an audit entry, and the WarningRecipient record per
person), against bulk-inserting the same number of bare in-app messages in the same run
(the floor of "one message row each"); ``ratio`` = publish rate / bulk-insert rate.

Also how fast the audience of a county is found: citizen accounts carry no division, so
the 人口库's ID numbers of the area are decrypted and re-indexed for the account table;
measured in registry rows per second against decrypting the same column alone.

Setup (not timed): ``BENCH_WARNING_PEOPLE`` citizens (default 10 000, 1 000 with
``--quick``) with phone numbers, each with a 人口库 record in a 武陟县 township.
SQLite runs in this process; PostgreSQL (when reachable) in a child process against a
database created and dropped here (``BENCH_PG_URL``)."""

from __future__ import annotations

import datetime as dt
import os
import time

from bench.common import measure_on_postgres, result


def _setup(n: int):
    from django.db import transaction
    from django.utils import timezone

    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.actions.users import do_create_staff
    from yiwang.core.fields import assign_row_ids
    from yiwang.core.identifiers import make_id_number
    from yiwang.core.models import Department, OrgUnit, User
    from yiwang.data.models import Person

    do_seed_org(actor=None, townships=True)
    publisher = do_create_staff(
        actor=None,
        username="bench_supervisor",
        full_name="值班长",
        org_unit=OrgUnit.objects.get(department__code="410800-hotline", division_id="410800"),
        roles=["hotline_supervisor"],
        validate=False,
    )
    source = Department.objects.get(code="410800-public_security")
    now = timezone.now()
    towns = ["410823001", "410823002", "410823003", "410823004"]
    with transaction.atomic():
        users, people = [], []
        for i in range(n):
            idn = make_id_number(
                "410823", dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000), i % 1000
            )
            users.append(
                User(
                    username=f"benchp{i:07d}",
                    kind=User.Kind.CITIZEN,
                    full_name="居民",
                    id_number=idn,
                    phone=f"139{i:08d}",
                    password="!",
                )
            )
            people.append(
                Person(
                    id_number=idn,
                    name="居民",
                    division_id=towns[i % len(towns)],
                    source_department=source,
                    created_at=now,
                    updated_at=now,
                )
            )
        assign_row_ids(users)  # one query each: encrypted values are bound to their rows
        assign_row_ids(people)
        User.objects.bulk_create(users, batch_size=2000)
        Person.objects.bulk_create(people, batch_size=2000)
    return publisher


def measure(n: int) -> dict:
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from yiwang.core.models import Division, Notification, User
    from yiwang.data.models import Person
    from yiwang.hotline.actions.warnings import (
        _citizens_in,
        do_draft_warning,
        do_publish_warning,
    )
    from yiwang.hotline.models import WarningRecipient

    publisher = _setup(n)
    from django.urls import reverse

    reverse("hotline:warnings")  # load the URLconf first, as a running server has
    import yiwang.data.registry  # noqa: F401  (imported by the audience search)

    county = Division.objects.get(code="410823")

    t = time.perf_counter()
    found = _citizens_in(county)
    resolve_s = time.perf_counter() - t
    assert len(found) == n, (len(found), n)
    t = time.perf_counter()
    decrypted = len(
        list(
            Person.objects.filter(division__path__startswith=county.path).values_list(
                "id_number", flat=True
            )
        )
    )
    decrypt_s = time.perf_counter() - t

    ids = list(User.objects.filter(kind="citizen").values_list("pk", flat=True))
    t = time.perf_counter()
    with transaction.atomic():
        Notification.objects.bulk_create(
            [Notification(user_id=i, title="bench", body="bench") for i in ids], batch_size=2000
        )
        transaction.set_rollback(True)
    bulk_s = time.perf_counter() - t

    warning = do_draft_warning(
        actor=publisher,
        title="暴雨黄色预警",
        body="请注意防范。",
        kind="暴雨",
        level="yellow",
        divisions=["410823"],
        groups=["citizens"],
        channels=["sms"],
    )
    # Sent within the call: the audience search above plus what the background task does
    # batch by batch for a large area.
    with override_settings(YIWANG={**_settings(), "HOTLINE_WARNING_SYNC_MAX": n * 10}):
        t = time.perf_counter()
        do_publish_warning(actor=publisher, warning=warning)
        publish_s = time.perf_counter() - t
    reached = WarningRecipient.objects.filter(warning=warning).count()
    assert reached == n, reached
    return {
        "vendor": connection.vendor,
        "n": n,
        "resolve_s": resolve_s,
        "decrypt_s": decrypt_s,
        "decrypted": decrypted,
        "bulk_s": bulk_s,
        "publish_s": publish_s,
    }


def _settings() -> dict:
    from django.conf import settings

    return dict(settings.YIWANG)


def _records(m: dict) -> list[dict]:
    v, n = m["vendor"], m["n"]
    return [
        result(
            f"warning_publish_{n}_{v}",
            n / m["publish_s"],
            "recipients/s",
            n / m["bulk_s"],
            "bulk_insert_notifications/s",
            seconds=round(m["publish_s"], 2),
        ),
        result(
            f"warning_audience_county_{n}_{v}",
            n / m["resolve_s"],
            "registry rows/s",
            m["decrypted"] / m["decrypt_s"],
            "decrypt_id_numbers/s",
            seconds=round(m["resolve_s"], 2),
        ),
    ]


def run(quick: bool = False) -> list[dict]:
    n = 1000 if quick else int(os.environ.get("BENCH_WARNING_PEOPLE", "10000"))
    out = _records(measure(n))
    pg = measure_on_postgres("hotline_warnings_bench", n)
    if pg is not None:
        out += _records(pg)
    return out
