"""Staff lists at city scale: server time of the pages staff work from all day, with a
backlog of open cases and a population in the registries.

Seeds (raw ``executemany`` / PostgreSQL ``COPY``, never the ORM row by row) open cases
spread over the city's counties and departments — 通用审批 cases, 12345 工单 and 办件 —
with as many closed ones as history, the people of the 人口库 and the entities of the
法人库, then requests each page through Django's test client (the full middleware stack,
in-process; DEBUG off) round after round and reports p50 and p95 of each:

- ``inbox_first`` / ``inbox_deep``: 我的待办 of a county market clerk, the first page and
  the page reached by following 下一页 ``deep_pages`` times; ``inbox_city_line``: the
  city market approver, whose reach is every county's market department (条线), and
  ``inbox_city_clerk`` the city market window clerk's (the largest inbox here);
  ``inbox_api``: ``GET /api/v1/inbox``; ``workbench``: the 工作台 with its inbox counts;
- ``hotline_department`` / ``hotline_department_deep``: 承办工单 of a county market
  handler; ``hotline_console``: the agent's 受理台 with its queues; ``hotline_api``:
  ``GET /api/v1/hotline/tickets?handling=true`` for the handler;
- ``registry_person_id``: 人口库 search by ID number (blind index); ``registry_entity_name``:
  法人库 search by part of a name; ``registry_index``: the 基础库 index with its sizes;
- ``services_staff`` / ``services_staff_overdue``: 办件管理 of a county market approver
  (办理中 and 已超期), and searched by item name (``services_staff_search``);
  ``services_api``: ``GET /api/v1/services/applications``.

Each page has a baseline measured in the same rounds: a bare SQL ``SELECT`` of the very
rows the page shows, by primary key or number (raw cursor, the connection handled as a
request would: opened, used, closed), and ``ratio`` = page / baseline at the same
percentile.

Seeding shortcuts, fine for a benchmark and nothing else: the people beyond the few
hundred the data demo loads carry one reused ciphertext for their ID number and name
(bound to another row, so they would not decrypt — no page here opens them: searches
look them up by blind index, which is an increasing synthetic value per row) and one of
a few thousand name indexes; entities have clear synthetic names and no legal
representative. Cases, tickets and applications are real rows (valid ciphertexts for
what lists decrypt), inserted in bulk with their deadlines spread around today.

``python -m bench lists [--quick]`` runs the quick scale (1,000 open cases); for the
others: ``python -m bench.lists_bench --scale town|city`` (10,000 / 100,000 open cases,
350,000 / 3,500,000 people). ``--profile NAME`` prints a cProfile of one page,
``--explain`` the query plans of every page's statements. ``BENCH_DATABASE_URL`` points
it at an empty PostgreSQL database instead of a throwaway SQLite file.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import result


@dataclass(frozen=True)
class Scale:
    open_cases: int
    people: int
    entities: int
    rounds: int
    deep_pages: int


SCALES = {
    "quick": Scale(1_000, 20_000, 5_000, 20, 3),
    "town": Scale(10_000, 350_000, 30_000, 30, 10),
    "city": Scale(100_000, 3_500_000, 300_000, 30, 20),
}
CITY = "410800"
COUNTY = "410823"  # 武陟县: the measured county staff work here
# Share of cases by department line, and of each kind of case.
LINES = (
    ("market", 30),
    ("public_security", 20),
    ("civil_affairs", 15),
    ("human_resources", 15),
    ("housing", 10),
    ("big_data", 10),
)
KINDS = (("application", 40), ("ticket", 30), ("generic", 30))
OPEN_STATES = {
    "generic_approval": (
        ("submitted", 40),
        ("correction", 10),
        ("reviewing", 30),
        ("deciding", 20),
    ),
    "service_application": (
        ("submitted", 40),
        ("correction", 10),
        ("reviewing", 30),
        ("deciding", 20),
    ),
    "hotline_ticket": (
        ("registered", 5),
        ("dispatched", 20),
        ("returned", 2),
        ("handling", 45),
        ("extension", 3),
        ("replied", 15),
        ("concluded", 10),
    ),
}
CLOSED_STATE = {
    "generic_approval": "done",
    "service_application": "completed",
    "hotline_ticket": "archived",
}
# State limits (working days ≈ days here) per workflow state; None = no step limit.
NO_STEP_LIMIT = {"handling"}
AREA_WORDS = "山阳 解放 中站 马村 修武 博爱 武陟 温县 沁阳 孟州 太行 丹河 怀府 月季 云台 神农 青天 东方 龙源 嘉禾".split()
TRADE_WORDS = "科技 商贸 建材 农业 食品 物流 餐饮 印务 机械 化工 纺织 医药 文化 环保 电子 置业 旅游 家政 汽修 教育".split()
ENTITY_KINDS = ("有限公司", "有限责任公司", "个体工商户", "农民专业合作社", "股份有限公司")


# --- seeding -------------------------------------------------------------------------


def _pick(rng: random.Random, weighted: Iterable[tuple[Any, int]]) -> Any:
    items = list(weighted)
    return rng.choices([v for v, _w in items], weights=[w for _v, w in items])[0]


def _connection():
    from django.db import connection

    return connection


def _fast_sqlite() -> None:
    """Bulk seeding on SQLite: a large page cache and no fsync (a benchmark database)."""
    conn = _connection()
    if conn.vendor == "sqlite":
        with conn.cursor() as cur:
            cur.execute("PRAGMA cache_size = -524288")
            cur.execute("PRAGMA synchronous = OFF")


def _next_id(model) -> int:
    from django.db.models import Max

    return (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


def _fields(model) -> list:
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def _insert(model, rows: list[dict], chunk: int = 5000) -> None:
    """INSERT ``rows`` (attname → value; missing ones take the field's default) with
    executemany in chunks; each value is prepared by its field, as the ORM would."""
    from django.db import transaction

    conn = _connection()
    fields = _fields(model)
    qn = conn.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(model._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    defaults = {f.attname: f.get_default() for f in fields}
    for start in range(0, len(rows), chunk):
        values = [
            tuple(f.get_db_prep_save(r.get(f.attname, defaults[f.attname]), conn) for f in fields)
            for r in rows[start : start + chunk]
        ]
        with transaction.atomic(), conn.cursor() as cur:
            cur.executemany(sql, values)
    _reset_sequence(model)


def _reset_sequence(model) -> None:
    conn = _connection()
    if conn.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with conn.cursor() as cur:
        for sql in conn.ops.sequence_reset_sql(no_style(), [model]):
            cur.execute(sql)


def _copy_rows(model, columns: list[str], rows: Iterable[tuple], chunk: int = 20_000) -> int:
    """Raw rows into ``model``'s table: ``COPY`` on PostgreSQL, executemany on SQLite."""
    from django.db import transaction

    conn = _connection()
    qn = conn.ops.quote_name
    table = qn(model._meta.db_table)
    cols = ", ".join(qn(c) for c in columns)
    done = 0
    if conn.vendor == "postgresql":
        conn.ensure_connection()
        with transaction.atomic(), conn.cursor() as cur:
            with cur.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    done += 1
        _reset_sequence(model)
        return done
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            with transaction.atomic(), conn.cursor() as cur:
                cur.executemany(sql, batch)
            done += len(batch)
            batch = []
    if batch:
        with transaction.atomic(), conn.cursor() as cur:
            cur.executemany(sql, batch)
        done += len(batch)
    return done


class _DroppedIndexes:
    """Secondary indexes of a table dropped while it is bulk loaded and rebuilt after
    (one sort per index instead of random inserts); unique ones stay."""

    def __init__(self, model) -> None:
        self.model = model
        self.saved: list[tuple[str, str]] = []

    def __enter__(self):
        conn = _connection()
        table = self.model._meta.db_table
        with conn.cursor() as cur:
            if conn.vendor == "sqlite":
                cur.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            else:
                cur.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                    "AND i.indexdef NOT LIKE 'CREATE UNIQUE%%' AND NOT EXISTS (SELECT 1 FROM "
                    "pg_constraint c WHERE c.conname = i.indexname)",
                    [table],
                )
            self.saved = list(cur.fetchall())
            for name, _sql in self.saved:
                cur.execute(f"DROP INDEX {conn.ops.quote_name(name)}")
        return self

    def __exit__(self, *exc) -> None:
        conn = _connection()
        with conn.cursor() as cur:
            for _name, sql in self.saved:
                cur.execute(sql)


