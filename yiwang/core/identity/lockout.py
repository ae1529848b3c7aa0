"""Login delays (登录失败延时) per username, and how the owner lifts them (自助解除).

No account is ever locked. Each failed sign-in for a username makes the next attempt for
it wait longer: none after the first ``LOGIN_DELAY_FREE_FAILURES`` failures, then
``LOGIN_DELAY_BASE_SECONDS``, twice that, four times … up to ``LOGIN_DELAY_MAX_SECONDS``.
Failures are forgotten ``LOGIN_FAILURE_MEMORY_SECONDS`` after the last one and cleared
by a complete sign-in. While a wait runs, attempts for that username are refused before
any password is hashed.

Counts are keyed by the username as typed (a digest of it), whether or not an account
has it, so the delay, the message and the time a caller sees never tell whether the
username exists. They live in the shared store of ``yiwang.core.ratelimit``.

What a stranger can do to someone else's account is bounded three ways:

- failures from an address that has failed for many different usernames
  (``throttle.spraying``) never count against an account: the address is paused instead;
- the wait is capped;
- the owner lifts it at once with a one-time code sent by SMS to the account's phone, or
  a current 动态口令 (``do_send_unlock_code``, ``do_unlock_login``); the browser that did
  so then signs in without waiting on other people's failures for ``UNLOCK_GRACE_SECONDS``
  (``UNLOCK_GRACE_FAILURES`` wrong passwords of its own end that);
- a browser the owner has signed in with before (受信任设备: a signed cookie naming the
  username, ``remember_device``) never waits on other people's failures: its own wrong
  passwords are counted against it instead, and after ``DEVICE_FAILURES`` it is trusted
  no more. A stranger failing a username slowly from elsewhere thus never keeps its owner
  out of their usual browser;
- unlock codes are counted per username *and address*, so one stranger cannot use up the
  owner's codes for the day.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from yiwang.core import ratelimit
from yiwang.core.identity import throttle
from yiwang.core.identity.throttle import digest

GRANT_KEY = "yiwang_login_unlocked"
UNLOCK_GRACE_SECONDS = 900
UNLOCK_GRACE_FAILURES = 3
UNLOCK_CODE_SECONDS = 600
# Codes asked per address and per username, codes tried per address, wrong codes per
# username before the code is dropped: (limit, window seconds).
UNLOCK_SENDS_PER_ADDRESS = (5, 600)
UNLOCK_SENDS_PER_USERNAME_ADDRESS = (3, 86400)
UNLOCK_SENDS_PER_USERNAME = (20, 86400)
UNLOCK_RESEND_SECONDS = 60
UNLOCK_CHECKS_PER_ADDRESS = (10, 600)
UNLOCK_WRONG_PER_USERNAME = (5, 600)
DEVICE_COOKIE = "yiwang_device"
DEVICE_SALT = "yiwang.core.login-device"
DEVICE_SECONDS = 180 * 86400
DEVICE_FAILURES = 5


def when(moment: dt.datetime) -> str:
    """A time to try again, as people read it: the clock time today, with the date when
    it is another day (a wait past midnight must not look already over)."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M:%S")
    return _("%(month)d月%(day)d日 %(time)s") % {
        "month": local.month,
        "day": local.day,
        "time": local.strftime("%H:%M:%S"),
    }


@dataclass(frozen=True)
class Pause:
    """A sign-in refused for a while: ``scope`` ``"address"`` (this network address is
    paused) or ``"username"`` (this username's delay); ``failed`` when the attempt itself
    was wrong and started the pause."""

    scope: str
    until: dt.datetime
    failed: bool = False

    @property
    def time(self) -> str:
        return when(self.until)

    def message(self) -> str:
        """What the user is told: what happened and when to try again (the same for every
        username, existing or not)."""
        if self.scope == "address" and self.failed:
            return _(
                "用户名或密码不正确。此网络地址登录失败次数过多，已暂停从该地址登录，"
                "请于 %(time)s 后再试。"
            ) % {"time": self.time}
        if self.scope == "address":
            return _("此网络地址登录失败次数过多，已暂停从该地址登录，请于 %(time)s 后再试。") % {
                "time": self.time
            }
        if self.failed:
            return _(
                "用户名或密码不正确。为保护账号安全，该用户名需等待至 %(time)s 后才能再次登录。"
            ) % {"time": self.time}
        return _("该用户名近期登录失败较多，为保护账号安全，请于 %(time)s 后再试。") % {
            "time": self.time
        }


