"""``yiwang apiclient create NAME --scopes read,org``: register a system-to-system client
(接口客户端) and print its client id and secret (shown once)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from yiwang.core.actions.identity import do_create_api_client
from yiwang.core.models import ApiClient, OrgUnit


class Command(BaseCommand):
    help = "Manage API clients (接口客户端): create, list."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        create = sub.add_parser("create", help="register a client and print its credentials")
        create.add_argument("name")
        create.add_argument("--scopes", default="read", help="comma-separated, e.g. read,org")
        create.add_argument("--org-unit", type=int, default=None, help="OrgUnit id it acts for")
        sub.add_parser("list", help="list clients (never their secrets)")

    def handle(self, *args, op: str, **opts) -> None:
        if op == "list":
            for c in ApiClient.objects.select_related("application").order_by("pk"):
                self.stdout.write(f"{c.application.client_id}\t{c.scopes}\t{c.name}")
            return
        unit = None
        if opts["org_unit"] is not None:
            unit = OrgUnit.objects.filter(pk=opts["org_unit"]).first()
            if unit is None:
                raise CommandError(f"No org unit {opts['org_unit']}")
        try:
            creds = do_create_api_client(
                actor=None,
                name=opts["name"],
                scopes=opts["scopes"].split(","),
                org_unit=unit,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"client_id: {creds.client_id}")
        self.stdout.write(f"client_secret: {creds.client_secret}")
        self.stdout.write(f"scopes: {creds.client.scopes}")
        self.stderr.write("The secret is shown only now; store it in the calling system.")
