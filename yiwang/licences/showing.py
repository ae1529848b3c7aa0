"""亮证 (showing a licence): the holder's dynamic verification code and its check.

A showing is valid for ``SHOW_SECONDS`` (60). Its QR code carries a token
``<showing>.<expiry>.<mac>`` whose MAC (HMAC-SM3 under a key derived from the
platform secret) binds the showing, the licence and the expiry, so it cannot be made
up or stretched; its 8-digit numeric code is stored only as a keyed digest. Once the
minute is over both answer 已过期 and the holder refreshes the code in the wallet."""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import crypto
from yiwang.licences.models import Licence, Showing
from yiwang.licences.verify import Verdict, verify_identifier

SHOW_SECONDS = 60
TOKEN_RE = re.compile(r"^(\d{1,12})\.(\d{9,11})\.([0-9a-f]{32})$")
CODE_RE = re.compile(r"^\d{8}$")


@cache
def _key() -> bytes:
    return crypto.hmac_sm3(settings.SECRET_KEY.encode(), b"yiwang.licences.showing")


def _mac(showing_id: int, licence_id: int, expires: int) -> str:
    data = f"{showing_id}|{licence_id}|{expires}".encode()
    return crypto.hmac_sm3(_key(), data).hex()[:32]


def code_index(code: str) -> str:
    """The keyed digest a numeric code is found by (the code itself is not stored)."""
    return crypto.hmac_sm3(_key(), b"code|" + code.encode()).hex()


def new_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def token_of(showing: Showing) -> str:
    """The QR token of a showing."""
    expires = int(showing.expires_at.timestamp())
    return f"{showing.pk}.{expires}.{_mac(showing.pk, showing.licence_id, expires)}"


def expires_for(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(seconds=SHOW_SECONDS)


@dataclass(frozen=True)
class Shown:
    """What the wallet shows: the QR token, the numeric code, when both expire."""

    showing: Showing
    token: str
    code: str

    @property
    def seconds_left(self) -> int:
        return max(int((self.showing.expires_at - timezone.now()).total_seconds()), 0)


def expired_verdict() -> Verdict:
    return Verdict("show_expired", _("已过期，请让持证人刷新"))


def unknown_verdict() -> Verdict:
    return Verdict("forged", _("亮证码无效，请让持证人重新亮证。"))


def _verdict_for(licence: Licence) -> Verdict:
    """The licence's own verification (status, validity, seal), holder masked."""
    return verify_identifier(licence.identifier, licence.token)


def verify_token(token: str) -> Verdict:
    """Check a QR token: a made-up or altered one is invalid, an expired one says so,
    a current one gives the licence's verification."""
    found = TOKEN_RE.match(str(token or "").strip())
    if found is None:
        return unknown_verdict()
    showing_id, expires, mac = int(found[1]), int(found[2]), found[3]
    row = (
        Showing.objects.filter(pk=showing_id)
        .values_list("licence_id", "expires_at")
        .order_by()
        .first()
    )
    if row is None or int(row[1].timestamp()) != expires:
        return unknown_verdict()
    if not hmac.compare_digest(mac, _mac(showing_id, row[0], expires)):
        return unknown_verdict()
    if timezone.now().timestamp() >= expires:
        return expired_verdict()
    return _verdict_for(Licence.objects.get(pk=row[0]))


def verify_code(code: str) -> Verdict:
    """Check an 8-digit numeric code: the newest showing with that code decides."""
    code = re.sub(r"\s", "", str(code or ""))
    if not CODE_RE.match(code):
        return Verdict("invalid", _("请输入持证人出示的 8 位数字核验码。"))
    row = (
        Showing.objects.filter(code_index=code_index(code))
        .order_by("-expires_at")
        .values_list("licence_id", "expires_at")
        .first()
    )
    if row is None:
        return unknown_verdict()
    if timezone.now() >= row[1]:
        return expired_verdict()
    return _verdict_for(Licence.objects.get(pk=row[0]))
