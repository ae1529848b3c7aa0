"""``yiwang classifier retrain | list | promote N | rollback``: the 12345 classifier's
versions (分类模型版本) from the command line, through the same actions as the
supervisor's page (the platform acts, and the ledger says so). ``retrain`` trains in the
foreground and prints the held-out figures and the decision."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from yiwang.hotline.actions.classifier import (
    do_promote_version,
    do_rollback,
    do_start_retrain,
    do_train_candidate,
    ensure_shipped,
)
from yiwang.hotline.models import ClassifierVersion


def _f1(metrics: dict, who: str) -> str:
    part = (metrics or {}).get(who) or {}
    value = part.get("leaf", {}).get("macro_f1")
    return "-" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = "Keep the 12345 classifier: retrain, list versions, promote N, rollback."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="op", required=True)
        retrain = sub.add_parser(
            "retrain", help="train a candidate on the labels, promote if better"
        )
        retrain.add_argument("--note", default="")
        sub.add_parser("list", help="list versions with their held-out figures")
        promote = sub.add_parser("promote", help="make version N the one in use")
        promote.add_argument("number", type=int)
        sub.add_parser("rollback", help="go back to the version in use before")

    def handle(self, *args, op: str, **opts) -> None:
        try:
            if op == "retrain":
                version = do_start_retrain(actor=None, note=opts["note"])
                version = do_train_candidate(actor=None, version=version)
                m = version.metrics
                self.stdout.write(
                    f"v{version.number}: {version.status}; held-out labels {m.get('heldout')}, "
                    f"leaf macro-F1 candidate {_f1(m, 'candidate')} vs active {_f1(m, 'active')}"
                )
            elif op == "promote":
                self.stdout.write(
                    f"active: v{do_promote_version(actor=None, number=opts['number']).number}"
                )
            elif op == "rollback":
                self.stdout.write(f"active: v{do_rollback(actor=None).number}")
            else:
                ensure_shipped()
                for v in ClassifierVersion.objects.order_by("number"):
                    self.stdout.write(
                        f"v{v.number}\t{v.status}\t{v.created_at:%Y-%m-%d %H:%M}\t"
                        f"held-out {v.metrics.get('heldout', '-')}\t"
                        f"F1 {_f1(v.metrics, 'candidate')}\t{v.note}"
                    )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