def _seed_base() -> dict[str, Any]:
    """The demo city (org, demo staff and citizens, workflows, service items, the data
    room's standards, resources and a few hundred properly encrypted people), and the
    staff measured here."""
    from yiwang.core.actions.demo import do_seed_demo
    from yiwang.core.actions.users import do_create_staff
    from yiwang.core.actions.workflow import do_load_workflows
    from yiwang.core.models import OrgUnit, User
    from yiwang.core.synth import CitySynth
    from yiwang.data.demo import seed_data_demo
    from yiwang.licences.actions.catalogue import do_seed_licence_types
    from yiwang.services.demo import seed_services_demo

    do_seed_demo(actor=None, people=200, enterprises=20)
    do_load_workflows(actor=None)
    # Items that issue a licence are published only once its type is in the 证照目录.
    do_seed_licence_types(actor=None)
    seed_services_demo(scale="city")
    seed_data_demo(synth=CitySynth(), people=300, enterprises=50)

    def staff(username: str, division: str, line: str, roles: list[str]):
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        unit = OrgUnit.objects.get(department__code=f"{division}-{line}", division_id=division)
        return do_create_staff(
            actor=None,
            username=username,
            full_name="基准",
            org_unit=unit,
            roles=roles,
            validate=False,
        )

    return {
        "clerk": staff("bench-lists-clerk", COUNTY, "market", ["window_clerk"]),
        "approver": staff("bench-lists-approver", COUNTY, "market", ["approver"]),
        "handler": staff("bench-lists-handler", COUNTY, "market", ["hotline_handler"]),
        "city_approver": staff("bench-lists-city-approver", CITY, "market", ["approver"]),
        "city_clerk": staff("bench-lists-city-clerk", CITY, "market", ["window_clerk"]),
        "other": staff("bench-lists-other", COUNTY, "market", ["window_clerk", "approver"]),
        "agent": User.objects.get(username="jiaozuo_hotline_agent"),
        "bureau": User.objects.get(username="jiaozuo_bureau_admin"),
    }


