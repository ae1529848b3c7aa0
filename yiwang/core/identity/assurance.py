"""实名等级 (identity assurance): what an account has proved about who it is, and what
needs which level. A citizen or enterprise account is 实名 only at the level it reached:

- ``REGISTRY`` (基础库比对): name and ID number match one resident in the population
  registry (人口库), or the credit code one entity in the legal-person registry (法人库);
- ``SMS`` (手机短信核验): and a one-time code sent to the mobile number the registry
  holds for them was typed back;
- ``IN_PERSON`` (窗口核验): a window clerk checked the ID card in person.

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


def label(level: int) -> str:
    return str(Assurance(level).label)


def needed_message(user, level: int = VERIFIED) -> str:
    """What the user must do to reach ``level``, in words (shown where a page refuses)."""
    have = level_of(user)
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