def _conf(name: str) -> int:
    return int(settings.YIWANG[name])


def _failures_key(username: str) -> str:
    return f"login-user:{digest(username)}"


def _wait_key(username: str) -> str:
    return f"login-wait:{digest(username)}"


def delay_after(failures: int) -> int:
    """Seconds the next attempt waits after ``failures`` consecutive failures."""
    extra = failures - _conf("LOGIN_DELAY_FREE_FAILURES")
    if extra <= 0:
        return 0
    cap = _conf("LOGIN_DELAY_MAX_SECONDS")
    return min(cap, _conf("LOGIN_DELAY_BASE_SECONDS") * 2 ** min(extra - 1, 32))


def wait_until(username: str) -> dt.datetime | None:
    """When the next attempt for ``username`` may be made, or None when it may be now."""
    return ratelimit.held_until(_wait_key(username))


def register_failure(username: str) -> dt.datetime | None:
    """Count one failure for ``username``; the end of the wait it starts, if any."""
    failures = ratelimit.hit(
        _failures_key(username), _conf("LOGIN_FAILURE_MEMORY_SECONDS"), sliding=True
    )
    seconds = delay_after(failures)
    return ratelimit.hold(_wait_key(username), seconds) if seconds else None


def reset(username: str) -> None:
    """Forget the failures and the wait of ``username`` (complete sign-in, unlock)."""
    ratelimit.clear(_failures_key(username), _wait_key(username))


# --- the browser that proved it is the owner's ---


def grant(request, username: str) -> None:
    """Let this browser sign in as ``username`` without waiting on others' failures."""
    request.session[GRANT_KEY] = {
        "u": digest(username),
        "until": time.time() + UNLOCK_GRACE_SECONDS,
        "left": UNLOCK_GRACE_FAILURES,
    }


def granted(request, username: str) -> bool:
    session = getattr(request, "session", None)
    given = session.get(GRANT_KEY) if session is not None else None
    return bool(
        given
        and given["u"] == digest(username)
        and given["until"] > time.time()
        and given["left"] > 0
    )


def _spend_grant(request) -> None:
    given = dict(request.session[GRANT_KEY])
    given["left"] -= 1
    request.session[GRANT_KEY] = given


# --- the browsers the owner signed in with (受信任设备) ---


def remember_device(response, username: str) -> None:
    """After a complete sign-in: mark this browser as one ``username`` signs in with
    (a signed, HTTP-only cookie holding the username's digest and a random tag)."""
    value = signing.dumps({"u": digest(username), "t": secrets.token_hex(8)}, salt=DEVICE_SALT)
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _device_key(tag: str) -> str:
    return f"login-device:{tag}"


def trusted_device(request, username: str) -> str:
    """The tag of this browser's device cookie when it names ``username`` and has not
    failed ``DEVICE_FAILURES`` times; empty otherwise."""
    raw = getattr(request, "COOKIES", {}).get(DEVICE_COOKIE)
    if not raw:
        return ""
    try:
        given = signing.loads(raw, salt=DEVICE_SALT, max_age=DEVICE_SECONDS)
    except signing.BadSignature:
        return ""
    if not isinstance(given, dict) or given.get("u") != digest(username):
        return ""
    tag = str(given.get("t", ""))
    if not tag or ratelimit.peek(_device_key(tag)).n >= DEVICE_FAILURES:
        return ""
    return tag


# --- the gate every password and 动态口令 check passes ---


def check(request, username: str, ip: str) -> Pause | None:
    """Whether an attempt for ``username`` from ``ip`` must wait (before any hashing)."""
    until = throttle.blocked_until(ip)
    if until is not None:
        return Pause("address", until)
    if not granted(request, username) and not trusted_device(request, username):
        until = wait_until(username)
        if until is not None:
            return Pause("username", until)
    return None