def _due_key(d: date | None) -> date:
    return d if d is not None else date(9999, 12, 31)


def _seed_cases(n_open: int, n_closed: int, base: dict[str, Any], seed: int = 7) -> dict:
    """``n_open`` open and ``n_closed`` closed cases with their tickets and applications."""
    from django.utils import timezone

    from yiwang.core.models import Case, Department, Division, User, Workflow
    from yiwang.hotline.models import Ticket
    from yiwang.services.models import Application, ServiceItem

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    workflows = {
        w.code: w
        for w in Workflow.objects.filter(
            active=True, code__in=["generic_approval", "service_application", "hotline_ticket"]
        )
    }
    counties = list(Division.objects.filter(level="county", kind="legal").order_by("code"))
    city = Division.objects.get(code=CITY)
    departments = {d.code: d for d in Department.objects.all()}
    centre = departments[f"{CITY}-hotline"]
    items_by_dept: dict[int, list[int]] = {}
    for pk, dept in ServiceItem.objects.filter(level="handling", status="published").values_list(
        "pk", "department_id"
    ):
        items_by_dept.setdefault(dept, []).append(pk)
    citizens = list(User.objects.filter(kind="citizen").values_list("pk", flat=True)[:200])
    other = base["other"].pk
    case_id, ticket_id, app_id = _next_id(Case), _next_id(Ticket), _next_id(Application)
    app_name = Application._meta.get_field("applicant_name")
    app_idn = Application._meta.get_field("applicant_id_number")
    app_idx = Application._meta.get_field("applicant_id_index")
    cases, tickets, apps = [], [], []
    for i in range(n_open + n_closed):
        closed = i >= n_open
        division = city if rng.random() < 0.15 else rng.choice(counties)
        line = _pick(rng, LINES)
        dept = departments.get(f"{division.code}-{line}") or departments[f"{CITY}-{line}"]
        kind = _pick(rng, KINDS)
        if kind == "application" and not items_by_dept.get(dept.pk):
            kind = "generic"
        code = {
            "application": "service_application",
            "ticket": "hotline_ticket",
            "generic": "generic_approval",
        }[kind]
        wf = workflows[code]
        opened = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 1440))
        state = CLOSED_STATE[code] if closed else _pick(rng, OPEN_STATES[code])
        state_due = None
        if not closed and state not in NO_STEP_LIMIT:
            state_due = today + timedelta(days=rng.randint(-8, 10))
        case_due = timezone.localdate(opened) + timedelta(days=28 if kind != "ticket" else 21)
        case_dept = dept
        if kind == "ticket" and state == "registered":
            case_dept = centre
        number = f"B{i + 1:09d}"
        case = {
            "id": case_id,
            "workflow_id": wf.pk,
            "number": number,
            "title": f"基准办件 {i + 1}",
            "state": state,
            "subject_type": "",
            "subject_id": "",
            "division_id": division.pk,
            "department_id": case_dept.pk,
            "applicant_id": rng.choice(citizens) if kind != "generic" or i % 2 else None,
            "assignee_id": other if rng.random() < 0.1 else None,
            "opened_at": opened,
            "state_entered_at": opened,
            "state_due": state_due,
            "case_due": case_due,
            "closed_at": opened + timedelta(days=5) if closed else None,
        }
        mirror = {
            "case_state": state,
            "state_due_key": _due_key(state_due),
            "case_due_key": _due_key(case_due),
        }
        if kind == "ticket":
            case.update(subject_type="hotline.ticket", subject_id=str(ticket_id))
            tickets.append(
                {
                    "id": ticket_id,
                    "number": number,
                    "case_id": case_id,
                    "channel": "phone",
                    "kind": "complaint",
                    "title": f"基准工单 {i + 1}",
                    "content": "基准工单内容",
                    "address": "",
                    "division_id": division.pk,
                    "contact_name": "",
                    "contact_phone": "",
                    "contact_phone_index": "",
                    "anonymous": True,
                    "query_code": "BENCH001",
                    "department_id": None if state == "registered" else dept.pk,
                    "reply": "",
                    "external_id": "",
                    "created_at": opened,
                    "concluded_at": case["closed_at"],
                    **mirror,
                }
            )
            ticket_id += 1
        elif kind == "application":
            idn = f"41082319{rng.randint(50, 99)}0101{rng.randint(1000, 9999)}"
            case.update(subject_type="services.application", subject_id=str(app_id))
            apps.append(
                {
                    "id": app_id,
                    "number": number,
                    "item_id": rng.choice(items_by_dept[dept.pk]),
                    "case_id": case_id,
                    "applicant_id": case["applicant_id"],
                    "applicant_name": app_name.seal("基准申请人", app_id),
                    "applicant_id_type": "111",
                    "applicant_id_number": app_idn.seal(idn, app_id),
                    "applicant_id_index": app_idx.index_of(idn),
                    "contact_phone": "",
                    "channel": "online",
                    "division_id": division.pk,
                    "department_id": dept.pk,
                    "form_data": {},
                    "outcome": "approved" if closed else "",
                    "decided_by_rule": "",
                    "licence_identifier": "",
                    "submitted_at": opened,
                    "completed_at": case["closed_at"],
                    **mirror,
                }
            )
            app_id += 1
        cases.append(case)
        case_id += 1
    _insert(Case, cases)
    _insert(Ticket, tickets)
    _insert(Application, apps)
    return {"cases": len(cases), "tickets": len(tickets), "applications": len(apps)}


