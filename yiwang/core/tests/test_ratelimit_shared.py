"""Rate limits and login throttles hold across worker processes (频率限制共享): separate
``manage.py`` processes that share nothing but the database count against one limit,
and concurrent increments are never lost."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from yiwang.core import ratelimit
from yiwang.core.ratelimit import CacheCounters, DatabaseCounters

ROOT = Path(__file__).resolve().parents[3]


class SharedDatabase:
    """The test database as another process opens it: PostgreSQL by name; SQLite's
    in-memory test database copied to a file."""

    def __init__(self, tmp: Path) -> None:
        self.sqlite = connection.vendor == "sqlite"
        self.file = tmp / "shared.sqlite3"

    def url(self) -> str:
        if self.sqlite:
            return f"sqlite:///{self.file}"
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

    def push(self) -> None:
        if self.sqlite:
            connection.ensure_connection()
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()

    def count(self, key: str) -> int:
        """A counter's value as the database holds it now."""
        if self.sqlite:
            with sqlite3.connect(self.file) as db:
                row = db.execute(
                    "SELECT count FROM core_ratecounter WHERE key = ?", [key]
                ).fetchone()
        else:
            with connection.cursor() as cur:
                cur.execute("SELECT count FROM core_ratecounter WHERE key = %s", [key])
                row = cur.fetchone()
        return row[0] if row else 0


def _env(db: SharedDatabase, settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "YIWANG_REDIS_URL"}
    env.update(
        DATABASE_URL=db.url(),
        YIWANG_KEY_DIR=str(settings.YIWANG_KEY_DIR),
        YIWANG_FAST_HASHER="1",
        DJANGO_SETTINGS_MODULE="yiwang.settings",
        **extra,
    )
    return env


def _shell(code: str, env: dict[str, str], stdin=None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env,
        cwd=ROOT,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


FAILED_LOGINS = """
import json, os
from django.test import Client
client = Client(REMOTE_ADDR="198.51.100.7")
out = []
for n in range(int(os.environ["TRIES"])):
    page = client.post("/login/", {"username": "nobody-%s" % (n % 2), "password": "guess"})
    out.append([page.status_code, "此网络地址登录失败次数过多" in page.content.decode()])
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_share_the_login_throttle(tmp_path, settings):
    """A limit of 4 failures: 2 in one process and 2 in another reach it together, so the
    next attempt in the second is refused (with per-process counts it would pass)."""
    db = SharedDatabase(tmp_path)
    db.push()
    env = _env(db, settings, YIWANG_LOGIN_IP_FAILURES="4", YIWANG_LOGIN_DELAY_FREE="99")
    first = _result(_shell(FAILED_LOGINS, {**env, "TRIES": "2"}))
    second = _result(_shell(FAILED_LOGINS, {**env, "TRIES": "3"}))
    assert first == [[200, False], [200, False]]
    # The 4th failure overall pauses the address, and says so at once.
    assert second == [[200, False], [429, True], [429, True]]


CONCURRENT_HITS = """
import json
from yiwang.core import ratelimit
print(json.dumps([ratelimit.hit("shared-test", 600) for _ in range(40)]))
"""


@pytest.mark.slow
@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_never_lose_an_increment(tmp_path, settings):
    """Two processes hitting one counter at the same time: every hit gets its own value
    (no two read the same count) and the total is exact."""
    db = SharedDatabase(tmp_path)
    db.push()
    env = _env(db, settings)
    procs = [_shell(CONCURRENT_HITS, env) for _ in range(2)]
    seen = [value for proc in procs for value in _result(proc)]
    assert sorted(seen) == list(range(1, 81))
    assert db.count("shared-test") == 80


def test_the_cache_is_the_database_cache_table_without_redis(db):
    from django.conf import settings

    assert settings.CACHES["default"]["BACKEND"].endswith("db.DatabaseCache")
    assert settings.YIWANG["RATE_STORE"] == "database"
    assert "yiwang_cache" in connection.introspection.table_names()
    cache.set("yiwang:test", {"a": 1}, 30)
    assert cache.get("yiwang:test") == {"a": 1}


@pytest.mark.django_db(transaction=True)
def test_migrate_makes_the_cache_table():
    from django.core.management import call_command

    with connection.cursor() as cur:
        cur.execute("DROP TABLE yiwang_cache")
    assert "yiwang_cache" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    assert "yiwang_cache" in connection.introspection.table_names()


def _exercise(store, clock) -> None:
    """The same contract for every store: windows, sliding windows, holds, clearing."""
    assert [store.hit("k", 60) for _ in range(3)] == [1, 2, 3]
    assert store.hit("k", 60, 5) == 8
    count = store.peek("k")
    assert count.n == 8 and count.ends is not None
    assert store.peek("absent").n == 0 and store.peek("absent").ends is None
    clock.shift(dt.timedelta(seconds=61))
    assert store.peek("k").n == 0
    assert store.hit("k", 60) == 1  # a new window
    until = store.hold("h", 30)
    assert store.peek("h").ends is not None
    assert abs((store.peek("h").ends - until).total_seconds()) < 1
    store.hit("s", 60, sliding=True)
    clock.shift(dt.timedelta(seconds=45))
    store.hit("s", 60, sliding=True)
    clock.shift(dt.timedelta(seconds=45))
    assert store.peek("s").n == 2  # kept alive by the second hit
    store.clear("k", "h", "s")
    assert store.peek("k").n == store.peek("h").n == store.peek("s").n == 0


def test_database_counters_keep_the_contract(db, clock):
    store = DatabaseCounters()
    _exercise(store, clock)
    store.hit("old", 1)
    clock.shift(dt.timedelta(seconds=2))
    assert store.purge() >= 1


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "yiwang_cache",
        },
        "counters": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
)
def test_cache_counters_keep_the_contract(db, clock):
    """The Redis path, through the same cache API (here an in-memory cache)."""
    _exercise(CacheCounters("counters"), clock)


def test_long_keys_share_one_row(db):
    long_key = "x" * 500
    assert ratelimit.hit(long_key, 60) == 1
    assert ratelimit.hit(long_key, 60) == 2
    assert ratelimit.peek(long_key).n == 2
