"""Seeding the demo city 焦作: org, staff of every role, citizens, enterprises, open cases,
and the city-scale population for benchmarks. Deterministic (``yiwang.core.synth``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from random import Random

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.core import audit, authcache
from yiwang.core.actions.org import do_seed_org
from yiwang.core.actions.users import do_create_citizen, do_create_enterprise, do_create_staff
from yiwang.core.fields import allocate_row_ids, index_bytes
from yiwang.core.models import Assurance, OrgUnit, User
from yiwang.core.roles import ROLES
from yiwang.core.synth import CitySynth

log = logging.getLogger("yiwang.demo")

DEMO_PASSWORD = "Jiaozuo-2026"
ADMIN_USERNAME = "admin"
# Divisions that get a staff member of every role: the city and two counties.
STAFF_DIVISIONS = {"410800": "jiaozuo", "410823": "wuzhi", "410822": "boai"}
# Functional line (department) each role works in; counties have no hotline or general office.
ROLE_LINES = {
    "window_clerk": "big_data",
    "approver": "market",
    "dept_admin": "market",
    "data_steward": "big_data",
    "bureau_admin": "big_data",
    "hotline_agent": "hotline",
    "hotline_supervisor": "hotline",
    "hotline_handler": "market",
    "grid_worker": "big_data",
    "inspector": "market",
    "leader": "general_office",
    "auditor": "big_data",
    "sysadmin": "big_data",
}
COUNTY_LINES = {"big_data", "market", "civil_affairs", "human_resources", "housing"}
CITIZEN_PREFIX = "citizen"
ENTERPRISE_PREFIX = "qiye"
BULK_CITIZEN_PREFIX = "p"
BULK_ENTERPRISE_PREFIX = "e"
SQLITE_CACHE_KIB = 512 * 1024  # page cache while bulk seeding (per connection)


@dataclass(frozen=True)
class DemoAccount:
    """One demo sign-in shown in the table printed by ``yiwang demo``."""

    username: str
    kind: str
    role: str
    org_unit: str
    password: str


def staff_username(division: str, role: str) -> str:
    """``wuzhi_approver`` for the 审批人员 of 武陟县."""
    return f"{STAFF_DIVISIONS[division]}_{role}"


def is_seeded() -> bool:
    """True once the demo city is in the database (the admin account marks completion)."""
    return User.objects.filter(username=ADMIN_USERNAME).exists()


def _unit(division: str, role: str) -> OrgUnit:
    line = ROLE_LINES[role]
    if division != "410800" and line not in COUNTY_LINES:
        line = "big_data"
    return OrgUnit.objects.select_related("department").get(
        department__code=f"{division}-{line}", division_id=division
    )


@transaction.atomic
def do_seed_demo(
    *,
    actor=None,
    people: int = 200,
    enterprises: int = 50,
    password: str = DEMO_PASSWORD,
    seed: int | None = None,
) -> list[DemoAccount]:
    """Seed org, the admin, staff of every role in the city and two counties, ``people``
    citizens and ``enterprises`` enterprise users, all signing in with ``password``.
    Returns the accounts; does nothing but list them when the city is already seeded."""
    if is_seeded():
        _assure_demo_accounts(actor)
        return demo_accounts(password)
    synth = CitySynth(seed) if seed is not None else CitySynth()
    do_seed_org(actor=actor, townships=True)
    names = Random(f"{synth.seed}:staff")
    created: list[int] = []

    city_big_data = _unit("410800", "sysadmin")
    admin = do_create_staff(
        actor=actor,
        username=ADMIN_USERNAME,
        full_name="系统管理员",
        org_unit=city_big_data,
        roles=["sysadmin"],
        password=None,
    )
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    authcache.invalidate(admin.pk)
    created.append(admin.pk)
    for division in STAFF_DIVISIONS:
        for role in ROLES:
            sex = "M" if names.random() < 0.5 else "F"
            user = do_create_staff(
                actor=actor,
                username=staff_username(division, role),
                full_name=synth.name(names, sex),
                org_unit=_unit(division, role),
                roles=[role],
                password=None,
                phone=synth.mobile(names),
            )
            created.append(user.pk)
    for person in synth.people(people):
        user = do_create_citizen(
            actor=actor,
            username=f"{CITIZEN_PREFIX}{person['index'] + 1:03d}",
            full_name=person["full_name"],
            id_number=person["id_number"],
            password=None,
            phone=person["phone"],
        )
        created.append(user.pk)
    for ent in synth.enterprises(enterprises):
        user = do_create_enterprise(
            actor=actor,
            username=f"{ENTERPRISE_PREFIX}{ent['index'] + 1:02d}",
            enterprise_name=ent["name"],
            credit_code=ent["credit_code"],
            full_name=ent["legal_rep"],
            password=None,
            phone=ent["phone"],
        )
        created.append(user.pk)
    # One slow (argon2) hash shared by every demo account instead of one per account.
    User.objects.filter(pk__in=created).update(password=make_password(password))
    authcache.invalidate_all()
    audit.record(
        actor=actor,
        action="core.demo.seed",
        obj=("core.division", "410800"),
        change={"accounts": len(created), "citizens": people, "enterprises": enterprises},
    )
    return demo_accounts(password)


def _assure_demo_accounts(actor) -> None:
    """Demo citizens and enterprises seeded before 实名等级 existed are stated verified
    (手机短信核验) as new demo accounts are, so a reused demo database stays usable."""
    stale = User.objects.filter(
        Q(kind=User.Kind.CITIZEN, username__startswith=CITIZEN_PREFIX)
        | Q(kind=User.Kind.ENTERPRISE, username__startswith=ENTERPRISE_PREFIX),
        assurance=Assurance.NONE,
    )
    count = stale.update(assurance=Assurance.SMS, assured_at=timezone.now())
    if count:
        audit.record(
            actor=actor,
            action="core.demo.assure_accounts",
            obj=("core.division", "410800"),
            change={"accounts": count, "assurance": int(Assurance.SMS)},
        )


def demo_accounts(password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    """The admin, every demo staff member, and the first citizen and enterprise accounts."""
    out: list[DemoAccount] = []
    staff = (
        User.objects.filter(kind=User.Kind.STAFF)
        .filter(
            Q(
                username__in=[ADMIN_USERNAME]
                + [f"{s}_{r}" for s in STAFF_DIVISIONS.values() for r in ROLES]
            )
            # Data stewards of the source departments (yiwang.data.demo).
            | Q(username__startswith="jiaozuo_", username__endswith="_steward")
            # Service windows of market and civil affairs (yiwang.services.demo).
            | Q(username__regex=r"^(jiaozuo|wuzhi|boai)_(market|civil)_")
        )
        .select_related("org_unit")
        .prefetch_related("role_assignments")
        .order_by("org_unit__division_id", "username")
    )
    for user in staff:
        roles = [
            str(ROLES[ra.role].label) for ra in user.role_assignments.all() if ra.role in ROLES
        ]
        if user.is_superuser:
            roles.insert(0, "Django admin")
        out.append(
            DemoAccount(
                user.username,
                user.kind,
                " / ".join(roles),
                user.org_unit.name if user.org_unit else "",
                password,
            )
        )
    for prefix, kind in (
        (CITIZEN_PREFIX, User.Kind.CITIZEN),
        (ENTERPRISE_PREFIX, User.Kind.ENTERPRISE),
    ):
        for user in User.objects.filter(kind=kind, username__startswith=prefix).order_by(
            "username"
        )[:3]:
            label = user.enterprise_name if kind == User.Kind.ENTERPRISE else ""
            out.append(DemoAccount(user.username, kind, str(kind.label), label, password))
    return out


def _user_columns(kind: str) -> tuple[list, dict]:
    """Insertable User fields and the prepared value of every field bulk rows share."""
    proto = User(kind=kind, password=make_password(None), date_joined=timezone.now())
    fields = [f for f in User._meta.concrete_fields if not f.primary_key]
    shared = {
        f.attname: f.get_db_prep_save(f.pre_save(proto, True), connection)
        for f in fields
        if f.attname not in BULK_VARYING
    }
    return fields, shared


BULK_VARYING = {
    "username",
    "full_name",
    "id_number",
    "id_number_index",
    "phone",
    "phone_index",
    "credit_code",
    "enterprise_name",
}


def _insert_users(rows: list[dict], kind: str) -> None:
    """Insert bulk accounts with one ``executemany``: primary keys drawn ahead, personal
    fields SM4-encrypted for their rows and blind-indexed exactly as the model fields
    would, a column at a time (``seal_many``/``index_many``)."""
    fields, shared = _user_columns(kind)
    pk = User._meta.pk
    assert pk is not None
    fields = [pk, *fields]
    shared.pop(pk.attname, None)
    ids = allocate_row_ids(User, len(rows))
    by_name = {f.attname: f for f in fields}
    enc_id, enc_phone = by_name["id_number"], by_name["phone"]
    idx_id, idx_phone = by_name["id_number_index"], by_name["phone_index"]
    citizen = kind == User.Kind.CITIZEN
    if citizen:  # each column sealed and indexed in one batch
        id_numbers = [r["id_number"] for r in rows]
        sealed_ids = enc_id.seal_many(id_numbers, ids)
        id_indexes = [index_bytes(v) for v in idx_id.index_many(id_numbers)]
    phones = [r["phone"] for r in rows]
    sealed_phones = enc_phone.seal_many(phones, ids)
    phone_indexes = [index_bytes(v) for v in idx_phone.index_many(phones)]
    values = []
    for i, (r, row_pk) in enumerate(zip(rows, ids, strict=True)):
        if citizen:
            varying = {
                pk.attname: row_pk,
                "username": f"{BULK_CITIZEN_PREFIX}{r['index']:07d}",
                "full_name": r["full_name"],
                "id_number": sealed_ids[i],
                "id_number_index": id_indexes[i],
                "credit_code": "",
                "enterprise_name": "",
            }
        else:
            varying = {
                pk.attname: row_pk,
                "username": f"{BULK_ENTERPRISE_PREFIX}{r['index']:07d}",
                "full_name": r["legal_rep"],
                "id_number": "",
                "id_number_index": None,  # an empty blind index is NULL
                "credit_code": r["credit_code"],
                "enterprise_name": r["name"],
            }
        varying["phone"] = sealed_phones[i]
        varying["phone_index"] = phone_indexes[i]
        values.append(tuple(varying.get(f.attname, shared.get(f.attname)) for f in fields))
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(User._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cur:
        cur.executemany(sql, values)


def do_seed_population(
    *,
    actor=None,
    people: int,
    enterprises: int,
    batch_size: int = 5000,
    seed: int | None = None,
    on_batch: Callable[[str, int], object] | None = None,
) -> dict[str, int]:
    """Bring the citizen and enterprise accounts up to ``people`` and ``enterprises``
    (city scale: 3.5 M and 300 k), continuing the synthetic stream after the rows already
    there. Each batch commits on its own with one audit entry, so an interrupted run
    resumes where it stopped. Bulk accounts cannot sign in (unusable password)."""
    synth = CitySynth(seed) if seed is not None else CitySynth()
    created = {"citizens": 0, "enterprises": 0}
    plans = (
        ("citizens", User.Kind.CITIZEN, BULK_CITIZEN_PREFIX, CITIZEN_PREFIX, people, synth.people),
        (
            "enterprises",
            User.Kind.ENTERPRISE,
            BULK_ENTERPRISE_PREFIX,
            ENTERPRISE_PREFIX,
            enterprises,
            synth.enterprises,
        ),
    )
    if connection.vendor == "sqlite":
        # Random blind-index keys touch pages all over their indexes: keep them in memory.
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    for label, kind, bulk_prefix, demo_prefix, target, stream in plans:
        existing = User.objects.filter(kind=kind)
        demo = existing.filter(username__startswith=demo_prefix).count()
        bulk = existing.filter(username__startswith=bulk_prefix).count()
        start = demo + bulk
        rows = islice(stream(target), start, None)
        while True:
            chunk = list(islice(rows, batch_size))
            if not chunk:
                break
            with transaction.atomic():
                _insert_users(chunk, kind)
                audit.record(
                    actor=actor,
                    action=f"core.demo.bulk_{label}",
                    obj=("core.division", "410800"),
                    change={
                        "count": len(chunk),
                        "first": chunk[0]["index"],
                        "last": chunk[-1]["index"],
                    },
                )
            created[label] += len(chunk)
            if on_batch:
                on_batch(label, len(chunk))
    return created


DEMO_CASE_TITLES = (
    "个体工商户设立登记",
    "食品经营许可证核发",
    "居住证申领",
    "最低生活保障申请",
    "建筑工程施工许可",
    "就业困难人员认定",
)


@transaction.atomic
def do_seed_demo_cases(*, actor=None, per_division: int = 2) -> int:
    """Open ``per_division`` cases (通用审批) at each staff division's service centre,
    applied for by demo citizens, so window clerks' inboxes are not empty. Returns how
    many were opened; 0 when cases already exist or the engine is not installed."""
    try:
        from yiwang.core.actions.workflow import do_start_case
    except ImportError:  # the workflow engine is an optional part of older databases
        log.info("workflow engine not installed: no demo cases")
        return 0
    from yiwang.core.models import Case, Workflow

    if Case.objects.exists() or not Workflow.objects.filter(code="generic_approval").exists():
        return 0
    applicants = list(
        User.objects.filter(kind=User.Kind.CITIZEN, username__startswith=CITIZEN_PREFIX).order_by(
            "username"
        )[: per_division * len(STAFF_DIVISIONS)]
    )
    opened = 0
    titles = iter(DEMO_CASE_TITLES * len(STAFF_DIVISIONS))
    for division in STAFF_DIVISIONS:
        for _n in range(per_division):
            applicant = applicants[opened] if opened < len(applicants) else None
            do_start_case(
                actor=applicant,
                workflow_code="generic_approval",
                title=next(titles),
                division=division,
                department=f"{division}-big_data",
                applicant=applicant,
                comment="网上申请",
            )
            opened += 1
    return opened