def _seed_people(target: int, seed: int = 11) -> int:
    """Bring the 人口库 up to ``target`` people (see the module doc for the shortcuts)."""
    from django.utils import timezone

    from yiwang.core.fields import index_bytes
    from yiwang.core.models import Department, Division
    from yiwang.data.models import DataResource, Person

    have = Person.objects.count()
    n = target - have
    if n <= 0:
        return 0
    rng = random.Random(seed)
    first = _next_id(Person)
    resource = DataResource.objects.filter(registry="person", status="published").first()
    dept = Department.objects.get(code=f"{CITY}-public_security")
    divisions = list(Division.objects.filter(level="township").values_list("pk", flat=True))
    sealed_idn = Person._meta.get_field("id_number").seal("410823199001011234", 0)
    sealed_name = Person._meta.get_field("name").seal("基准", 0)
    name_index = Person._meta.get_field("name_index")
    names = [index_bytes(name_index.index_of(f"基准{k}")) for k in range(5000)]
    now = timezone.now()
    step = (1 << 122) // max(n, 1)  # blind indexes are 16 bytes
    columns = [
        "id",
        "source_resource_id",
        "source_department_id",
        "version",
        "sources",
        "created_at",
        "updated_at",
        "id_number",
        "id_number_index",
        "name",
        "name_index",
        "gender",
        "birth_date",
        "division_id",
        "ethnicity",
        "address",
        "phone",
        "phone_index",
    ]
    conn = _connection()
    stamp: Any = now if conn.vendor == "postgresql" else now.isoformat(sep=" ")
    births = [date(1940, 1, 1) + timedelta(days=d) for d in range(0, 30_000, 7)]
    if conn.vendor == "sqlite":
        births_v: list[Any] = [b.isoformat() for b in births]
    else:
        births_v = births

    def rows():
        for k in range(n):
            yield (
                first + k,
                resource.pk if resource else None,
                dept.pk,
                1,
                "{}",
                stamp,
                stamp,
                sealed_idn,
                # Increasing synthetic blind indexes (no HMAC computed): kept apart from
                # real ones by their leading "0" nibbles, appended in order.
                ((k + 1) * step).to_bytes(16, "big"),
                sealed_name,
                names[rng.randrange(len(names))],
                "1" if k % 2 else "2",
                births_v[k % len(births_v)],
                divisions[k % len(divisions)],
                "01",
                "",
                "",
                None,  # no phone: an empty blind index is NULL
            )

    with _DroppedIndexes(Person):
        done = _copy_rows(Person, columns, rows())
    return done


