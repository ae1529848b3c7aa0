"""``yiwang keys init|status|rotate``: key files, per-version counts, SM4 key rotation."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from yiwang.core import keys
from yiwang.core.actions import keys as key_actions


class Command(BaseCommand):
    help = _(
        "密钥管理：init 生成生产密钥文件；status 查看各密钥版本的数据量；rotate 轮换 SM4 密钥并重新加密。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True, parser_class=CommandParser)
        init = sub.add_parser(
            "init",
            help=_(
                "生成缺失的密钥文件（SM4 v1、盲索引密钥、平台 SM2 私钥、OIDC 私钥），不覆盖已有文件"
            ),
        )
        init.add_argument("--dir", help=_("密钥目录（默认 settings.YIWANG_KEY_DIR）"))
        status = sub.add_parser("status", help=_("当前密钥版本及每个加密字段各版本的数据量"))
        status.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
        rotate = sub.add_parser("rotate", help=_("新增 SM4 密钥版本并把所有数据重新加密到该版本"))
        rotate.add_argument(
            "--reencrypt-only",
            action="store_true",
            help=_("不新增版本，只把未使用当前版本的数据重新加密（密钥来自环境变量时使用）"),
        )
        rotate.add_argument(
            "--batch-size",
            type=int,
            default=key_actions.DEFAULT_BATCH,
            help=_("每批行数（每批一个事务）"),
        )
        rotate.add_argument("--no-progress", action="store_true", help=_("不显示进度条"))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['subcommand']}")(options)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc

    def _init(self, options: dict[str, Any]) -> None:
        directory = Path(options["dir"]) if options.get("dir") else keys.key_dir()
        for path, created in keys.init_key_files(directory):
            if created:
                self.stdout.write(
                    self.style.SUCCESS(_("已生成 %(path)s（权限 0600）") % {"path": path})
                )
            else:
                self.stdout.write(
                    self.style.WARNING(_("已存在，未覆盖：%(path)s") % {"path": path})
                )
        if os.environ.get("YIWANG_SM4_KEYS"):
            self.stdout.write(
                self.style.WARNING(
                    _("注意：已设置 YIWANG_SM4_KEYS，运行时以环境变量中的密钥为准。")
                )
            )

    def _status(self, options: dict[str, Any]) -> None:
        status = key_actions.key_status()
        if options["json"]:
            self.stdout.write(json.dumps(status, ensure_ascii=False, indent=1))
            return
        versions = ", ".join(f"v{v}" for v in status["versions"])
        self.stdout.write(
            _("当前 SM4 密钥版本：v%(active)s（密钥环：%(versions)s）")
            % {"active": status["active"], "versions": versions}
        )
        width = max((len(label) for label in status["columns"]), default=10)
        for label, counts in status["columns"].items():
            parts = [f"v{v}={counts[f'v{v}']}" for v in status["versions"]]
            parts.append(_("明文=%(n)s") % {"n": counts["clear"]})
            if counts["other"]:
                parts.append(_("未知版本=%(n)s") % {"n": counts["other"]})
            if counts.get("column_bound"):
                parts.append(_("未绑定行=%(n)s") % {"n": counts["column_bound"]})
            self.stdout.write(f"{label:<{width}}  " + "  ".join(parts))

    def _rotate(self, options: dict[str, Any]) -> None:
        if options["batch_size"] < 1:
            raise CommandError(_("--batch-size 必须为正整数。"))
        bars: dict[str, tqdm] = {}
        disable = True if options["no_progress"] else None  # None: only on a terminal

        def progress(col: key_actions.EncryptedColumn, done: int) -> None:
            bar = bars.get(col.label)
            if bar is None:
                total = done + key_actions.pending_count(col)
                bar = bars[col.label] = tqdm(
                    total=total, desc=col.label, unit=_("行"), disable=disable
                )
            bar.update(done)

        result = key_actions.do_rotate_keys(
            actor=f"cli:{getpass.getuser()}",
            reencrypt_only=options["reencrypt_only"],
            batch_size=options["batch_size"],
            progress=progress,
        )
        for bar in bars.values():
            bar.close()
        if result.active != result.previous:
            self.stdout.write(
                self.style.SUCCESS(
                    _("新 SM4 密钥版本：v%(new)s（原 v%(old)s）")
                    % {"new": result.active, "old": result.previous}
                )
            )
        for label, counts in result.models.items():
            self.stdout.write(
                _("%(model)s：重新加密 %(done)s，并发变更跳过 %(skipped)s，失败 %(failed)s")
                % {
                    "model": label,
                    "done": counts["reencrypted"],
                    "skipped": counts["skipped"],
                    "failed": counts["failed"],
                }
            )
        failed = sum(c["failed"] for c in result.models.values())
        if failed:
            raise CommandError(
                _("%(n)s 个值无法解密（已篡改或密钥版本缺失），详见日志。") % {"n": failed}
            )
        self.stdout.write(
            self.style.SUCCESS(_("完成：所有数据均已使用 v%(v)s。") % {"v": result.active})
        )
