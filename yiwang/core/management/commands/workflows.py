"""``yiwang workflows load [FILE ...]``: define workflows from JSON files (by default the
files shipped in every app's ``workflows/`` folder); ``yiwang workflows list``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from yiwang.core.actions.workflow import do_load_workflows
from yiwang.core.models import Workflow


class Command(BaseCommand):
    help = "Load or list workflow definitions (流程定义)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        load = sub.add_parser("load", help="define workflows from JSON files")
        load.add_argument("files", nargs="*")
        sub.add_parser("list", help="list workflows and versions")

    def handle(self, *args, op: str, **options) -> None:
        if op == "list":
            for wf in Workflow.objects.all():
                mark = "*" if wf.active else " "
                self.stdout.write(f"{mark} {wf.code} v{wf.version} {wf.name}")
            return
        try:
            loaded = do_load_workflows(actor=None, paths=options["files"] or None)
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        for wf in loaded:
            self.stdout.write(f"{wf.code} v{wf.version} {wf.name}")
