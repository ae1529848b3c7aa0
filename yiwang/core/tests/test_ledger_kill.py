"""A process killed (SIGKILL) in the middle of writing its batched ledger entries keeps
every entry of each action that committed and none of the action it was in; the
ledger then seals and verifies whole, in worker processes as ``yiwang audit verify``
runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from yiwang.core import keys
from yiwang.core.models import AuditEntry, RateCounter
from yiwang.core.tests.shared_db import SharedDatabase

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
PER_ACTION = 300

# An action: one domain row and PER_ACTION ledger entries in one transaction. With
# ``hang_at`` the process stops after that action's entries are written into the
# database, before COMMIT: the batch is in the table, uncommitted, when it is killed.
WRITER = r"""
import sys, time
import django

django.setup()
from django.db import connection, transaction
from django.utils import timezone

from yiwang.core import audit
from yiwang.core.models import RateCounter

run, per, hang_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
current = {"action": -1}
commit = connection._commit


def commit_or_hang():
    if current["action"] == hang_at:
        print(f"written {hang_at}", flush=True)
        time.sleep(120)
    return commit()


connection._commit = commit_or_hang
for a in range(10_000):
    current["action"] = a
    print(f"begin {a}", flush=True)
    with transaction.atomic():
        RateCounter.objects.create(key=f"{run}-{a}", expires_at=timezone.now())
        for i in range(per):
            audit.record(
                actor=None, action="core.test.batch", obj=("core.thing", f"{run}-{a}-{i}")
            )
    print(f"committed {a}", flush=True)
"""


@pytest.fixture
def shared(tmp_path, settings):
    keys.keyring()  # the subprocesses must use the same keys
    AuditEntry.objects.all().delete()
    db = SharedDatabase(tmp_path)
    db.push()
    db.env = {
        **os.environ,
        "DATABASE_URL": db.url(),
        "YIWANG_KEY_DIR": str(settings.YIWANG_KEY_DIR),
        "DJANGO_SETTINGS_MODULE": "yiwang.settings",
    }
    return db


def _kill_writer(db: SharedDatabase, run: str, *, until: str, hang_at: int = -1) -> list[str]:
    """Start a writer, SIGKILL it once it prints a line starting with ``until``;
    return every line it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, run, str(PER_ACTION), str(hang_at)],
        env=db.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.startswith(until):
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert any(x.startswith(until) for x in lines), proc.stderr.read()[-3000:]
    return lines


def _entries_per_action(run: str) -> dict[int, int]:
    counts: dict[int, int] = {}
    for object_id in AuditEntry.objects.filter(object_id__startswith=f"{run}-").values_list(
        "object_id", flat=True
    ):
        action = int(object_id.split("-")[1])
        counts[action] = counts.get(action, 0) + 1
    return counts


def _actions_done(run: str) -> set[int]:
    keys_ = RateCounter.objects.filter(key__startswith=f"{run}-").values_list("key", flat=True)
    return {int(k.split("-")[1]) for k in keys_}


def _manage(db: SharedDatabase, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=db.env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


def test_killed_writer_keeps_exactly_the_committed_actions_entries(shared):
    # Killed wherever it happens to be once three actions have committed.
    lines = _kill_writer(shared, "free", until="committed 2")
    # Killed with an action's whole batch written and not yet committed.
    hung = _kill_writer(shared, "hung", until="written 3", hang_at=3)
    shared.pull()

    committed = {int(x.split()[1]) for x in lines if x.startswith("committed")}
    begun = {int(x.split()[1]) for x in lines if x.startswith("begin")}
    counts = _entries_per_action("free")
    assert committed >= {0, 1, 2}
    for a in committed:
        assert counts.get(a) == PER_ACTION, (a, counts.get(a))
    # The action in flight at the kill: all of it (committed, not yet reported) or none.
    for a in begun - committed:
        assert counts.get(a, 0) in (0, PER_ACTION)
        assert (counts.get(a, 0) == PER_ACTION) == (a in _actions_done("free"))
    assert set(counts) <= begun and _actions_done("free") == set(counts)

    counts = _entries_per_action("hung")
    assert counts == {a: PER_ACTION for a in range(3)}
    assert _actions_done("hung") == {0, 1, 2}
    assert any(x == "written 3" for x in hung)

    # The ledger seals and verifies whole, checked by worker processes.
    sealed = _manage(shared, "audit", "seal", "--grace", "0", "--block-size", "100")
    assert sealed.returncode == 0, sealed.stderr
    shared.pull()
    verified = _manage(shared, "audit", "verify", "--processes", "2")
    assert verified.returncode == 0, verified.stderr
    total = AuditEntry.objects.count()
    assert f"已封存记录 {total} 条" in verified.stdout

    victim = AuditEntry.objects.filter(object_id="hung-1-7").values_list("id", flat=True).get()
    AuditEntry.objects.filter(pk=victim).update(purpose="改写")
    shared.push()
    tampered = _manage(shared, "audit", "verify", "--processes", "2")
    assert tampered.returncode == 1
    assert f"记录 #{victim}" in tampered.stderr and "[edited]" in tampered.stderr
