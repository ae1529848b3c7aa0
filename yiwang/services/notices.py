"""办件进度通知 (progress notices) to applicants: which channels an account wants (办件进度
短信 can be switched off in 个人中心; the in-app message and email always go) and the
plain words each step of an application is told in — no internal codes."""

from __future__ import annotations

from django.utils.translation import gettext as _

from yiwang.services.models import NoticeSetting

ALL_CHANNELS = ("email", "sms")


def wants_sms(user) -> bool:
    """Whether ``user`` keeps 办件进度短信 on (the default)."""
    if getattr(user, "pk", None) is None:
        return False
    off = NoticeSetting.objects.filter(user_id=user.pk, progress_sms=False).exists()
    return not off


def channels_for(user, kept: list | None = None) -> tuple[str, ...]:
    """The delivery channels of a progress notice to ``user``; when the caller keeps
    its notices to send together (``kept``), one already kept for the same account
    answers without reading the setting again."""
    for notice in kept or ():
        if getattr(notice.user, "pk", None) == getattr(user, "pk", None):
            return tuple(notice.channels)
    return ALL_CHANNELS if wants_sms(user) else ("email",)


def step_title(action: str, item_name: str, state_name: str) -> str:
    """What the applicant is told after a step: 受理 and 补正 in their own words, any
    other step as the state the application is now in."""
    if action == "accept":
        return _("您的申请已受理：%s") % item_name
    if action == "request_correction":
        return _("您的申请需要补正材料：%s") % item_name
    if action == "resubmit":
        return _("补正材料已收到：%s") % item_name
    return _("办件进度：%(item)s — %(state)s") % {"item": item_name, "state": state_name}