def _seed_entities(target: int, seed: int = 13) -> int:
    """Bring the 法人库 up to ``target`` entities with synthetic clear names."""
    from django.utils import timezone

    from yiwang.core.models import Department, Division
    from yiwang.data.models import DataResource, LegalEntity

    have = LegalEntity.objects.count()
    n = target - have
    if n <= 0:
        return 0
    rng = random.Random(seed)
    first = _next_id(LegalEntity)
    resource = DataResource.objects.filter(registry="legal_entity", status="published").first()
    dept = Department.objects.get(code=f"{CITY}-market")
    divisions = list(Division.objects.filter(level="county").values_list("pk", flat=True))
    now = timezone.now()
    conn = _connection()
    columns = [
        "id",
        "source_resource_id",
        "source_department_id",
        "version",
        "sources",
        "created_at",
        "updated_at",
        "credit_code",
        "name",
        "entity_type",
        "legal_rep_name",
        "legal_rep_id",
        "legal_rep_id_index",
        "division_id",
        "address",
        "industry",
        "status",
        "business_scope",
    ]

    def rows():
        for k in range(n):
            at = now - timedelta(minutes=n - k)
            name = (
                f"焦作市{rng.choice(AREA_WORDS)}{rng.choice(TRADE_WORDS)}"
                f"{rng.randint(1, 999)}{rng.choice(ENTITY_KINDS)}"
            )
            yield (
                first + k,
                resource.pk if resource else None,
                dept.pk,
                1,
                "{}",
                at if conn.vendor == "postgresql" else at.isoformat(sep=" "),
                at if conn.vendor == "postgresql" else at.isoformat(sep=" "),
                f"9Z{first + k:016d}",
                name,
                "91",
                "",
                "",
                None,  # no representative's ID: an empty blind index is NULL
                divisions[k % len(divisions)],
                "",
                "",
                "存续",
                "",
            )

    with _DroppedIndexes(LegalEntity):
        done = _copy_rows(LegalEntity, columns, rows())
    return done


