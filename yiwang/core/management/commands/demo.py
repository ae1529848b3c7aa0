"""``yiwang demo``: migrate, seed the deterministic demo city 焦作 once, run each
installed room's demo seeder (its manifest names it and its order), print the demo
accounts, then serve. Never asks a question; re-running reuses the database."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from yiwang.core.actions import demo
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
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        city = opts["scale"] == "city"
        demo_people = 200 if city or opts["people"] is None else opts["people"]
        demo_ents = 50 if city or opts["enterprises"] is None else opts["enterprises"]

        started = time.perf_counter()
        seeded = demo.is_seeded()
        accounts = demo.do_seed_demo(actor=None, people=demo_people, enterprises=demo_ents)
        if not seeded:
            self.stdout.write(f"demo city seeded in {time.perf_counter() - started:.1f} s")
        cases = demo.do_seed_demo_cases(actor=None)
        if cases:
            self.stdout.write(f"opened {cases} demo cases")
        run = DemoRun(
            people=demo_people,
            enterprises=demo_ents,
            scale="city" if city else "demo",
            first_run=not seeded,
        )
        if self._rooms(run):
            accounts = demo.demo_accounts()

        if city:
            people = opts["people"] if opts["people"] is not None else CITY_PEOPLE
            ents = opts["enterprises"] if opts["enterprises"] is not None else CITY_ENTERPRISES
            self._scale(people, ents, opts["batch_size"], verbosity)

        self._print_accounts(accounts)
        if not opts["no_serve"]:
            call_command("runserver", f"{opts['addr']}:{opts['port']}", use_reloader=False)

    def _rooms(self, run: DemoRun) -> bool:
        """Each installed room's demo seeder, in its manifest's order; True when one
        added demo accounts."""
        added = False
        for seed in demo_seeders():
            started = time.perf_counter()
            report = seed(run)
            if report.summary:
                self.stdout.write(f"{report.summary} in {time.perf_counter() - started:.1f} s")
            added = added or report.accounts
        return added

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


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
