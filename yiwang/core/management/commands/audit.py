"""``yiwang audit verify`` / ``yiwang audit seal``: check or seal the audit ledger (审计账本)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yiwang.core import ledger


class Command(BaseCommand):
    help = "校验（verify）或封存（seal）审计账本。"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="重新计算每条记录哈希、默克尔根、区块头和签名")
        verify.add_argument("--json", action="store_true", help="以 JSON 输出结果")
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            help="此前发布的区块头，须仍在链中（可重复）",
        )
        verify.add_argument(
            "--from-block", type=int, default=1, help="从该区块起校验（信任其前一区块头）"
        )
        verify.add_argument("--limit", type=int, default=20, help="最多列出的问题数（默认 20）")
        verify.add_argument(
            "--processes",
            type=int,
            default=None,
            help="并行校验的进程数（默认每个 CPU 一个；1 为单进程）",
        )
        seal = sub.add_parser("seal", help="立即将待封存记录封存为签名区块")
        seal.add_argument("--grace", type=float, default=None, help="宽限期（秒）")
        seal.add_argument("--block-size", type=int, default=None, help="每个区块的记录数")

    def handle(self, *args, **opts) -> None:
        if opts["subcommand"] == "seal":
            self._seal(opts)
        else:
            self._verify(opts)

    def _seal(self, opts) -> None:
        result = ledger.seal_pending(grace_seconds=opts["grace"], block_size=opts["block_size"])
        if result.blocks:
            self.stdout.write(
                _("已封存 %(n)s 条记录，区块 %(a)s–%(b)s")
                % {"n": result.entries, "a": result.blocks[0], "b": result.blocks[-1]}
            )
        else:
            self.stdout.write(_("没有待封存的记录"))

    def _verify(self, opts) -> None:
        processes = opts["processes"] or ledger.default_processes()
        result = ledger.verify_ledger(
            from_block=opts["from_block"], anchors=opts["anchor"], processes=processes
        )
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
        summary = _("校验区块 %(b)s 个、已封存记录 %(e)s 条，待封存 %(u)s 条") % {
            "b": result.blocks,
            "e": result.entries,
            "u": result.unsealed,
        }
        if result.ok:
            if not opts["json"]:
                self.stdout.write(
                    self.style.SUCCESS(
                        _("账本完好：%(s)s；最新区块头 %(h)s")
                        % {"s": summary, "h": result.head or "—"}
                    )
                )
            return
        first = result.first
        assert first is not None, "a ledger that is not sound has a first problem"
        if not opts["json"]:
            self.stderr.write(
                _("账本被篡改：发现 %(n)s 处问题；%(s)s")
                % {"n": len(result.problems), "s": summary}
            )
            for problem in result.problems[: opts["limit"]]:
                self.stderr.write(f"  {problem.describe()}")
        raise CommandError(_("首个问题：%(p)s") % {"p": first.describe()}, returncode=1)
