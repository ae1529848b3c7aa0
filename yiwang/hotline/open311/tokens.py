"""Open311 tokens (受理凭据): ``{ticket id}-{HMAC-SM3 tag}``, checked with the server key,
so a token needs no storage and cannot be guessed from a ticket number."""

from __future__ import annotations

import hmac
import re

from yiwang.core import crypto
from yiwang.core.keys import keyring

CONTEXT = b"hotline.open311.token\x1f"
TAG_HEX = 24
_TOKEN = re.compile(r"^([1-9]\d{0,18})-([0-9a-f]{" + str(TAG_HEX) + r"})$")


def _tag(ticket_id: int) -> str:
    return crypto.hmac_sm3(keyring().index_key, CONTEXT + str(ticket_id).encode()).hex()[:TAG_HEX]


def token_for(ticket_id: int) -> str:
    """The token of a ticket (by primary key)."""
    return f"{ticket_id}-{_tag(ticket_id)}"


def ticket_id_of(token: str) -> int | None:
    """The ticket id a genuine token names; None for a malformed or forged one."""
    match = _TOKEN.match(token or "")
    if match is None:
        return None
    ticket_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _tag(ticket_id)):
        return None
    return ticket_id
