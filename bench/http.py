"""Serving the platform for HTTP benchmarks the way production does (``gunicorn
yiwang.wsgi``, see README): worker processes with a few threads each, persistent database
connections, HTTP/1.1 keep-alive; and client threads measuring rate and latency."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``gunicorn`` serving ``app`` (``module:factory()``) with ``workers`` processes of
    ``threads`` threads; a context manager that waits until it answers."""

    def __init__(self, app: str, workers: int = 2, threads: int = 4, env: dict | None = None):
        self.port = free_port()
        self.app, self.workers, self.threads = app, workers, threads
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "YIWANG_DB_CONN_MAX_AGE": "600",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None

    @property
    def label(self) -> str:
        return f"gunicorn {self.workers}×{self.threads} (gthread)"

    def __enter__(self) -> Server:
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(self.threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--keep-alive",
            "30",
            self.app,
        ]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("the benchmark server did not start")

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


def load(
    port: int,
    request: Callable[[int], tuple[str, str, bytes, dict]],
    clients: int,
    seconds: float,
    pace: float | None = None,
) -> dict:
    """``clients`` threads, each with one keep-alive connection, sending ``request(i)``
    (method, path, body, headers) one at a time for ``seconds`` — closed loop, or each
    paced to ``pace`` requests a second (open loop: the latency a client sees at that
    offered load). Returns rate (answers/s), p50/p99 latency (ms) and failures."""
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(k: int) -> None:
        mine: list[float] = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i = k
        next_at = time.perf_counter()
        while time.perf_counter() < stop:
            if pace:
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                next_at += 1 / pace
            method, path, body, headers = request(i)
            i += clients
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body, headers)
                r = conn.getresponse()
                data = r.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    errors.append(repr(exc))
                continue
            if r.status != 200:
                with lock:
                    errors.append(f"{r.status} {data[:200]!r}")
                continue
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors and len(errors) > len(latencies) // 100:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[max(0, int(len(latencies) * p) - 1)] * 1000 if latencies else 0.0

    return {
        "rate": len(latencies) / elapsed,
        "p50": pct(0.50),
        "p99": pct(0.99),
        "errors": len(errors),
    }
