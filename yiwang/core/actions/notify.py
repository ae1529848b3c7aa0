"""Writes for notifications (消息通知): create the in-app message, one Delivery per channel
the user can be reached on, and queue the sending; mark messages read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from yiwang.core import audit, notify
from yiwang.core.models import Delivery, Notification
from yiwang.core.notify.text import Text, split


def _message(user, title: Text, body: Text, url: str) -> Notification:
    """The unsaved in-app message: the Chinese text, and its English copy when the caller
    wrote the text in both languages (``bilingual``)."""
    title_zh, title_en = split(title)
    body_zh, body_en = split(body)
    return Notification(
        user=user,
        title=title_zh[:200],
        title_en=title_en[:200],
        body=body_zh,
        body_en=body_en,
        url=url[:300],
    )


@transaction.atomic
def do_notify(
    *,
    actor,
    user,
    title: Text,
    body: Text = "",
    url: str = "",
    channels: Iterable[str] = ("email", "sms"),
) -> Notification:
    """Send ``user`` a message: always in-app, plus each named channel that can reach
    them; deliveries are sent by the ``send_delivery`` task after commit. ``title`` and
    ``body`` are plain text or ``bilingual(...)``, so each reader sees their language."""
    from yiwang.core.tasks import send_delivery

    note = _message(user, title, body, url)
    note.save(force_insert=True)
    configured = set(notify.channel_names())
    deliveries = [
        Delivery.objects.create(notification=note, channel=name)
        for name in channels
        if name in configured and notify.channel(name).can_reach(user)
    ]
    audit.record(
        actor=actor,
        action="core.notification.send",
        obj=note,
        change={"user": user.pk, "title": note.title, "channels": [d.channel for d in deliveries]},
    )
    for d in deliveries:
        transaction.on_commit(partial(send_delivery.enqueue, d.pk))
    return note


@dataclass(frozen=True)
class Notice:
    """One message to send (消息通知), kept until several are written together by
    ``do_notify_each``; ``actor`` is who the ledger names as sending it."""

    actor: Any
    user: Any
    title: Text
    body: Text = ""
    url: str = ""
    channels: tuple[str, ...] = ("email", "sms")


def send_or_keep(notices: list[Notice] | None, notice: Notice) -> None:
    """Send ``notice`` now (``do_notify``), or keep it in ``notices`` when the caller
    writes its messages together (``do_notify_each``)."""
    if notices is not None:
        notices.append(notice)
        return
    do_notify(
        actor=notice.actor,
        user=notice.user,
        title=notice.title,
        body=notice.body,
        url=notice.url,
        channels=notice.channels,
    )


@transaction.atomic(savepoint=False)
def do_notify_each(notices: Sequence[Notice]) -> list[Notification]:
    """Send several different messages in a few statements: the in-app messages in one
    bulk insert, their deliveries in another, and for each message the same ledger
    entry and queued sending as ``do_notify`` gives it (e.g. the messages of one 秒批
    case: submitted, licence issued, completed)."""
    from yiwang.core.tasks import send_delivery

    if not notices:
        return []
    notes = Notification.objects.bulk_create(
        [_message(n.user, n.title, n.body, n.url) for n in notices]
    )
    configured = set(notify.channel_names())
    wanted = [
        [
            Delivery(notification=note, channel=name)
            for name in n.channels
            if name in configured and notify.channel(name).can_reach(n.user)
        ]
        for n, note in zip(notices, notes, strict=True)
    ]
    flat = [d for ds in wanted for d in ds]
    if flat:
        Delivery.objects.bulk_create(flat)
    for n, note, deliveries in zip(notices, notes, wanted, strict=True):
        audit.record(
            actor=n.actor,
            action="core.notification.send",
            obj=note,
            change={
                "user": n.user.pk,
                "title": note.title,
                "channels": [d.channel for d in deliveries],
            },
        )
    for d in flat:
        transaction.on_commit(partial(send_delivery.enqueue, d.pk))
    return notes


@transaction.atomic
def do_notify_many(
    *,
    actor,
    users: Iterable,
    title: Text,
    body: Text = "",
    url: str = "",
    channels: Iterable[str] = ("email", "sms"),
) -> list[Notification]:
    """Send one message to many users (e.g. a warning, 预警信息) in a few statements: the
    in-app messages and their deliveries are inserted in bulk, one ledger entry names
    every recipient, and one task sends the batch's deliveries after commit."""
    from yiwang.core.tasks import send_deliveries

    users = list(users)
    if not users:
        return []
    notes = Notification.objects.bulk_create([_message(u, title, body, url) for u in users])
    configured = set(notify.channel_names())
    wanted = [notify.channel(n) for n in channels if n in configured]
    names = [n for n in channels if n in configured]
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(notification=note, channel=name)
            for note, user in zip(notes, users, strict=True)
            for name, channel in zip(names, wanted, strict=True)
            if channel.can_reach(user)
        ]
    )
    audit.record(
        actor=actor,
        action="core.notification.send_many",
        obj=notes[0],
        change={
            "users": [u.pk for u in users],
            "title": notes[0].title,
            "deliveries": len(deliveries),
        },
    )
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: send_deliveries.enqueue(ids))
    return notes


@transaction.atomic
def do_mark_read(*, actor, ids: Iterable[int] | None = None) -> int:
    """Mark ``actor``'s own messages read: the given ids, or all unread when None."""
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    marked = list(qs.values_list("pk", flat=True))
    if not marked:
        return 0
    Notification.objects.filter(pk__in=marked).update(read_at=timezone.now())
    audit.record(
        actor=actor,
        action="core.notification.read",
        obj=("core.notification", marked[0]),
        change={"ids": marked},
    )
    return len(marked)


@transaction.atomic
def do_record_delivery(*, delivery: Delivery, error: str = "", final: bool = False) -> Delivery:
    """Record one sending attempt on a Delivery: sent, or the error kept (and marked
    failed when ``final``, i.e. no retry is left)."""
    delivery.attempts += 1
    if error:
        delivery.error = error[:2000]
        if final:
            delivery.status = Delivery.Status.FAILED
    else:
        delivery.status = Delivery.Status.SENT
        delivery.sent_at = timezone.now()
        delivery.error = ""
    delivery.save(update_fields=["attempts", "error", "status", "sent_at"])
    audit.record(
        actor=None,
        action="core.delivery.attempt",
        obj=delivery,
        change={"channel": delivery.channel, "attempt": delivery.attempts, "ok": not error},
    )
    return delivery