def _analyze() -> None:
    """PostgreSQL: the statistics autovacuum would gather after a bulk load. SQLite is
    measured as deployed: no ``ANALYZE`` has run."""
    conn = _connection()
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("ANALYZE")


def seed(scale: Scale, log: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Everything the pages need at ``scale``; returns the users and probes."""
    from yiwang.data.models import Person

    _fast_sqlite()
    start = time.perf_counter()
    base = _seed_base()
    log(f"base city in {time.perf_counter() - start:.1f} s")
    t = time.perf_counter()
    counts = _seed_cases(scale.open_cases, scale.open_cases, base)
    log(f"{counts} in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    probe = Person.objects.order_by("pk").first()
    probe_id = probe.id_number if probe else ""
    people = _seed_people(scale.people)
    log(f"{people} people in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    entities = _seed_entities(scale.entities)
    log(f"{entities} entities in {time.perf_counter() - t:.1f} s")
    _analyze()
    return {
        **base,
        "probe_id_number": probe_id,
        "probe_name": f"{AREA_WORDS[3]}{TRADE_WORDS[7]}",
        "probe_item": "食品经营",
        "seconds": time.perf_counter() - start,
        **counts,
    }


# --- pages and their baselines --------------------------------------------------------

NEXT_LINK = re.compile(r'<a href="([^"]*)"[^>]*>\s*下一页')


def _next_url(path: str, body: str) -> str | None:
    found = NEXT_LINK.search(body)
    if not found:
        return None
    href = html.unescape(found.group(1))
    return path.split("?")[0] + href if href.startswith("?") else href


def _deep(client, path: str, pages: int) -> tuple[str, int]:
    """The URL reached by following 下一页 ``pages`` times (fewer when the list ends)."""
    url, depth = path, 0
    for _ in range(pages):
        nxt = _next_url(path, client.get(url).content.decode())
        if nxt is None:
            break
        url, depth = nxt, depth + 1
    return url, depth


@dataclass
class Page:
    """A page to time, and how to find the keys of the rows it shows (``pattern`` in the
    HTML, or ``json_key`` of each API item) for its baseline: a bare SELECT of those same
    rows by ``column`` of ``model``'s table."""

    name: str
    client: Any
    url: str
    model: Any
    column: str = "id"
    pattern: str = ""
    json_key: str = ""
    note: str = ""
    baseline_sql: str = ""
    baseline_params: list = field(default_factory=list)


def _table(model) -> str:
    return _connection().ops.quote_name(model._meta.db_table)


CASE_LINK = r'href="/cases/(\d+)/"'
TICKET_LINK = r'href="/hotline/tickets/(\d+)/"'
RECORD_LINK = r'href="/data/registries/\w+/(\d+)/"'
APPLICATION_LINK = r'href="/services/staff/([^/"]+)/"'


def pages(ctx: dict[str, Any], deep_pages: int) -> list[Page]:
    from django.test import Client

    from yiwang.core.models import Case
    from yiwang.data.models import DataResource, LegalEntity, Person
    from yiwang.hotline.models import Ticket
    from yiwang.services.models import Application

    def client_for(user) -> Client:
        c = Client()
        c.force_login(user)
        return c

    clerk, approver = client_for(ctx["clerk"]), client_for(ctx["approver"])
    handler, agent = client_for(ctx["handler"]), client_for(ctx["agent"])
    bureau, city = client_for(ctx["bureau"]), client_for(ctx["city_approver"])
    city_clerk = client_for(ctx["city_clerk"])
    inbox_deep, inbox_depth = _deep(clerk, "/inbox/", deep_pages)
    dept_deep, dept_depth = _deep(handler, "/hotline/department/", deep_pages)
    registries = f"SELECT * FROM {_table(DataResource)} WHERE registry <> ''"
    return [
        Page("inbox_first", clerk, "/inbox/", Case, pattern=CASE_LINK),
        Page(
            "inbox_deep",
            clerk,
            inbox_deep,
            Case,
            pattern=CASE_LINK,
            note=f"{inbox_depth} pages in",
        ),
        Page("inbox_city_line", city, "/inbox/", Case, pattern=CASE_LINK),
        Page("inbox_city_clerk", city_clerk, "/inbox/", Case, pattern=CASE_LINK),
        Page("inbox_api", clerk, "/api/v1/inbox", Case, json_key="id"),
        Page("workbench", clerk, "/workbench/", Case, pattern=CASE_LINK),
        Page("hotline_department", handler, "/hotline/department/", Ticket, pattern=TICKET_LINK),
        Page(
            "hotline_department_deep",
            handler,
            dept_deep,
            Ticket,
            pattern=TICKET_LINK,
            note=f"{dept_depth} pages in",
        ),
        Page("hotline_console", agent, "/hotline/console/", Ticket, pattern=TICKET_LINK),
        Page(
            "hotline_api",
            handler,
            "/api/v1/hotline/tickets?handling=true",
            Ticket,
            "number",
            json_key="number",
        ),
        Page(
            "registry_person_id",
            bureau,
            "/data/registries/person/?q=" + ctx["probe_id_number"],
            Person,
            pattern=RECORD_LINK,
        ),
        Page(
            "registry_entity_name",
            bureau,
            "/data/registries/legal_entity/?q=" + ctx["probe_name"],
            LegalEntity,
            pattern=RECORD_LINK,
        ),
        Page(
            "registry_index",
            bureau,
            "/data/registries/",
            DataResource,
            baseline_sql=registries,
        ),
        Page(
            "services_staff",
            approver,
            "/services/staff/",
            Application,
            "number",
            pattern=APPLICATION_LINK,
        ),
        Page(
            "services_staff_overdue",
            approver,
            "/services/staff/?status=overdue",
            Application,
            "number",
            pattern=APPLICATION_LINK,
        ),
        Page(
            "services_staff_search",
            approver,
            "/services/staff/?status=open&q=" + ctx["probe_item"],
            Application,
            "number",
            pattern=APPLICATION_LINK,
        ),
        Page(
            "services_api",
            approver,
            "/api/v1/services/applications",
            Application,
            "number",
            json_key="number",
        ),
    ]


def _set_baseline(page: Page, response) -> None:
    """The bare SELECT of the rows ``response`` shows (by the keys found in it)."""
    if page.baseline_sql:
        return
    if page.json_key:
        keys = [str(item[page.json_key]) for item in response.json().get("items", [])]
    else:
        keys = re.findall(page.pattern, response.content.decode())
    keys = list(dict.fromkeys(keys)) or ["0"]
    column = _connection().ops.quote_name(page.model._meta.get_field(page.column).column)
    marks = ", ".join(["%s"] * len(keys))
    page.baseline_sql = f"SELECT * FROM {_table(page.model)} WHERE {column} IN ({marks})"
    page.baseline_params = [int(k) for k in keys] if page.column == "id" else keys


def _bare(sql: str, params: list) -> float:
    """Seconds of one bare SELECT, the connection handled as a request handles it."""
    from django.db import close_old_connections

    conn = _connection()
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute(sql, params)
        cur.fetchall()
    close_old_connections()
    return time.perf_counter() - start


def _rows_shown(response) -> int:
    """Rows on the page: items of an API list, rows in the tables' bodies of a page."""
    if response["Content-Type"].startswith("application/json"):
        return len(response.json().get("items", []))
    bodies = re.findall(r"<tbody>(.*?)</tbody>", response.content.decode(), re.S)
    return sum(len(re.findall(r"<tr[ >]", b)) for b in bodies)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(ctx: dict[str, Any], scale: Scale, rounds: int | None = None) -> list[dict]:
    """p50/p95 of every page against its bare SELECT, interleaved round by round."""
    rounds = rounds or scale.rounds
    todo = pages(ctx, scale.deep_pages)
    shown: dict[str, int] = {}
    for p in todo:  # warm up; every page must answer 200
        response = p.client.get(p.url)
        if response.status_code != 200:
            raise RuntimeError(f"{p.name}: {p.url} answered {response.status_code}")
        shown[p.name] = _rows_shown(response)
        _set_baseline(p, response)
    times: dict[str, list[float]] = {p.name: [] for p in todo}
    bare: dict[str, list[float]] = {p.name: [] for p in todo}
    for _ in range(rounds):
        for p in todo:
            start = time.perf_counter()
            p.client.get(p.url)
            times[p.name].append((time.perf_counter() - start) * 1000)
            bare[p.name].append(_bare(p.baseline_sql, p.baseline_params) * 1000)
    vendor = _connection().vendor
    out = []
    for p in todo:
        t, b = times[p.name], bare[p.name]
        p50, p95 = _percentile(t, 0.5), _percentile(t, 0.95)
        b50, b95 = _percentile(b, 0.5), _percentile(b, 0.95)
        record = result(
            f"{p.name}_p95",
            p95,
            "ms",
            baseline=b95,
            baseline_name="bare SELECT of the same rows by primary key or number, p95",
            p50_ms=round(p50, 2),
            baseline_p50_ms=round(b50, 3),
            ratio_p50=round(p50 / b50, 2) if b50 else None,
            mean_ms=round(statistics.fmean(t), 2),
            rows_shown=shown[p.name],
            open_cases=scale.open_cases,
            people=scale.people,
            rounds=rounds,
            database=vendor,
        )
        if p.note:
            record["note"] = p.note
        out.append(record)
    return out


# --- profiles and plans ---------------------------------------------------------------


def profile(ctx: dict[str, Any], scale: Scale, name: str, repeat: int = 5) -> None:
    """cProfile of ``repeat`` requests of one page, the 30 costliest by cumulative time."""
    import cProfile
    import pstats

    page = next(p for p in pages(ctx, scale.deep_pages) if p.name == name)
    page.client.get(page.url)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(repeat):
        page.client.get(page.url)
    prof.disable()
    pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)


