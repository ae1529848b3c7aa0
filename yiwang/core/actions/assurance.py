"""Writes to an account's 实名等级 (identity assurance): the one-time SMS code to the
registry's mobile number (短信验证码), the window clerk's in-person check (窗口核验) and
re-binding an ID number to another account (账号换绑). Every change of level is in the
ledger as ``core.user.assurance`` with how it was reached."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yiwang.core import access, audit, authcache, notify, ratelimit
from yiwang.core.crypto import keyed_digest
from yiwang.core.errors import Conflict, Forbidden, Invalid, RateLimited
from yiwang.core.fields import index_for
from yiwang.core.identifiers import normalize_id_number, validate_id_number
from yiwang.core.identity import registry
from yiwang.core.models import Assurance, PhoneChallenge, User
from yiwang.core.notify import ChannelError
from yiwang.core.notify.text import bilingual

CODE_CONTEXT = "core.PhoneChallenge.code"
PURPOSE = "assurance"


def _setting(name: str, default: int) -> int:
    return int(settings.YIWANG.get(name, default))


def code_seconds() -> int:
    """How long a code is valid (``YIWANG["SMS_CODE_SECONDS"]``, 5 minutes)."""
    return _setting("SMS_CODE_SECONDS", 300)


def max_attempts() -> int:
    """Wrong codes allowed per code (``YIWANG["SMS_CODE_ATTEMPTS"]``, 5)."""
    return _setting("SMS_CODE_ATTEMPTS", 5)


# Codes sent: one a minute per account; a few an hour per account and per number.
RESEND_SECONDS = 60
SENDS_PER_HOUR = 5


def _digest(nonce: str, code: str) -> str:
    return keyed_digest(f"{nonce}:{code}", CODE_CONTEXT)


def raise_assurance(actor, user: User, level: int, via: str, reason: str = "") -> bool:
    """Lift ``user`` to ``level`` (never lower it) and record how; False if already there.
    Called inside an action's transaction."""
    if user.assurance >= level:
        return False
    before = user.assurance
    user.assurance = level
    user.assured_at = timezone.now()
    User.objects.filter(pk=user.pk).update(assurance=level, assured_at=user.assured_at)
    authcache.invalidate(user.pk)  # an update sends no signal
    audit.record(
        actor=actor,
        action="core.user.assurance",
        obj=user,
        purpose=reason,
        change={"from": int(before), "to": int(level), "via": via},
    )
    return True


def _require_self(actor, user: User) -> None:
    if actor is not None and getattr(actor, "pk", None) != user.pk:
        raise Forbidden(_("只能核验本人的账号。"), code="not_self")


def _registry_phone(user: User) -> str:
    """The mobile number the population registry holds for the account's person; the
    account must still match the registry (name + ID number) to be sent a code."""
    facts = registry.match_person(user.full_name, user.id_number) if user.id_number else None
    if facts is None:
        raise Conflict(
            _("您的账号信息未能通过人口库核验，请携带居民身份证到政务服务大厅窗口核验。"),
            code="registry_mismatch",
        )
    phone = facts.get("phone") or ""
    if not phone or phone != user.phone:
        raise Conflict(
            _(
                "您账号的手机号码与人口库登记的联系电话不一致，无法通过短信核验。请携带居民"
                "身份证到政务服务大厅窗口核验。"
            ),
            code="phone_mismatch",
        )
    return phone


def _spend_sends(user: User) -> None:
    phone_key = index_for(User, "phone", user.phone)
    if not ratelimit.spend("sms-code-resend", str(user.pk), 1, RESEND_SECONDS):
        raise RateLimited(_("验证码已发送，请 %d 秒后再重新获取。") % RESEND_SECONDS)
    if not ratelimit.spend("sms-code-user", str(user.pk), SENDS_PER_HOUR, 3600) or not (
        ratelimit.spend("sms-code-phone", phone_key, SENDS_PER_HOUR, 3600)
    ):
        raise RateLimited(_("获取验证码过于频繁，请一小时后再试。"))


