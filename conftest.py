"""Shared test fixtures: a small 焦作 (real division codes) with staff of each role."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

# Argon2 is deliberately slow; tests hash with MD5 first. pytest-django has loaded the
# settings before this file is read, so the environment variable alone (for processes
# the tests start) is not enough here: the setting is changed too.
os.environ.setdefault("YIWANG_FAST_HASHER", "1")


def _fast_hashers() -> None:
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    fast = "django.contrib.auth.hashers.MD5PasswordHasher"
    if settings.PASSWORD_HASHERS[0] != fast:
        settings.PASSWORD_HASHERS = [fast, *settings.PASSWORD_HASHERS]
        get_hashers.cache_clear()
        get_hashers_by_algorithm.cache_clear()


_fast_hashers()

# Tests run on a fixed date (a Monday in a year the working-day calendar covers), so a
# result never depends on the day the suite runs. The test database is built the evening
# before (so what migrations record is older than anything a test does), and every test
# starts at FIXED_NOW with the clock ticking on. A test about time moves the clock with
# the ``clock`` fixture, or runs on the real date with ``@pytest.mark.real_clock``.
FIXED_NOW = datetime(2026, 3, 9, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
DATABASE_BUILT = FIXED_NOW - timedelta(hours=12)


@pytest.fixture(scope="session", autouse=True)
def _session_clock():
    """The clock while session-wide fixtures run (test database set-up, migrations)."""
    with time_machine.travel(DATABASE_BUILT, tick=True):
        yield


@pytest.fixture(autouse=True)
def clock(request, _session_clock):
    """The test clock (a ``time_machine`` traveller): ``clock.move_to(dt)`` or
    ``clock.shift(timedelta)``; under ``@pytest.mark.real_clock``, the real time."""
    if request.node.get_closest_marker("real_clock"):
        real = time_machine.escape_hatch.time.time()
        with time_machine.travel(real, tick=True) as traveller:
            yield traveller
        return
    with time_machine.travel(FIXED_NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a page fetched in English must not leave
    the next test's notifications and messages in English."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _isolated_keys(settings, tmp_path_factory):
    """Each test session gets its own key directory (no developer keys leak into tests)."""
    from yiwang.core import keys

    settings.YIWANG_KEY_DIR = tmp_path_factory.getbasetemp() / "keys"
    keys.keyring.cache_clear()
    yield
    keys.keyring.cache_clear()


DATABASE_FIXTURES = frozenset({"db", "transactional_db", "live_server"})


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """No test inherits cached values, rate counts or login pauses. The cache is the
    database cache table and the counters a table of their own (as in production without
    Redis), so a test's own transaction takes them away; a test that commits (live
    server, threads, subprocesses) also gets the cache table emptied before the flush,
    which only knows model tables. Alarm throttles also live in the process, and alarms
    may be pending: neither passes to the next test."""
    from yiwang.core import alarms

    alarms.forget()
    uses_db = request.node.get_closest_marker("django_db") or (
        DATABASE_FIXTURES & set(request.fixturenames)
    )
    if not uses_db:
        yield
        alarms.forget()
        return
    request.getfixturevalue("_django_db_helper")  # database access for our teardown too
    yield
    alarms.forget()
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def city(db):
    """Divisions, departments and org units of 焦作 (no villages, for speed)."""
    from yiwang.core.actions.org import do_seed_org

    do_seed_org(actor=None, townships=True)
    from yiwang.core.models import Department, Division, OrgUnit

    class City:
        jiaozuo = Division.objects.get(code="410800")
        wuzhi = Division.objects.get(code="410823")
        boai = Division.objects.get(code="410822")

        @staticmethod
        def unit(division: str, line: str) -> OrgUnit:
            return OrgUnit.objects.get(department__code=f"{division}-{line}", division=division)

        @staticmethod
        def department(division: str, line: str) -> Department:
            return Department.objects.get(code=f"{division}-{line}")

    return City


@pytest.fixture
def make_staff(city):
    """make_staff("approver", "410823", "market") → a staff user with that role there."""
    from yiwang.core.actions.users import do_create_staff

    counter = {"n": 0}

    def make(role: str, division: str = "410800", line: str = "big_data", **kw):
        counter["n"] += 1
        return do_create_staff(
            actor=None,
            username=kw.pop("username", f"{role}{division}{line}{counter['n']}"),
            full_name=kw.pop("full_name", "测试人员"),
            org_unit=city.unit(division, line),
            roles=[role],
            password=kw.pop("password", "Jz-test-pass-2026"),
            validate=False,
            **kw,
        )

    return make


@pytest.fixture
def citizen(db):
    from yiwang.core.actions.users import do_create_citizen

    return do_create_citizen(
        actor=None,
        username="zhangsan",
        full_name="张三",
        id_number="11010519491231002X",
        password="Jz-test-pass-2026",
        phone="13812345678",
        validate=False,
    )


@pytest.fixture
def enterprise_user(db):
    from yiwang.core.actions.users import do_create_enterprise
    from yiwang.core.identifiers import make_credit_code

    return do_create_enterprise(
        actor=None,
        username="qiye1",
        enterprise_name="焦作示例科技有限公司",
        credit_code=make_credit_code("91", "410800", "MA3XYW12"),
        full_name="李四",
        password="Jz-test-pass-2026",
        validate=False,
    )


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """The working-day cache must not carry a rolled-back test's calendar into the next."""
    from yiwang.core import calendar

    calendar.clear_cache()
    yield
    calendar.clear_cache()


@pytest.fixture(scope="session", autouse=True)
def _end_stray_database_sessions(_session_clock, django_db_setup, django_db_blocker):
    """Threads started by tests (live server, workers, concurrency tests) may leave a
    PostgreSQL session open; end them so the test database can be dropped."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def licence_types(city):
    """``city`` plus the 证照目录 (营业执照, 食品经营许可证, 居住证, 结婚证, 不动产权证书,
    社会保障卡) and a seal for each issuing city department; returns ``{slug: type}``."""
    from yiwang.licences.actions import do_seed_licence_types
    from yiwang.licences.models import LicenceType

    do_seed_licence_types(actor=None)
    return {t.slug: t for t in LicenceType.objects.all()}
