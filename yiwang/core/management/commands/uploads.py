"""``yiwang uploads reencrypt``: bring every stored upload onto the active SM4 key version
(after ``keys rotate``, and for files stored in clear before encryption at rest)."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yiwang.core.actions.uploads import do_reencrypt_files


class Command(BaseCommand):
    help = _(
        "上传文件：reencrypt 把所有上传文件重新加密到当前 SM4 密钥版本（含加密存储前的明文文件）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, parser_class=CommandParser)
        sub.add_parser("reencrypt", help=_("重新加密未使用当前密钥版本的上传文件"))

    def handle(self, *args: Any, **options: Any) -> None:
        results = do_reencrypt_files(actor=f"cli:{getpass.getuser()}")
        for label, counts in results.items():
            self.stdout.write(
                _("%(model)s：重新加密 %(done)s，并发变更跳过 %(skipped)s，失败 %(failed)s")
                % {
                    "model": label,
                    "done": counts["reencrypted"],
                    "skipped": counts["skipped"],
                    "failed": counts["failed"],
                }
            )
        failed = sum(c["failed"] for c in results.values())
        if failed:
            raise CommandError(
                _("%(n)s 个文件缺失或与 SM3 摘要不符，未重新加密，详见日志。") % {"n": failed}
            )
