"""Template context for the shell: elder mode, navigation per user kind and role."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from yiwang.core.access import has_perm
from yiwang.core.notify import unread_count


def navigation(user) -> list[tuple[str, str]]:
    """(label, url) pairs for the top navigation, by what the user may reach."""
    items = [(_("首页"), reverse("web:home"))]
    if not user.is_authenticated:
        return items
    if user.kind == "staff":
        items.append((_("工作台"), reverse("web:workbench")))
        items.append((_("我的待办"), reverse("core:inbox")))
        if has_perm(user, "audit.view"):
            items.append((_("审计查询"), reverse("core:audit-search")))
    elif user.kind == "citizen":
        items.append((_("个人中心"), reverse("web:citizen")))
    elif user.kind == "enterprise":
        items.append((_("企业中心"), reverse("web:enterprise")))
    return items


def shell(request) -> dict:
    user = getattr(request, "user", None)
    return {
        "elder_mode": getattr(request, "elder_mode", False),
        "nav_items": navigation(user) if user is not None else [],
        "unread_count": lambda: unread_count(user),
    }
