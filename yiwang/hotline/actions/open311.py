"""Open311 接口密钥 and 受理: issuing and revoking the ``api_key`` of an outside app (only a
keyed SM3 digest is stored, the clear key is shown once) and taking in a POST Service
Request as a ticket, once, however often the same request is replayed."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit, crypto
from yiwang.core.keys import keyring
from yiwang.hotline import access
from yiwang.hotline.actions.tickets import do_take_ticket
from yiwang.hotline.models import Channel, Open311Key, Ticket
from yiwang.hotline.open311.intake import Submission, city_division, division_address

KEY_CONTEXT = b"hotline.Open311Key.digest\x1f"
REPLAY_CONTEXT = b"hotline.open311.replay\x1f"
EXTERNAL_PREFIX = "open311:"


def key_digest(clear_key: str) -> str:
    """Keyed SM3 (HMAC-SM3 with the platform's index key) of a clear ``api_key``: what
    the table keeps, so a leaked table yields no usable key."""
    return crypto.hmac_sm3(keyring().index_key, KEY_CONTEXT + clear_key.encode()).hex()


def find_key(clear_key: str) -> Open311Key | None:
    """The active key row for a clear ``api_key``; None when unknown, forged or revoked."""
    if not clear_key or len(clear_key) > 200:
        return None
    return Open311Key.objects.filter(digest=key_digest(clear_key), active=True).first()


def replay_minutes() -> int:
    """Minutes within which the same body from the same key is one request (default 10)."""
    return int(settings.YIWANG.get("OPEN311_REPLAY_MINUTES", 10))


def replay_id(key: Open311Key, submission: Submission) -> str:
    """外部编号 of a submission: ``open311:{key}:{HMAC-SM3 of the canonical body}``, so a
    replay finds the first ticket without keeping the caller's contact data in clear."""
    mac = crypto.hmac_sm3(
        keyring().index_key, REPLAY_CONTEXT + f"{key.pk}\x1f{submission.canonical()}".encode()
    )
    return f"{EXTERNAL_PREFIX}{key.pk}:{mac.hex()[:40]}"


@transaction.atomic
def do_issue_open311_key(*, actor, name: str) -> tuple[Open311Key, str]:
    """发放接口密钥 to an outside app: returns (row, clear key); the clear key is shown
    once and never stored."""
    access.require_open311_manage(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写调用方名称。")}, code="name_empty")
    if len(name) > 100:
        raise ValidationError({"name": _("调用方名称不能超过 100 字。")}, code="name_too_long")
    clear = secrets.token_urlsafe(32)
    row = Open311Key.objects.create(
        name=name, digest=key_digest(clear), prefix=clear[:8], active=True
    )
    audit.record(
        actor=actor,
        action="hotline.open311_key.issue",
        obj=row,
        change={"name": name, "prefix": row.prefix},
    )
    return row, clear


@transaction.atomic
def do_revoke_open311_key(*, actor, key: Open311Key) -> Open311Key:
    """吊销接口密钥: the key fails from the next request on; the row stays for the record."""
    access.require_open311_manage(actor)
    row = Open311Key.objects.select_for_update().get(pk=key.pk)
    if not row.active:
        return row
    row.active = False
    row.save(update_fields=["active"])
    audit.record(
        actor=actor,
        action="hotline.open311_key.revoke",
        obj=row,
        change={"name": row.name, "prefix": row.prefix},
    )
    return row


@transaction.atomic
def do_take_open311_request(
    *, actor=None, key: Open311Key, submission: Submission
) -> tuple[Ticket, bool]:
    """受理 one Open311 POST Service Request as a ticket of channel ``open311``; returns
    (ticket, replayed). The key row is locked, so the same body sent twice by one key
    within ``replay_minutes()`` yields the first ticket instead of a second one."""
    row = Open311Key.objects.select_for_update().filter(pk=key.pk).first()
    if row is None or not row.active:
        raise PermissionDenied(_("api_key 无效或已吊销。"))
    now = timezone.now()
    Open311Key.objects.filter(pk=row.pk).update(last_used_at=now)
    external_id = replay_id(row, submission)
    first = (
        Ticket.objects.filter(
            channel=Channel.OPEN311,
            external_id=external_id,
            created_at__gte=now - timedelta(minutes=replay_minutes()),
        )
        .order_by("created_at", "id")
        .first()
    )
    if first is not None:
        return first, True

    address = submission.address_string
    if submission.address_id:
        division = city_division(submission.address_id)
        if division is None:
            raise ValidationError(
                {"address_id": _("address_id 须为焦作市范围内的区划代码。")},
                code="location_outside",
            )
        prefix = division_address(division)
        address = address if address.startswith(prefix) else f"{prefix}{address}"
    ticket = do_take_ticket(
        actor=None,
        channel=Channel.OPEN311,
        kind=submission.kind,
        content=submission.content,
        category=submission.service_code,
        address=address[:200],
        longitude=submission.long,
        latitude=submission.lat,
        contact_name=submission.contact_name,
        contact_phone=submission.phone,
        external_id=external_id,
    )
    audit.record(
        actor=actor,
        action="hotline.open311.take",
        obj=ticket,
        change={
            "number": ticket.number,
            "key": row.pk,
            "key_prefix": row.prefix,
            "service_code": submission.service_code,
        },
    )
    return ticket, False
