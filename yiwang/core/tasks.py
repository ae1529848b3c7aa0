"""Background tasks (django-tasks), run by ``yiwang worker``."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

# --- audit ledger (审计账本封存) ---


@task()
def seal_ledger() -> dict:
    """Seal pending audit entries into signed blocks; the worker schedules it every
    ``YIWANG["LEDGER_SEAL_EVERY_SECONDS"]`` (10 s)."""
    from yiwang.core.ledger import seal_pending

    sealed = seal_pending()
    return {"blocks": sealed.blocks, "entries": sealed.entries}


# --- notifications and escalation (消息投递, 超期督办) ---

RETRY_BASE_SECONDS = 30


def _max_attempts() -> int:
    return int(settings.YIWANG.get("NOTIFY_MAX_ATTEMPTS", 3))


def _send_one(delivery_id: int) -> str:
    """Send one Delivery over its channel; on failure retry later with growing delays
    until the attempts run out, then mark it failed. Returns the delivery status."""
    from yiwang.core import notify
    from yiwang.core.actions.notify import do_record_delivery
    from yiwang.core.models import Delivery

    delivery = Delivery.objects.select_related("notification__user").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return delivery.status if delivery else "missing"
    note = delivery.notification
    try:
        notify.channel(delivery.channel).send(note.user, note)
        error = ""
    except Exception as exc:  # any channel failure is recorded, never lost
        error = f"{type(exc).__name__}: {exc}"
    final = bool(error) and delivery.attempts + 1 >= _max_attempts()
    do_record_delivery(delivery=delivery, error=error, final=final)
    if error and not final:
        delay = RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1)
        send_delivery.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            delivery_id
        )
    return delivery.status


@task()
def send_delivery(delivery_id: int) -> str:
    """Send one Delivery (retried with growing delays); returns its status."""
    return _send_one(delivery_id)


@task()
def send_deliveries(delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch of Deliveries (a bulk message); each failure retries on its own.
    Returns how many ended in each status."""
    counts: dict[str, int] = {}
    for pk in delivery_ids:
        status = _send_one(pk)
        counts[status] = counts.get(status, 0) + 1
    return counts


@task()
def escalate_overdue() -> int:
    """Apply the workflows' escalation rules to overdue cases; returns escalations made."""
    from yiwang.core.actions.workflow import do_escalate_overdue

    return do_escalate_overdue(actor=None)


# --- back-channel logout (后端通道退出) ---

BACKCHANNEL_ATTEMPTS = 3


@task()
def send_backchannel_logouts(notices: list[dict], attempt: int = 1) -> dict[str, int]:
    """Send back-channel logout tokens to relying parties (``core.identity.backchannel``);
    those that failed are tried again later, up to ``BACKCHANNEL_ATTEMPTS`` times."""
    from yiwang.core.identity import backchannel

    failed = [n for n in notices if not backchannel.send(n)]
    if failed and attempt < BACKCHANNEL_ATTEMPTS:
        delay = RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        send_backchannel_logouts.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            failed, attempt + 1
        )
    return {"sent": len(notices) - len(failed), "failed": len(failed)}


@task()
def prune_task_results() -> None:
    """Delete finished task results older than two days (sealing alone adds ~8,600 a day)."""
    from django.core.management import call_command

    call_command("prune_db_task_results", "--min-age-days", "2", "--queue-name", "*", verbosity=0)


@task()
def purge_rate_counters() -> dict:
    """Delete rate counters and pauses whose time has passed (频率计数清理); without Redis
    they are rows of ``core_ratecounter``, one per caller address or username seen."""
    from yiwang.core.ratelimit import counters

    return {"deleted": counters().purge()}
