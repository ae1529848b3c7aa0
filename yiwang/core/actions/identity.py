"""Writes of unified identity (统一身份认证): login records, lifting a login wait (解除登录
等待), 动态口令, passwords, preferences, log out everywhere, API clients."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from yiwang.core import audit, authcache, notify, ratelimit
from yiwang.core.errors import Conflict, Forbidden, Invalid, RateLimited
from yiwang.core.identity import enrolment, lockout, totp
from yiwang.core.identity.throttle import digest
from yiwang.core.models import ApiClient, OrgUnit, RecoveryCode, User
from yiwang.core.notify import ChannelError
from yiwang.core.notify.text import bilingual

logger = logging.getLogger("yiwang.core")


@transaction.atomic
def do_record_login(
    *,
    actor,
    username: str,
    success: bool,
    reason: str = "",
    ip: str = "",
    user: User | None = None,
    paused_until: dt.datetime | None = None,
) -> None:
    """Append a login attempt to the ledger (登录留痕). A success forgets the username's
    failures and wait (登录失败延时); ``paused_until`` says until when the attempt's
    address or username must wait."""
    if user is not None and success:
        lockout.reset(user.username)
    # A failed attempt is made by whoever typed it, not by the account's owner; a name
    # that is no account may be a password typed in the wrong box, so only its digest
    # is kept (attempts with the same text still group together).
    typed = username[:150] if user is not None else f"sha256:{digest(username)}"
    audit.record(
        actor=actor or (user if success else None),
        action="core.session.login" if success else "core.session.login_failed",
        obj=user if user is not None else ("core.user", typed[:64]),
        change={
            "username": typed,
            "reason": reason,
            "ip": ip,
            "paused_until": paused_until.isoformat() if paused_until else None,
        },
    )


@dataclass(frozen=True)
class _TextMessage:
    """A message handed straight to a channel, never stored (it carries a one-time code)."""

    title: str
    body: str = ""
    url: str = ""


def do_send_unlock_code(*, actor, username: str, ip: str = "") -> None:
    """解除登录等待, step 1: send a one-time code by SMS to the phone of ``username``'s
    account. The caller learns nothing about the account: the answer is the same whether
    it exists, has a phone or not; only the rate limits (per address, per username, one
    code a minute) refuse, with ``RateLimited``. The code goes straight to the SMS channel
    (the logging channel in the demo), never into a stored message."""
    _send_code(actor=actor, username=username, ip=ip, purpose="unlock")


# What each one-time code's SMS says (找回密码 and 解除登录等待 keep separate codes).
_CODE_TEXTS = {
    "unlock": _lazy(
        "【焦作一网】您正在解除登录等待，验证码 %(code)s，%(minutes)s 分钟内有效。如非本人"
        "操作，请尽快修改密码。"
    ),
    "reset": _lazy(
        "【焦作一网】您正在找回密码，验证码 %(code)s，%(minutes)s 分钟内有效。请勿告诉他人；"
        "如非本人操作，请忽略本短信。"
    ),
}


def _send_code(*, actor, username: str, ip: str, purpose: str) -> None:
    until = lockout.unlock_send_refused(username, ip, purpose)
    if until is not None:
        raise RateLimited(
            _("获取验证码过于频繁，请于 %(time)s 后再试。") % {"time": lockout.when(until)},
            code=f"{purpose}_send_limited",
        )
    _send_code_now(actor=actor, username=username, ip=ip, purpose=purpose)


@transaction.atomic
def _send_code_now(*, actor, username: str, ip: str, purpose: str) -> None:
    user = User.objects.filter(username=username, is_active=True).first()
    sms = notify.channel("sms") if "sms" in notify.channel_names() else None
    if user is None or sms is None or not sms.can_reach(user):
        return
    code = lockout.new_unlock_code(username, purpose)
    text = str(_CODE_TEXTS[purpose]) % {
        "code": code,
        "minutes": lockout.UNLOCK_CODE_SECONDS // 60,
    }
    try:
        sms.send(user, _TextMessage(title=text))
        sent = True
    except ChannelError as exc:
        logger.warning("%s code for user %s not sent: %s", purpose, user.pk, exc)
        sent = False
    audit.record(
        actor=actor,
        action=f"core.session.{purpose}_code",
        obj=user,
        change={"channel": "sms", "sent": sent, "ip": ip},
    )


def do_unlock_login(*, actor, username: str, code: str, ip: str = "") -> str:
    """解除登录等待, step 2: a right SMS code or a current 动态口令 of ``username``'s
    account forgets its failures and wait; returns how (``sms`` or ``totp``). A wrong or
    expired code raises ``Invalid`` (the same for an unknown username), and too many
    tries raise ``RateLimited``. The password is still needed to sign in."""
    until = lockout.unlock_check_refused(username, ip)
    if until is not None:
        raise RateLimited(
            _("验证码错误次数过多，请于 %(time)s 后再试。") % {"time": lockout.when(until)},
            code="unlock_check_limited",
        )
    method = _unlock(actor=actor, username=username, code=code, ip=ip)
    if not method:
        raise Invalid(
            {"code": _("验证码不正确或已过期，请重新输入或重新获取。")}, code="unlock_code"
        )
    return method


@transaction.atomic
def _unlock(*, actor, username: str, code: str, ip: str) -> str:
    """Check the code and, if right, lift the wait; a wrong code is counted (and the
    count kept: this returns instead of raising inside the transaction)."""
    user = User.objects.filter(username=username, is_active=True).first()
    method = ""
    if user is not None:
        if lockout.take_unlock_code(username, code):
            method = "sms"
        elif user.totp_enabled and totp.verify(user.totp_secret, code, user_id=user.pk):
            method = "totp"
    if not method:
        lockout.note_wrong_unlock_code(username)
        return ""
    lockout.reset(username)
    audit.record(
        actor=actor or user,
        action="core.session.unlock",
        obj=user,
        change={"method": method, "ip": ip},
    )
    return method


def do_send_reset_code(*, actor, username: str, ip: str = "") -> None:
    """找回密码, step 1: a one-time code by SMS to the phone of ``username``'s account —
    the same answer whether or not the account exists or has a phone, counted like the
    unlock codes (per address, per username from it, per username, one a minute)."""
    _send_code(actor=actor, username=username, ip=ip, purpose="reset")


def do_reset_password(
    *, actor, username: str, code: str, second: str = "", new_password: str, ip: str = ""
) -> User:
    """找回密码, step 2: the SMS code (proof of the account's phone) — and, for an
    account with 动态口令, also a current code or a 恢复码 — sets ``new_password``. Every
    session and token of the account ends, its login wait is lifted, the owner is told and
    the ledger keeps how. A wrong or expired code raises ``Invalid`` (the same for an
    unknown username); too many tries raise ``RateLimited``."""
    until = lockout.unlock_check_refused(username, ip, "reset")
    if until is not None:
        raise RateLimited(
            _("验证码错误次数过多，请于 %(time)s 后再试。") % {"time": lockout.when(until)},
            code="reset_check_limited",
        )
    from django.contrib.auth.password_validation import validate_password

    user = User.objects.filter(username=username, is_active=True).first()
    # The new password is checked first (so a weak one does not spend the code), against
    # a stand-in for an unknown name so the answer does not tell whether it exists.
    validate_password(new_password, user or User(username=username))
    if user is None or not _reset_factors_hold(user, code, second, ip):
        lockout.note_wrong_unlock_code(username, "reset")
        raise Invalid(
            {"code": _("验证码不正确或已过期，请重新输入或重新获取。")}, code="reset_code"
        )
    return _set_reset_password(actor, user, new_password, ip)


def _reset_factors_hold(user: User, code: str, second: str, ip: str) -> bool:
    """The SMS code, then — with 动态口令 on — the authenticator's code or a 恢复码. The
    SMS code is spent only when every factor holds, so a wrong second factor costs a try
    and not the code."""
    second = (second or "").strip()
    if user.totp_enabled:
        if not second:
            return False
        if not totp.verify(user.totp_secret, second, user_id=user.pk) and not (
            enrolment.recovery_code_matches(user, second)
        ):
            return False
    if not lockout.take_unlock_code(user.username, code, "reset"):
        return False
    if user.totp_enabled and not totp.verify(user.totp_secret, second, user_id=user.pk):
        do_use_recovery_code(actor=None, user=user, code=second, ip=ip)
    return True


def _set_reset_password(actor, user: User, new_password: str, ip: str) -> User:
    from yiwang.core.actions.notify import do_notify

    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        do_logout_everywhere(actor=user, user=user)
        lockout.reset(user.username)
        audit.record(
            actor=actor or user,
            action="core.user.reset_password",
            obj=user,
            change={"method": "sms+totp" if user.totp_enabled else "sms", "ip": ip},
        )
        do_notify(
            actor=None,
            user=user,
            title=bilingual(lambda: _("您的密码已通过短信验证码重置")),
            body=bilingual(
                lambda: _(
                    "您的账号密码已重置，所有设备上的登录均已退出。如非本人操作，请立即联系 12345"
                    "或到政务服务大厅窗口处理。"
                )
            ),
            url="/account/",
        )
    return user


@transaction.atomic
def do_record_logout(*, actor: User, ip: str = "") -> None:
    """Append a sign-out to the ledger."""
    audit.record(actor=actor, action="core.session.logout", obj=actor, change={"ip": ip})


@dataclass(frozen=True)
class TOTPEnrolment:
    """动态口令 switched on, with the 恢复码 to show once (only their hashes are kept)."""

    user: User
    recovery_codes: list[str]


# 再次输入密码 while signed in (switching 动态口令 off or to a new phone, new 恢复码, a new
# password): wrong passwords per account before these checks pause for a while, so a
# borrowed session is not an unlimited password oracle.
PASSWORD_AGAIN_FAILURES = 5
PASSWORD_AGAIN_SECONDS = 900


def check_password_again(user: User, password: str) -> None:
    """The account password typed again for a sensitive change. Wrong ones are counted
    per account in the shared store — outside any transaction, so the refusal does not
    take its count back — and after ``PASSWORD_AGAIN_FAILURES`` in 15 minutes the check
    refuses without looking at the password."""
    key = f"password-again:{user.pk}"
    if ratelimit.peek(key).n >= PASSWORD_AGAIN_FAILURES:
        raise RateLimited(_("密码错误次数过多，请 15 分钟后再试。"))
    if not user.check_password(password or ""):
        ratelimit.hit(key, PASSWORD_AGAIN_SECONDS)
        raise ValidationError({"password": _("密码不正确。")}, code="password")


def _replace_recovery_codes(user: User) -> list[str]:
    """Drop the user's recovery codes, used or not, and store fresh ones (hashed)."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = enrolment.new_codes()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=enrolment.code_hash(user.pk, code)) for code in codes
    )
    return codes