def fail(request, username: str, ip: str) -> Pause | None:
    """Count a wrong password or 动态口令 for ``username`` from ``ip``; the pause it
    starts, if any. An address spraying many usernames is paused itself and its failures
    do not count against the username; a trusted device's count against the device."""
    throttle.note_failure(ip, username)
    tag = trusted_device(request, username)
    if tag:
        ratelimit.hit(_device_key(tag), _conf("LOGIN_FAILURE_MEMORY_SECONDS"), sliding=True)
        until = None
    else:
        until = None if throttle.spraying(ip) else register_failure(username)
    if granted(request, username):
        _spend_grant(request)
        until = None
    if until is not None:
        return Pause("username", until, failed=True)
    blocked = throttle.blocked_until(ip)
    return Pause("address", blocked, failed=True) if blocked is not None else None


# --- one-time codes sent by SMS: 解除登录等待 (``unlock``) and 找回密码 (``reset``) ---


def _code_key(username: str, purpose: str = "unlock") -> str:
    return f"yiwang:login-{purpose}:{digest(username)}"


def _code_digest(username: str, code: str, purpose: str = "unlock") -> str:
    return salted_hmac(f"yiwang.login-{purpose}", f"{username}\x00{code}").hexdigest()


def new_unlock_code(username: str, purpose: str = "unlock") -> str:
    """A fresh 6-digit code for ``username``, valid ``UNLOCK_CODE_SECONDS``; only its
    keyed digest is kept (in the shared cache), replacing any earlier code of the same
    purpose."""
    code = f"{secrets.randbelow(10**6):06d}"
    cache.set(
        _code_key(username, purpose),
        _code_digest(username, code, purpose),
        timeout=UNLOCK_CODE_SECONDS,
    )
    return code


def take_unlock_code(username: str, code: str, purpose: str = "unlock") -> bool:
    """Whether ``code`` is the current code of ``username``; a right code is spent."""
    stored = cache.get(_code_key(username, purpose))
    if not stored or not constant_time_compare(stored, _code_digest(username, code, purpose)):
        return False
    return bool(cache.delete(_code_key(username, purpose)))


def _over(key: str, limit_window: tuple[int, int]) -> dt.datetime | None:
    """Count one use of ``key``; over the limit, when its window ends."""
    limit, window = limit_window
    if ratelimit.hit(key, window) <= limit:
        return None
    return ratelimit.peek(key).ends or timezone.now()


def unlock_send_refused(username: str, ip: str, purpose: str = "unlock") -> dt.datetime | None:
    """Count a request for a code; until when it is refused, if it is (per address, per
    username from that address, per username — existing or not — and one per
    ``UNLOCK_RESEND_SECONDS``)."""
    name = digest(username)
    resend = ratelimit.held_until(f"login-{purpose}-resend:{name}")
    if resend is not None:
        return resend
    user_key = f"login-{purpose}-send-user:{name}"
    refused = (
        _over(f"login-{purpose}-send:{ip}", UNLOCK_SENDS_PER_ADDRESS)
        or _over(f"{user_key}:{ip}", UNLOCK_SENDS_PER_USERNAME_ADDRESS)
        or _over(user_key, UNLOCK_SENDS_PER_USERNAME)
    )
    if refused is None:
        ratelimit.hold(f"login-{purpose}-resend:{name}", UNLOCK_RESEND_SECONDS)
    return refused


def unlock_check_refused(username: str, ip: str, purpose: str = "unlock") -> dt.datetime | None:
    """Count a code tried from ``ip``; until when trying is refused, if it is (too many
    tries from the address, or too many wrong codes for the username)."""
    wrong = ratelimit.peek(f"login-{purpose}-wrong:{digest(username)}")
    if wrong.n >= UNLOCK_WRONG_PER_USERNAME[0]:
        return wrong.ends
    return _over(f"login-{purpose}-check:{ip}", UNLOCK_CHECKS_PER_ADDRESS)


def note_wrong_unlock_code(username: str, purpose: str = "unlock") -> None:
    """Count a wrong code for ``username``; at the limit its SMS code is dropped."""
    limit, window = UNLOCK_WRONG_PER_USERNAME
    if ratelimit.hit(f"login-{purpose}-wrong:{digest(username)}", window) >= limit:
        cache.delete(_code_key(username, purpose))
