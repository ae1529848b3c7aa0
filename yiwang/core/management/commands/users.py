"""``yiwang users grant USERNAME ROLE [--org-unit ID]`` / ``revoke`` / ``roles``: the
platform's own hand on roles (授权), for what no person may grant — the first system
administrator (系统管理员), auditors — run on the server by whoever runs it, recorded in
the ledger with no person as actor."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from yiwang.core.actions.users import do_grant_role, do_revoke_role
from yiwang.core.models import OrgUnit, User
from yiwang.core.roles import ROLES


class Command(BaseCommand):
    help = "Grant and revoke roles as the platform; list who may grant which role."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        for name in ("grant", "revoke"):
            p = sub.add_parser(name, help=f"{name} a role")
            p.add_argument("username")
            p.add_argument("role", choices=sorted(ROLES))
            p.add_argument("--org-unit", type=int, default=None, help="OrgUnit id (default: own)")
        sub.add_parser("roles", help="the role table: reach and who may grant each role")

    def handle(self, *args, op: str, **opts) -> None:
        if op == "roles":
            for code, role in sorted(ROLES.items()):
                reach = "city-wide" if role.city_wide else "department"
                by = ",".join(sorted(role.granted_by)) or "platform only"
                self.stdout.write(f"{code}\t{reach}\tgranted by: {by}")
            return
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"No user {opts['username']}")
        unit = None
        if opts["org_unit"] is not None:
            unit = OrgUnit.objects.filter(pk=opts["org_unit"]).first()
            if unit is None:
                raise CommandError(f"No org unit {opts['org_unit']}")
        try:
            if op == "grant":
                do_grant_role(actor=None, user=user, role=opts["role"], org_unit=unit)
            else:
                do_revoke_role(actor=None, user=user, role=opts["role"], org_unit=unit)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{op} {opts['role']} for {user.username}: done")
