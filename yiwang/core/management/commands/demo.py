"""``yiwang demo``: migrate, seed the deterministic demo city 焦作 once, run each
installed room's demo seeder (its manifest names it and its order), print the demo
accounts, then serve — with a ``yiwang worker`` alongside, so the audit ledger is sealed
within seconds (审计账本封存), notifications go out and overdue cases escalate, as in any
deployment. Never asks a question; re-running reuses the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from yiwang.core.actions import demo
from yiwang.core.http import served_base_url
from yiwang.core.rooms import DemoRun, demo_seeders

CITY_PEOPLE = 3_539_860  # 2010 census (DOMAIN.md)
CITY_ENTERPRISES = 300_000


class Command(BaseCommand):
    help = "Migrate, seed the demo city 焦作 (first run only), list demo accounts and serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port to serve on")
        parser.add_argument("--addr", default="127.0.0.1", help="address to serve on")
        parser.add_argument("--no-serve", action="store_true", help="seed only, do not serve")
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="serve without the background worker (run `yiwang worker` yourself)",
        )
        parser.add_argument(
            "--scale",
            choices=["demo", "city"],
            default="demo",
            help="'city' adds ~3.5 M citizens and 300 k enterprises for benchmarks",
        )
        parser.add_argument("--people", type=int, help="number of citizens (overrides --scale)")
        parser.add_argument("--enterprises", type=int, help="number of enterprises")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **opts) -> None:
        verbosity = opts["verbosity"]
        use_served_base_url(opts["addr"], opts["port"])
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        city = opts["scale"] == "city"
        demo_people = 200 if city or opts["people"] is None else opts["people"]
        demo_ents = 50 if city or opts["enterprises"] is None else opts["enterprises"]

        accounts = seed_demo_city(
            people=demo_people,
            enterprises=demo_ents,
            scale="city" if city else "demo",
            say=self.stdout.write,
        )

        if city:
            people = opts["people"] if opts["people"] is not None else CITY_PEOPLE
            ents = opts["enterprises"] if opts["enterprises"] is not None else CITY_ENTERPRISES
            self._scale(people, ents, opts["batch_size"], verbosity)

        self._print_accounts(accounts)
        if not opts["no_serve"]:
            self._serve(opts["addr"], opts["port"], worker=not opts["no_worker"])

    def _serve(self, addr: str, port: int, *, worker: bool) -> None:
        """The development server, with the worker as a child process that ends with it:
        on Ctrl-C, SIGTERM or SIGHUP here, and (``--stop-with``) however this process
        ends, even by ``kill -9`` or a server that cannot bind its port."""
        child = self._start_worker() if worker else None
        previous = {sig: signal.signal(sig, _exit_on_signal) for sig in STOP_SIGNALS}
        try:
            call_command("runserver", f"{addr}:{port}", use_reloader=False)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if child is not None:
                _stop(child)

    def _start_worker(self) -> subprocess.Popen:
        """``yiwang worker`` in its own session (Ctrl-C reaches the server, which stops
        the worker once), its output in ``var/worker.log``."""
        log_path = Path(settings.VAR_DIR) / "worker.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "yiwang.cli",
            "worker",
            "--no-reload",
            "--stop-with",
            str(os.getpid()),
        ]
        with log_path.open("ab") as log:
            child = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.stdout.write(f"worker started (pid {child.pid}), log: {log_path}")
        return child

    def _scale(self, people: int, enterprises: int, batch_size: int, verbosity: int) -> None:
        from tqdm import tqdm

        bars = {
            label: tqdm(total=None, desc=label, unit=" rows", disable=verbosity < 1)
            for label in ("citizens", "enterprises")
        }
        started = time.perf_counter()
        created = demo.do_seed_population(
            actor=None,
            people=people,
            enterprises=enterprises,
            batch_size=batch_size,
            on_batch=lambda label, n: bars[label].update(n),
        )
        for bar in bars.values():
            bar.close()
        elapsed = time.perf_counter() - started
        total = created["citizens"] + created["enterprises"]
        rate = total / elapsed if elapsed and total else 0
        self.stdout.write(
            f"city scale: {created['citizens']} citizens, {created['enterprises']} enterprises "
            f"added in {elapsed:.1f} s ({rate:,.0f} rows/s)"
        )

    def _print_accounts(self, accounts: list[demo.DemoAccount]) -> None:
        rows = [("username", "kind", "role", "org unit", "password")] + [
            (a.username, a.kind, a.role, a.org_unit, a.password) for a in accounts
        ]
        widths = [max(_width(r[i]) for r in rows) for i in range(5)]
        self.stdout.write("\nDemo accounts (演示账号):")
        for n, row in enumerate(rows):
            self.stdout.write("  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)))
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write("")


def seed_demo_city(
    *, people: int = 200, enterprises: int = 50, scale: str = "demo", say=lambda text: None
) -> list[demo.DemoAccount]:
    """The demo city as ``yiwang demo`` seeds it: the city and its accounts (first run
    only), the demo cases, then each installed room's demo seeder in its manifest's
    order. Returns the demo accounts; ``say`` hears what was done and how long it took."""
    started = time.perf_counter()
    seeded = demo.is_seeded()
    accounts = demo.do_seed_demo(actor=None, people=people, enterprises=enterprises)
    if not seeded:
        say(f"demo city seeded in {time.perf_counter() - started:.1f} s")
    cases = demo.do_seed_demo_cases(actor=None)
    if cases:
        say(f"opened {cases} demo cases")
    run = DemoRun(people=people, enterprises=enterprises, scale=scale, first_run=not seeded)
    added = False
    for seed in demo_seeders():
        started = time.perf_counter()
        report = seed(run)
        if report.summary:
            say(f"{report.summary} in {time.perf_counter() - started:.1f} s")
        added = added or report.accounts
    return demo.demo_accounts() if added else accounts


def use_served_base_url(addr: str, port: int) -> str:
    """Links printed for the outside world (a licence's QR code, a rating code) point at
    the address the demo serves on — unless ``YIWANG_PUBLIC_BASE_URL`` says otherwise. Set
    before anything is seeded (the demo licences carry it in their QR codes) and passed
    to the worker through the environment. Returns the base in use."""
    configured = os.environ.get("YIWANG_PUBLIC_BASE_URL")
    base = configured or served_base_url(addr, port)
    settings.YIWANG["PUBLIC_BASE_URL"] = base
    os.environ["YIWANG_PUBLIC_BASE_URL"] = base
    return base


# Signals that end the demo server the way Ctrl-C does, so the worker is stopped with it.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
WORKER_STOP_SECONDS = 15


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop(child: subprocess.Popen) -> None:
    """Ask the worker to stop (it finishes a running task first); kill it if it hangs."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
