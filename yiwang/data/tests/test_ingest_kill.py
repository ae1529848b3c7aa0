"""An import killed part-way (SIGKILL of a real ``manage.py data import`` process) keeps
whole committed chunks, and a re-run finishes with exactly the right rows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from yiwang.core import keys
from yiwang.core.tests.shared_db import SharedDatabase
from yiwang.data.models import ImportBatch, Person, QuarantinedRow
from yiwang.data.tests.ingest_helpers import HEADER, as_csv, people, person_row

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
CHUNK = 40
GOOD = 800
BAD_EVERY = 10  # every tenth row has an invalid ID number


def _rows() -> tuple[list[list[str]], int]:
    rows, bad = [], 0
    for i, p in enumerate(people(GOOD)):
        row = person_row(p)
        rows.append(row)
        if i % BAD_EVERY == 5:
            broken = person_row(p)
            broken[0] = broken[0][:6] + "99999999" + broken[0][14:]
            rows.append(broken)
            bad += 1
    return rows, bad


def _command(csv_path: Path, *extra: str, verbosity: int = 1) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "manage.py"),
        "data",
        "--verbosity",
        str(verbosity),
        "import",
        "101-0001",
        str(csv_path),
        "--chunk-size",
        str(CHUNK),
        "--no-progress",
        *extra,
    ]


def test_killed_import_resumes_to_exactly_the_right_rows(data_city, tmp_path, settings):
    keys.keyring()  # the subprocess must use the same keys
    rows, bad = _rows()
    csv_path = tmp_path / "people.csv"
    csv_path.write_bytes(as_csv(HEADER, rows))
    db = SharedDatabase(tmp_path)
    db.push()
    env = {
        **os.environ,
        "DATABASE_URL": db.url(),
        "YIWANG_KEY_DIR": str(settings.YIWANG_KEY_DIR),
        "YIWANG_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_SETTINGS_MODULE": "yiwang.settings",
    }
    proc = subprocess.Popen(
        _command(csv_path, "--throttle", "0.05", verbosity=2),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    commits = 0
    deadline = time.monotonic() + 120
    while commits < 3 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        commits += line.startswith("committed")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert commits >= 3, proc.stderr.read()
    db.pull()

    batch = ImportBatch.objects.get()
    assert batch.status == "running" and 0 < batch.processed < len(rows)
    assert batch.processed % CHUNK == 0  # whole chunks only
    assert Person.objects.count() == batch.created
    assert QuarantinedRow.objects.count() == batch.quarantined
    assert batch.created + batch.quarantined == batch.processed

    done = subprocess.run(
        _command(csv_path), env=env, capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert done.returncode == 0, done.stderr
    db.pull()
    batch.refresh_from_db()
    assert batch.status == "done" and batch.processed == len(rows)
    assert Person.objects.count() == GOOD == batch.created
    assert QuarantinedRow.objects.count() == bad == batch.quarantined
    assert sorted(QuarantinedRow.objects.values_list("row_number", flat=True)) == sorted(
        n for n, r in enumerate(rows, start=1) if r[0][6:14] == "99999999"
    )

    again = subprocess.run(
        _command(csv_path), env=env, capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert again.returncode == 0 and "已归集" in again.stdout
    db.pull()
    assert Person.objects.count() == GOOD and ImportBatch.objects.count() == 1
