"""实名等级 (identity assurance): what an account has proved about who it is, and what
needs which level. A citizen or enterprise account is 实名 only at the level it reached:

- ``REGISTRY`` (基础库比对): name and ID number match one resident in the population
  registry (人口库), or the credit code one entity in the legal-person registry (法人库);
- ``SMS`` (手机短信核验): and a one-time code sent to the mobile number the registry
  holds for them was typed back;
- ``IN_PERSON`` (窗口核验): a window clerk checked the ID card in person.

An enterprise account reaches ``SMS``'s level by 法定代表人核验 instead: its legal
representative, signed in to their own 实名 personal account, confirms it.

Licences in the wallet (证照夹), applications that read registries and licences by the
account's ID number (免证可办), and "who read my data" (谁用了我的数据) need ``VERIFIED``;
below it the user is told how to get there (``needed_message``) instead of seeing
another person's records through a name they typed.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from yiwang.core.errors import Forbidden
from yiwang.core.models import Assurance

VERIFIED = Assurance.SMS


def level_of(user) -> int:
    """The account's 实名等级 (``Assurance.NONE`` for anonymous users and staff)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Assurance.NONE
    if getattr(user, "kind", "") not in ("citizen", "enterprise"):
        return Assurance.NONE
    return int(getattr(user, "assurance", Assurance.NONE) or 0)


def is_verified(user, level: int = VERIFIED) -> bool:
    """Whether ``user`` is a citizen or enterprise account 实名 at ``level`` or above."""
    return level_of(user) >= level


def label(level: int, kind: str = "citizen") -> str:
    """The level's name; an enterprise's second level is 法定代表人核验."""
    if kind == "enterprise" and level == Assurance.SMS:
        return _("法定代表人核验")
    return str(Assurance(level).label)


def enterprises_to_confirm(user) -> list:
    """The enterprise accounts a verified citizen may confirm as their 法定代表人: those
    registered under a credit code whose registry record names the citizen's ID number,
    and not yet 实名 (``do_confirm_enterprise`` checks the registry again)."""
    from yiwang.core.identity import registry
    from yiwang.core.models import User

    if getattr(user, "kind", "") != "citizen" or not is_verified(user) or not user.id_number:
        return []
    codes = registry.represented_by(user.id_number)
    if not codes:
        return []
    pending = User.objects.filter(
        kind=User.Kind.ENTERPRISE, credit_code__in=codes, is_active=True, assurance__lt=VERIFIED
    )
    return list(pending.order_by("date_joined", "pk"))


def needed_message(user, level: int = VERIFIED) -> str:
    """What the user must do to reach ``level``, in words (shown where a page refuses)."""
    have = level_of(user)
    if getattr(user, "kind", "") == "enterprise":
        return _(
            "此功能需要企业账号完成实名核验（当前：%(have)s）。请法定代表人登录本人已实名的"
            "个人账号，在“账号与安全”中确认本企业账号；或携带营业执照和法定代表人身份证到"
            "政务服务大厅窗口核验。"
        ) % {"have": label(have, "enterprise")}
    if have < Assurance.REGISTRY:
        return _(
            "您的账号尚未通过实名核验（当前：%(have)s）。请携带居民身份证到政务服务大厅"
            "窗口办理实名核验。"
        ) % {"have": label(have)}
    return _(
        "此功能需要账号达到“%(need)s”（当前：%(have)s）。请在“账号与安全”中用预留手机号"
        "接收短信验证码完成核验，或携带居民身份证到政务服务大厅窗口核验。"
    ) % {"need": label(level), "have": label(have)}


def require_verified(user, level: int = VERIFIED) -> None:
    """Raise ``Forbidden`` (reason ``assurance_required``) below ``level``."""
    if not is_verified(user, level):
        raise Forbidden(needed_message(user, level), code="assurance_required")


def refusal_page(request: HttpRequest, what: str, level: int = VERIFIED) -> HttpResponse:
    """The page shown instead of a gated one (403): what needs the level, what the
    account has and how to reach it, with a link to the account page."""
    context = {
        "what": what,
        "message": needed_message(request.user, level),
        "account_url": reverse("core:account"),
    }
    return render(request, "core/identity/assurance_needed.html", context, status=403)


def window_summary(user) -> dict:
    """One citizen or enterprise account as the 窗口实名核验 page and API show it to a
    clerk: name, ID number and phone masked (脱敏); enterprise name and credit code,
    which are public, as they are; its kind, 实名等级 and when it was reached, and
    whether it can be re-bound (账号换绑 is for citizens only)."""
    from yiwang.core.masking import mask_id_number, mask_name, mask_phone
    from yiwang.core.models import User

    level = int(user.assurance or 0)
    return {
        "id": user.pk,
        "username": user.username,
        "kind": user.kind,
        "kind_label": str(User.Kind(user.kind).label),
        "full_name": mask_name(user.full_name) if user.full_name else "",
        "id_number": mask_id_number(user.id_number) if user.id_number else "",
        "phone": mask_phone(user.phone) if user.phone else "",
        "enterprise_name": user.enterprise_name,
        "credit_code": user.credit_code,
        "assurance": level,
        "assurance_label": label(level),
        "assured_at": user.assured_at,
        "is_active": user.is_active,
        "can_rebind": user.kind == User.Kind.CITIZEN,
    }