@transaction.atomic
def do_enable_totp(*, actor: User, user: User, secret: str, code: str) -> TOTPEnrolment:
    """Turn on 动态口令 once the user proves their app holds ``secret`` with a valid code,
    and give them a fresh set of single-use 恢复码."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("只能为本人开启动态口令。"))
    if not enrolment.may_use(user):
        raise PermissionDenied(_("动态口令仅面向工作人员开放。"))
    if not totp.verify(secret, code, user_id=user.pk):
        raise ValidationError({"code": _("动态口令不正确或已过期，请重新输入。")}, code="totp")
    user.totp_secret = secret
    user.totp_enabled = True
    user.save(update_fields=["totp_secret", "totp_enabled"])
    codes = _replace_recovery_codes(user)
    audit.record(
        actor=actor,
        action="core.user.enable_totp",
        obj=user,
        change={"enabled": True, "recovery_codes": len(codes)},
    )
    return TOTPEnrolment(user=user, recovery_codes=codes)


def do_disable_totp(*, actor: User, user: User, password: str) -> User:
    """Turn off 动态口令; the account password must be given again. Refused while the
    platform requires 动态口令 of this account (强制动态口令)."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("只能为本人关闭动态口令。"))
    if enrolment.applies_to(user):
        raise Forbidden(
            _("本平台要求工作人员使用动态口令，不能关闭。手机丢失时可用恢复码登录后重新绑定。"),
            code="totp_required",
        )
    check_password_again(user, password)
    with transaction.atomic():
        user.totp_secret = ""
        user.totp_enabled = False
        user.save(update_fields=["totp_secret", "totp_enabled"])
        RecoveryCode.objects.filter(user=user).delete()
        audit.record(
            actor=actor, action="core.user.disable_totp", obj=user, change={"enabled": False}
        )
    return user