@transaction.atomic
def do_send_phone_code(*, actor, user: User) -> PhoneChallenge:
    """短信验证码: send a 6-digit code to the account's mobile number, which must be the
    one the population registry holds for the person. Only a keyed digest is kept; any
    earlier unused code stops working. Rate-limited per account and per number."""
    _require_self(actor, user)
    if user.kind != User.Kind.CITIZEN:
        raise Conflict(_("短信实名核验仅面向个人账号。"), code="not_citizen")
    if user.assurance >= Assurance.SMS:
        raise Conflict(_("您的账号已完成实名核验。"), code="already_verified")
    if user.assurance < Assurance.REGISTRY and not registry.has_registry("person"):
        raise Conflict(
            _("您的账号尚未通过人口库比对，请携带居民身份证到政务服务大厅窗口核验。"),
            code="registry_first",
        )
    _registry_phone(user)
    # An account from before registry checks existed reaches 基础库比对 here.
    raise_assurance(actor or user, user, Assurance.REGISTRY, "registry")
    _spend_sends(user)
    try:
        sms = notify.channel("sms")
    except KeyError:
        raise Conflict(_("短信通道未开通，请到政务服务大厅窗口核验。"), code="no_sms") from None
    now = timezone.now()
    PhoneChallenge.objects.filter(user=user, purpose=PURPOSE, used_at__isnull=True).update(
        used_at=now
    )
    code = f"{secrets.randbelow(10**6):06d}"
    nonce = secrets.token_hex(16)
    challenge = PhoneChallenge.objects.create(
        user=user,
        purpose=PURPOSE,
        phone_index=index_for(User, "phone", user.phone),
        nonce=nonce,
        code_digest=_digest(nonce, code),
        expires_at=now + timedelta(seconds=code_seconds()),
    )
    minutes = max(1, code_seconds() // 60)
    message = SimpleNamespace(
        title=_("【焦作一网】您的实名核验验证码为 %(code)s，%(n)s 分钟内有效，请勿告诉他人。")
        % {"code": code, "n": minutes},
        body="",
        url="",
    )
    try:
        sms.send(user, message)
    except ChannelError:
        raise Conflict(_("短信发送失败，请稍后再试。"), code="sms_failed") from None
    audit.record(
        actor=actor or user,
        action="core.user.phone_code_sent",
        obj=user,
        change={"phone": user.phone, "challenge": challenge.pk},
    )
    return challenge


def do_verify_phone_code(*, actor, user: User, code: str) -> User:
    """Check the code typed back: right and in time → 手机短信核验 (实名); wrong → one
    attempt spent (kept even though the submission is refused); expired, used up or
    superseded → ask for a new one."""
    _require_self(actor, user)
    code = (code or "").strip()
    failure: ValidationError | None = None
    with transaction.atomic():
        challenge = (
            PhoneChallenge.objects.select_for_update()
            .filter(user=user, purpose=PURPOSE, used_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        now = timezone.now()
        if (
            challenge is None
            or challenge.expires_at <= now
            or challenge.attempts >= max_attempts()
            or challenge.phone_index != index_for(User, "phone", user.phone)
        ):
            raise Invalid({"code": _("验证码已失效，请重新获取。")}, code="code_expired")
        if hmac.compare_digest(challenge.code_digest, _digest(challenge.nonce, code)):
            challenge.used_at = now
            challenge.save(update_fields=["used_at"])
            raise_assurance(actor or user, user, Assurance.SMS, "sms")
            return user
        challenge.attempts += 1
        challenge.save(update_fields=["attempts"])
        left = max_attempts() - challenge.attempts
        audit.record(
            actor=actor or user,
            action="core.user.phone_code_failed",
            obj=user,
            change={"challenge": challenge.pk, "attempts": challenge.attempts},
        )
        if left > 0:
            failure = Invalid(
                {
                    "code": ngettext(
                        "验证码不正确，还可尝试 %d 次。", "验证码不正确，还可尝试 %d 次。", left
                    )
                    % left
                },
                code="code_wrong",
            )
        else:
            failure = Invalid(
                {"code": _("验证码错误次数过多，请重新获取。")}, code="code_exhausted"
            )
    raise failure


def _same_person(actor, user: User, id_number: str = "") -> bool:
    """Whether the clerk is the person the account names: their own account, or another
    account (a citizen account of their own) carrying the clerk's ID number, or the ID
    number being bound is the clerk's."""
    if getattr(actor, "pk", None) == user.pk:
        return True
    mine = getattr(actor, "id_number_index", "") or ""
    if not mine:
        return False
    theirs = {user.id_number_index}
    if id_number:
        theirs.add(index_for(User, "id_number", normalize_id_number(id_number)))
    return mine in theirs


def _require_verifier(
    actor, user: User, reason: str, kinds=(User.Kind.CITIZEN,), id_number: str = ""
) -> str:
    access.require(
        actor,
        "identity.verify",
        message=_("您没有窗口实名核验的权限。"),
    )
    if actor is not None and _same_person(actor, user, id_number):
        raise Forbidden(_("不能为本人账号办理实名核验或换绑。"), code="self_verify")
    if user.kind not in kinds:
        raise Conflict(_("只能为个人账号办理实名核验。"), code="not_citizen")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid({"reason": _("请填写办理事由（例如：本人持身份证到窗口核验）。")})
    return reason


@transaction.atomic
def do_verify_in_person(*, actor, user: User, reason: str) -> User:
    """窗口核验: a window clerk saw the account holder's ID card (for an enterprise: its
    business licence and the legal representative's ID card); the account's name and ID
    number (credit code) must still match the registry where one is installed."""
    reason = _require_verifier(actor, user, reason, (User.Kind.CITIZEN, User.Kind.ENTERPRISE))
    if user.kind == User.Kind.ENTERPRISE:
        if registry.has_registry("legal_entity") and not registry.match_legal_entity(
            user.credit_code
        ):
            raise Conflict(
                _("该企业的统一社会信用代码未能通过法人库核验。"), code="registry_mismatch"
            )
    elif registry.has_registry("person") and (
        not user.id_number or registry.match_person(user.full_name, user.id_number) is None
    ):
        raise Conflict(
            _("该账号的姓名与身份证号码未能通过人口库核验，请为其办理换绑。"),
            code="registry_mismatch",
        )
    raise_assurance(actor, user, Assurance.IN_PERSON, "window", reason)
    return user


@transaction.atomic
def do_rebind_id_number(
    *, actor, user: User, full_name: str, id_number: str, reason: str
) -> User | None:
    """账号换绑: bind ``id_number`` to ``user`` after a window clerk checked the ID card
    in person (``identity.verify``), with a stated reason. Name and ID number must match
    the population registry; an account holding the number loses it (and its 实名等级),
    is told so, and both changes are in the ledger. ``user`` becomes 窗口核验.
    Returns the account that lost the binding, if any."""
    reason = _require_verifier(actor, user, reason, id_number=id_number)
    id_number = validate_id_number(id_number)
    full_name = "".join((full_name or "").split())
    if registry.has_registry("person") and registry.match_person(full_name, id_number) is None:
        raise Invalid(
            _("姓名与身份证号码未能通过人口库核验，请核对后重新输入。"),
            code="identity_mismatch",
        )
    key = index_for(User, "id_number", id_number)
    old = (
        User.objects.select_for_update()
        .filter(kind=User.Kind.CITIZEN, id_number_index=key)
        .exclude(pk=user.pk)
        .first()
    )
    if old is not None:
        _unbind(actor, old, reason)
    before = user.assurance
    user.id_number = id_number
    user.full_name = full_name or user.full_name
    user.assurance = Assurance.IN_PERSON
    user.assured_at = timezone.now()
    user.save(update_fields=["id_number", "id_number_index", "full_name", "assurance",
                             "assured_at"])  # fmt: skip
    audit.record(
        actor=actor,
        action="core.user.rebind_id_number",
        obj=user,
        purpose=reason,
        change={
            "id_number": id_number,
            "from_user": old.pk if old else None,
            "assurance": {"from": int(before), "to": int(Assurance.IN_PERSON)},
        },
    )
    return old


def _unbind(actor, old: User, reason: str) -> None:
    """The account that held the ID number loses it and its 实名等级, and is told."""
    from yiwang.core.actions.notify import do_notify

    old.id_number = ""
    old.assurance = Assurance.NONE
    old.assured_at = None
    old.save(update_fields=["id_number", "id_number_index", "assurance", "assured_at"])
    audit.record(
        actor=actor,
        action="core.user.unbind_id_number",
        obj=old,
        purpose=reason,
        change={"assurance": {"to": int(Assurance.NONE)}},
    )
    do_notify(
        actor=actor,
        user=old,
        title=bilingual(lambda: _("您的账号已解除身份证号码绑定")),
        body=bilingual(
            lambda: _(
                "经政务服务大厅窗口核验，原绑定在您账号上的身份证号码已由本人办理换绑，您的账号"
                "已不再是实名账号。如有疑问，请携带居民身份证到政务服务大厅窗口咨询。"
            )
        ),
        url="/account/",
    )


def _require_legal_rep(actor, enterprise: User) -> None:
    """The actor is the 法定代表人 the legal-person registry names for the enterprise's
    credit code (ID number and name), and the registry still names the enterprise so."""
    facts = registry.match_legal_entity(enterprise.credit_code) if enterprise.credit_code else None
    same = (
        facts is not None
        and bool(actor.id_number)
        and facts.get("legal_rep_id") == actor.id_number
        and "".join((facts.get("legal_rep_name") or "").split()) == actor.full_name
        and (facts.get("name") or "").strip() == enterprise.enterprise_name
    )
    if not same:
        raise Forbidden(
            _("法人库登记的法定代表人不是您，不能确认该企业账号。"), code="not_legal_rep"
        )


@transaction.atomic
def do_confirm_enterprise(*, actor, enterprise: User) -> User:
    """法定代表人确认 (online 实名 of an enterprise account): the legal representative,
    signed in to their own personal account that is itself 实名 (SMS or window), confirms
    an enterprise account registered under their entity's credit code. The registry must
    name them as the representative; the account becomes 法定代表人核验 (the level of a
    person's SMS check), is told so, and the ledger keeps who confirmed it."""
    from yiwang.core.actions.notify import do_notify
    from yiwang.core.identity import assurance as levels

    if enterprise.kind != User.Kind.ENTERPRISE:
        raise Conflict(_("只能确认企业账号。"), code="not_enterprise")
    if getattr(actor, "kind", "") != User.Kind.CITIZEN:
        raise Forbidden(_("请法定代表人登录本人的个人账号确认。"), code="not_citizen")
    levels.require_verified(actor)
    _require_legal_rep(actor, enterprise)
    if not raise_assurance(actor, enterprise, levels.VERIFIED, "legal_rep"):
        raise Conflict(_("该企业账号已完成实名核验。"), code="already_verified")
    do_notify(
        actor=actor,
        user=enterprise,
        title=bilingual(lambda: _("企业账号已由法定代表人确认")),
        body=bilingual(
            lambda: _("法定代表人已登录本人实名账号确认了本企业账号，账号已完成实名核验。")
        ),
        url="/account/",
    )
    return enterprise