def explain(ctx: dict[str, Any], scale: Scale) -> None:
    """Every statement of one request of each page with its time and query plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for page in pages(ctx, scale.deep_pages):
        with CaptureQueriesContext(connection) as captured:
            page.client.get(page.url)
        print(f"\n=== {page.name} {page.url[:80]} ({len(captured)} statements)", file=sys.stderr)
        for q in captured.captured_queries:
            sql = q["sql"]
            print(f"-- {q['time']} s: {sql[:600]}", file=sys.stderr)
            if not sql.lstrip().upper().startswith("SELECT") or float(q["time"]) < 0.002:
                continue
            with connection.cursor() as cur:
                if connection.vendor == "sqlite":
                    cur.execute("EXPLAIN QUERY PLAN " + sql)
                    plan = "\n".join(f"   {r[-1]}" for r in cur.fetchall())
                else:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + sql)
                    plan = "\n".join(f"   {r[0]}" for r in cur.fetchall())
            print(plan, file=sys.stderr)


# --- entry points ---------------------------------------------------------------------


def run(quick: bool = False) -> list[dict]:
    """``python -m bench lists``: the quick scale (the others through this module's main)."""
    scale = SCALES["quick"]
    ctx = seed(scale)
    return measure(ctx, scale)


def _results_dir() -> Path:
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lists_bench")
    parser.add_argument("--scale", choices=sorted(SCALES), default="quick")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--profile", action="append", default=[], metavar="PAGE")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--no-measure", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.common import setup_django

    setup_django()
    scale = SCALES[args.scale]

    def log(line: str) -> None:
        print(f"[lists {args.scale}] {line}", file=sys.stderr, flush=True)

    ctx = seed(scale, log)
    log(f"seeded in {ctx['seconds']:.0f} s")
    if args.explain:
        explain(ctx, scale)
    for name in args.profile:
        profile(ctx, scale, name)
    if args.no_measure:
        return 0
    results = []
    for record in measure(ctx, scale, args.rounds):
        record = {"bench": "lists", "scale": args.scale, **record}
        results.append(record)
        print(json.dumps(record, ensure_ascii=False), flush=True)
    vendor = _connection().vendor
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = _results_dir() / f"lists-{args.scale}-{vendor}-{stamp}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    log(f"results in {path}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.settings")
    raise SystemExit(main())