def do_regenerate_recovery_codes(*, actor: User, user: User, password: str) -> list[str]:
    """重新生成恢复码: the old codes stop working and new ones are returned, to show once.
    The account password must be given again."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("只能为本人生成恢复码。"))
    if not user.totp_enabled:
        raise Conflict(_("请先开启动态口令。"), code="totp_off")
    check_password_again(user, password)
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit.record(
            actor=actor,
            action="core.user.regenerate_recovery_codes",
            obj=user,
            change={"recovery_codes": len(codes)},
        )
    return codes


def do_change_totp(*, actor: User, user: User, password: str, secret: str, code: str):
    """更换手机: bind 动态口令 to a new authenticator. The password is asked again (a
    session left open must not be enough to take the second factor over); the owner is
    told in their messages, and the old secret and 恢复码 stop working."""
    from yiwang.core.actions.notify import do_notify

    if actor.pk != user.pk or not user.totp_enabled:
        raise PermissionDenied(_("只能为本人更换动态口令手机。"))
    check_password_again(user, password)
    with transaction.atomic():
        enrolled = do_enable_totp(actor=actor, user=user, secret=secret, code=code)
        do_notify(
            actor=actor,
            user=user,
            title=bilingual(lambda: _("动态口令已绑定到新手机")),
            body=bilingual(
                lambda: _(
                    "您的账号已更换动态口令手机，原手机上的动态口令和原有恢复码已失效。如非本人"
                    "操作，请立即修改密码并联系系统管理员。"
                )
            ),
            url="/account/",
        )
    return enrolled


@transaction.atomic
def do_use_recovery_code(*, actor, user: User, code: str, ip: str = "") -> bool:
    """Spend one 恢复码 in place of the 动态口令 at login: True if it was an unused code of
    ``user`` (it is then used up, and the ledger says so, with how many are left)."""
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=enrolment.code_hash(user.pk, code), used_at__isnull=True
    ).update(used_at=timezone.now())
    if not spent:
        return False
    left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
    audit.record(
        actor=actor or user,
        action="core.user.use_recovery_code",
        obj=user,
        change={"left": left, "ip": ip},
    )
    return True


@transaction.atomic
def do_start_totp_window(*, actor, user: User) -> User:
    """Stamp when the staff 动态口令 requirement first applied to ``user`` (the enrolment
    window counts from here). Done once; a stamped account keeps its date."""
    now = timezone.now()
    stamped = User.objects.filter(pk=user.pk, totp_required_since__isnull=True).update(
        totp_required_since=now
    )
    authcache.invalidate(user.pk)  # an update sends no signal
    user.refresh_from_db(fields=["totp_required_since"])
    if stamped:
        audit.record(
            actor=actor or user,
            action="core.user.totp_required",
            obj=user,
            change={"since": now.isoformat(), "window_days": enrolment.window().days},
        )
    return user


@transaction.atomic
def do_change_password(*, actor: User, user: User, new_password: str) -> User:
    """Set a new password (already checked by Django's PasswordChangeForm and the password
    rules); other sessions end because the session hash changes with it."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("只能修改本人的密码。"))
    from django.contrib.auth.password_validation import validate_password

    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(actor=actor, action="core.user.change_password", obj=user)
    return user


