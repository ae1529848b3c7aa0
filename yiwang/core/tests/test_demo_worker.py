"""``yiwang demo`` as a real process: it serves with a worker beside it, so an audited
sign-in is sealed into a signed block within seconds (审计账本封存), and the worker ends
with the server; a worker started with ``--stop-with`` ends when its parent is killed
outright."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path
from typing import TypeVar
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

import pytest
from django.db import connection

from yiwang.core import keys
from yiwang.core.actions.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.real_clock]

ROOT = Path(__file__).resolve().parents[3]
SEAL_EVERY = 2  # seconds between two seals in these runs (10 by default)
T = TypeVar("T")


class SharedDatabase:
    """The (migrated) test database as a subprocess can open it: PostgreSQL by name;
    SQLite's in-memory test database copied to a file, read there."""

    def __init__(self, tmp: Path) -> None:
        self.sqlite = connection.vendor == "sqlite"
        self.file = tmp / "shared.sqlite3"
        if self.sqlite:
            connection.ensure_connection()
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()

    def url(self) -> str:
        if self.sqlite:
            return f"sqlite:///{self.file}"
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

    def one(self, sql: str, params: tuple = ()) -> tuple | None:
        if self.sqlite:
            with sqlite3.connect(self.file, timeout=30) as db:
                return db.execute(sql, params).fetchone()
        with connection.cursor() as cur:
            cur.execute(sql.replace("?", "%s"), params)
            return cur.fetchone()


def _env(tmp_path: Path, db: SharedDatabase, settings) -> dict[str, str]:
    keys.keyring()  # the subprocesses use the test's keys
    return {
        **os.environ,
        "DATABASE_URL": db.url(),
        "DJANGO_SETTINGS_MODULE": "yiwang.settings",
        "YIWANG_KEY_DIR": str(settings.YIWANG_KEY_DIR),
        "YIWANG_VAR_DIR": str(tmp_path / "var"),
        "YIWANG_MEDIA_ROOT": str(tmp_path / "media"),
        "YIWANG_LEDGER_SEAL_EVERY": str(SEAL_EVERY),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(check: Callable[[], T | None], seconds: float, what: str) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {seconds} s")


def _gone(pid: int) -> bool:
    """The process has ended (a zombie nobody reaps has ended too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _sign_in(base: str, username: str) -> None:
    """Sign in through the login page, as a person would (an audited event)."""
    jar = CookieJar()
    opener = build_opener(HTTPCookieProcessor(jar))
    opener.open(f"{base}/login/", timeout=30).read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = {"csrfmiddlewaretoken": token, "username": username, "password": DEMO_PASSWORD}
    done = opener.open(f"{base}/login/", data=urlencode(form).encode(), timeout=30)
    assert "/login/" not in done.geturl(), "sign-in refused"


def _answers(url: str) -> bool:
    try:
        with build_opener().open(url, timeout=5) as response:
            return response.status == 200
    except (URLError, OSError):
        return False


def test_demo_serves_with_a_worker_that_seals_within_seconds_and_stops_with_it(tmp_path, settings):
    db = SharedDatabase(tmp_path)
    port = _free_port()
    out = tmp_path / "demo.out"
    command = [sys.executable, "-m", "yiwang.cli", "demo", "--port", str(port)]
    with out.open("wb") as log:
        demo = subprocess.Popen(
            [*command, "--people", "3", "--enterprises", "1"],
            env=_env(tmp_path, db, settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    worker = None
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(lambda: _answers(f"{base}/login/") or demo.poll() is not None, 180, "server")
        assert demo.poll() is None, out.read_text()
        worker = int(re.search(r"worker started \(pid (\d+)\)", out.read_text())[1])
        assert not _gone(worker)

        _sign_in(base, "citizen001")
        signed_in = time.monotonic()
        login = "SELECT id, block_id FROM core_auditentry WHERE action = ? AND actor_label = ?"
        entry = db.one(login, ("core.session.login", "citizen001"))
        assert entry is not None and entry[1] is None  # recorded, not yet sealed
        _wait_for(lambda: db.one(login, ("core.session.login", "citizen001"))[1], 30, "seal")
        assert time.monotonic() - signed_in < 20  # one interval + grace, with room to spare
        unsealed = db.one(
            "SELECT COUNT(*) FROM core_auditentry WHERE block_id IS NULL AND id <= ?", (entry[0],)
        )
        assert unsealed == (0,)  # the demo city's own entries are sealed too

        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 0
        assert _gone(worker), "the worker outlived the demo server"
        assert "shutting down" in (tmp_path / "var" / "worker.log").read_text()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        if worker is not None and not _gone(worker):
            os.kill(worker, signal.SIGKILL)


SPAWN = """
import os, subprocess, sys
with open(sys.argv[1], "ab") as log:
    worker = subprocess.Popen(
        [sys.executable, "-m", "yiwang.cli", "worker", "--no-reload", "--no-schedule",
         "--stop-with", str(os.getpid())],
        stdout=log, stderr=subprocess.STDOUT)
print(worker.pid, flush=True)
sys.stdin.read()
"""
PR_SET_CHILD_SUBREAPER = 36


@pytest.mark.skipif(sys.platform != "linux", reason="reaping the orphan needs Linux's prctl")
def test_worker_started_with_stop_with_ends_when_its_parent_is_killed(tmp_path, settings):
    db = SharedDatabase(tmp_path)
    log = tmp_path / "worker.log"
    libc = ctypes.CDLL(None, use_errno=True)
    # The orphaned worker is handed to this process, which can then reap it.
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    parent = subprocess.Popen(
        [sys.executable, "-c", SPAWN, str(log)],
        env=_env(tmp_path, db, settings),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    worker = int(parent.stdout.readline())
    status = None
    try:
        _wait_for(lambda: log.exists() and "Starting worker" in log.read_text(), 60, "worker")
        parent.kill()  # kill -9: no chance to stop its child
        parent.wait()

        def reaped() -> int | None:
            pid, code = os.waitpid(worker, os.WNOHANG)
            return code if pid else None

        deadline = time.monotonic() + 20
        while status is None and time.monotonic() < deadline:
            status = reaped()
            time.sleep(0.1)
        assert status is not None, "the worker outlived its parent"
        assert os.waitstatus_to_exitcode(status) == 0  # a graceful stop
    finally:
        if status is None and not _gone(worker):
            os.kill(worker, signal.SIGKILL)
            os.waitpid(worker, 0)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
