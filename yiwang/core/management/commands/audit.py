"""``yiwang audit verify`` / ``yiwang audit seal``: check or seal the audit ledger (审计账本)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from yiwang.core import ledger


class Command(BaseCommand):
    help = "Verify (verify) or seal (seal) the audit ledger."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="re-derive every leaf, root, head and signature")
        verify.add_argument("--json", action="store_true", help="print the result as JSON")
        verify.add_argument("--limit", type=int, default=20, help="problems to list (default 20)")
        seal = sub.add_parser("seal", help="seal pending entries into signed blocks now")
        seal.add_argument("--grace", type=float, default=None, help="grace period in seconds")
        seal.add_argument("--block-size", type=int, default=None)

    def handle(self, *args, **opts) -> None:
        if opts["subcommand"] == "seal":
            self._seal(opts)
        else:
            self._verify(opts)

    def _seal(self, opts) -> None:
        result = ledger.seal_pending(grace_seconds=opts["grace"], block_size=opts["block_size"])
        if result.blocks:
            self.stdout.write(
                f"sealed {result.entries} entries into blocks "
                f"{result.blocks[0]}–{result.blocks[-1]}"
            )
        else:
            self.stdout.write("nothing to seal")

    def _verify(self, opts) -> None:
        result = ledger.verify_ledger()
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ok": result.ok,
                        "blocks": result.blocks,
                        "entries": result.entries,
                        "unsealed": result.unsealed,
                        "head": result.head,
                        "problems": [p.as_dict() for p in result.problems],
                    },
                    ensure_ascii=False,
                )
            )
        summary = (
            f"{result.blocks} blocks, {result.entries} sealed entries checked, "
            f"{result.unsealed} unsealed"
        )
        if result.ok:
            if not opts["json"]:
                self.stdout.write(self.style.SUCCESS(f"ledger OK: {summary}; head {result.head}"))
            return
        first = result.first
        if not opts["json"]:
            self.stderr.write(f"LEDGER TAMPERED: {len(result.problems)} problem(s); {summary}")
            for problem in result.problems[: opts["limit"]]:
                self.stderr.write(f"  {problem.describe()}")
        raise CommandError(f"first problem: {first.describe()}", returncode=1)
