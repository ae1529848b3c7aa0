"""``yiwang open311keys create NAME | list | revoke ID``: Open311 接口密钥 from the
command line, through the same actions as the 值班长's page (the platform acts, and the
ledger says so). A new key is printed once; only its keyed SM3 digest is stored."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiwang.hotline.actions.open311 import do_issue_open311_key, do_revoke_open311_key
from yiwang.hotline.models import Open311Key


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M:%S%z") if value else "-"


class Command(BaseCommand):
    help = "Manage Open311 API keys (接口密钥): create, list, revoke."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        create = sub.add_parser("create", help="issue a key and print it (shown once)")
        create.add_argument("name", help="the outside app (调用方) the key is for")
        sub.add_parser("list", help="list keys (never the keys themselves)")
        revoke = sub.add_parser("revoke", help="revoke a key by its id")
        revoke.add_argument("id", type=int)

    def handle(self, *args, op: str, **opts) -> None:
        if op == "list":
            for k in Open311Key.objects.order_by("pk"):
                state = "active" if k.active else "revoked"
                self.stdout.write(
                    f"{k.pk}\t{k.prefix}…\t{state}\t{_when(k.created_at)}\t"
                    f"{_when(k.last_used_at)}\t{k.name}"
                )
            return
        if op == "revoke":
            row = Open311Key.objects.filter(pk=opts["id"]).first()
            if row is None:
                raise CommandError(f"No Open311 key {opts['id']}")
            was_active = row.active
            do_revoke_open311_key(actor=None, key=row)
            self.stdout.write(f"revoked: {row.pk} {row.name}" if was_active else "already revoked")
            return
        try:
            row, clear = do_issue_open311_key(actor=None, name=opts["name"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"id: {row.pk}")
        self.stdout.write(f"api_key: {clear}")
        self.stderr.write("The key is shown only now; give it to the calling app securely.")