@transaction.atomic
def do_set_elder_mode(*, actor: User, user: User, on: bool) -> User:
    """Remember the 长辈模式 preference on the account (applies on every device)."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("只能修改本人的偏好。"))
    user.elder_mode = bool(on)
    user.save(update_fields=["elder_mode"])
    audit.record(actor=actor, action="core.user.set_elder_mode", obj=user, change={"on": on})
    return user


@transaction.atomic
def do_logout_everywhere(*, actor: User, user: User) -> dict[str, int]:
    """全部下线: end every session of ``user`` (the epoch changes, see SessionEpochMiddleware)
    and revoke their OAuth2 access and refresh tokens, ID tokens and pending codes; the
    relying parties of those sessions get back-channel logout notices."""
    if actor is None or (actor.pk != user.pk and not actor.is_superuser):
        raise PermissionDenied(_("只能让本人的账号全部下线。"))
    from yiwang.core.actions.oidc import do_end_oidc_sessions

    # Relying parties hear of it by back-channel logout, and earlier consent is withdrawn.
    do_end_oidc_sessions(actor=actor, user=user, forget=True)
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    authcache.invalidate(user.pk)  # sessions and tokens refused at once, in every process
    user.refresh_from_db(fields=["session_epoch"])
    owned = Q(user=user) | Q(user__isnull=True, application__user=user)
    access_tokens = get_access_token_model().objects.filter(owned)
    access = access_tokens.count()
    refresh_tokens = list(
        get_refresh_token_model().objects.filter(owned, revoked__isnull=True).only("pk")
    )
    for rt in refresh_tokens:
        rt.revoke()  # also deletes its access token
    access_tokens.delete()
    get_id_token_model().objects.filter(user=user).delete()
    get_grant_model().objects.filter(user=user).delete()
    counts = {"refresh_tokens": len(refresh_tokens), "access_tokens": access}
    audit.record(
        actor=actor,
        action="core.session.logout_everywhere",
        obj=user,
        change={"epoch": user.session_epoch, **counts},
    )
    return counts


@dataclass(frozen=True)
class ApiClientCredentials:
    """What the caller must keep: the secret is shown once and stored only as a hash."""

    client: ApiClient
    client_id: str
    client_secret: str


@transaction.atomic
def do_create_api_client(
    *, actor, name: str, scopes: list[str], org_unit: OrgUnit | None = None
) -> ApiClientCredentials:
    """Register a system-to-system client (接口客户端): a ``system`` user that owns a
    confidential client-credentials application limited to ``scopes``."""
    from django.conf import settings

    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写客户端名称。")}, code="required")
    known = settings.OAUTH2_PROVIDER["SCOPES"]
    scopes = sorted({s.strip() for s in scopes if s.strip()})
    unknown = [s for s in scopes if s not in known or s in {"openid", "profile"}]
    if not scopes or unknown:
        raise ValidationError(
            {"scopes": _("权限范围无效：%s") % (", ".join(unknown) or "—")}, code="scopes"
        )
    base = "api-" + (slugify(name) or "client")[:40]
    username = base
    while User.objects.filter(username=username).exists():
        username = f"{base}-{secrets.token_hex(3)}"
    user = User(username=username, full_name=name, kind=User.Kind.SYSTEM, org_unit=org_unit)
    user.set_unusable_password()
    user.save()
    secret = secrets.token_urlsafe(40)
    Application = get_application_model()
    app = Application(
        name=name,
        user=user,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
    )
    app.save()
    client = ApiClient.objects.create(
        name=name, user=user, application=app, scopes=" ".join(scopes)
    )
    audit.record(
        actor=actor,
        action="core.api_client.create",
        obj=client,
        change={"client_id": app.client_id, "scopes": scopes, "org_unit": user.org_unit_id},
    )
    return ApiClientCredentials(client=client, client_id=app.client_id, client_secret=secret)
