"""用数记录 written in groups: concurrent exchange calls share one transaction for their
access rows and ledger entries, yet no call returns before its own rows are committed,
and a group that fails fails every call in it. (A request's own path through the writer
is tested with the gateway in ``test_sharing``.)"""

from __future__ import annotations

import threading
import time

from yiwang.data import gateway


def _run_writers(writer: gateway.GroupWriter, n: int) -> list:
    outcomes: list = [None] * n
    start = threading.Barrier(n)

    def call(k: int) -> None:
        start.wait()
        try:
            writer.write([f"row{k}"], [{"k": k}])
            outcomes[k] = "ok"
        except RuntimeError as exc:
            outcomes[k] = str(exc)

    threads = [threading.Thread(target=call, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return outcomes


def test_concurrent_calls_share_transactions_and_each_waits_for_its_own(monkeypatch):
    groups: list[list] = []

    def write(parts):
        time.sleep(0.05)  # a commit takes a while: others queue up meanwhile
        groups.append([rows[0] for rows, _entries in parts])

    monkeypatch.setattr(gateway, "_write_log", write)
    outcomes = _run_writers(gateway.GroupWriter(), 12)
    assert outcomes == ["ok"] * 12
    written = [row for group in groups for row in group]
    assert sorted(written) == sorted(f"row{k}" for k in range(12))  # each once
    assert len(groups) < 12  # fewer transactions than calls


def test_a_failed_group_fails_every_call_in_it(monkeypatch):
    def write(parts):
        time.sleep(0.05)
        raise RuntimeError("database gone")

    monkeypatch.setattr(gateway, "_write_log", write)
    assert _run_writers(gateway.GroupWriter(), 6) == ["database gone"] * 6
