"""``yiwang data import <resource code> <file>``: load a file into a published resource
with a progress bar; a re-run of the same file resumes or reports it already loaded."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "数据归集：yiwang data import <资源代码> <文件> [--chunk-size N]"

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser("import", help="归集文件到数据资源")
        imp.add_argument("resource", help="资源代码，如 101-0001")
        imp.add_argument("file", help="CSV、XLSX 或 JSON 文件")
        imp.add_argument("--chunk-size", type=int, default=None, help="每次提交的行数")
        imp.add_argument("--mapping", default="", help='列映射 JSON，如 {"身份证":"公民身份号码"}')
        imp.add_argument("--records-path", default="", help="JSON 中记录数组所在路径")
        imp.add_argument("--throttle", type=float, default=0.0, help="每批提交后暂停的秒数")
        imp.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, verb: str, **opts) -> None:
        if verb == "import":
            self.do_import(**opts)

    def do_import(self, *, resource, file, chunk_size, mapping, records_path, throttle, **opts):
        from tqdm import tqdm

        from yiwang.data.actions.ingest import do_create_batch, do_process_batch
        from yiwang.data.models import DataResource

        res = DataResource.objects.filter(code=resource, status="published").first()
        if res is None:
            raise CommandError(f"没有已发布的数据资源 {resource}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        try:
            columns = json.loads(mapping) if mapping else None
            batch, existed = do_create_batch(
                actor=None,
                resource=res,
                filename=path.name,
                data=path.read_bytes(),
                columns=columns,
                records_path=records_path,
            )
        except (ValidationError, ValueError) as exc:
            msg = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            raise CommandError(msg) from None
        if existed and batch.status == "done":
            self.stdout.write(f"该文件已归集（批次 #{batch.pk}），数据未变化。")
            return
        verbose = opts.get("verbosity", 1) >= 2
        bar = None if opts.get("no_progress") else tqdm(total=batch.total, unit="行", desc="归集")

        def progress(n: int) -> None:
            if bar is not None:
                bar.update(n)
            if verbose:
                self.stdout.write(f"committed {n}")
                self.stdout.flush()

        batch = do_process_batch(
            actor=None, batch=batch, chunk_size=chunk_size, progress=progress, throttle=throttle
        )
        if bar is not None:
            bar.close()
        if batch.status != "done":
            raise CommandError(f"批次 #{batch.pk} 失败：{batch.error}")
        self.stdout.write(
            f"批次 #{batch.pk}：新增 {batch.created}，更新 {batch.updated}，未变化 "
            f"{batch.unchanged}，问题数据 {batch.quarantined}，冲突 {batch.conflicts}"
        )
