"""Template context for the shell: elder mode, navigation per user kind and role, and
the list of rooms (板块) that are installed and open to the user (each room's manifest
declares its entries, ``yiwang.core.rooms.NavEntry``)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from yiwang.core.access import has_perm
from yiwang.core.notify import unread_count
from yiwang.core.rooms import NavEntry, nav_entries

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# One entry in the room list; each installed room declares its own in its manifest.
Room = NavEntry

# Every installed room's entries, in their declared order (the rooms of a process do
# not change while it runs).
ROOMS: tuple[Room, ...] = tuple(nav_entries())
PORTAL_KEYS: tuple[str, ...] = tuple(r.key for r in ROOMS if r.portal)


def resolve_first(url_names: tuple[str, ...]) -> str | None:
    """The URL of the first name that resolves, or None when the room is not installed."""
    return _resolve_first(url_names, get_urlconf(), get_script_prefix())


@lru_cache(maxsize=256)
def _resolve_first(url_names: tuple[str, ...], urlconf, prefix: str) -> str | None:
    """Cached per URLconf and prefix: installed rooms do not change while a process runs,
    and a failed reverse raises, which is too costly to repeat on every page."""
    for name in url_names:
        try:
            return reverse(name, urlconf=urlconf)
        except NoReverseMatch:
            continue
    return None


def rooms_for(user, keys: tuple[str, ...] | None = None) -> list[dict]:
    """Installed rooms the user may enter: ``{"key", "label", "description", "url"}``."""
    kind = getattr(user, "kind", None) if getattr(user, "is_authenticated", False) else None
    out = []
    for room in ROOMS:
        if keys is not None and room.key not in keys:
            continue
        if room.kinds is not None and kind not in room.kinds:
            continue
        if room.perm and not has_perm(user, room.perm):
            continue
        url = resolve_first(room.url_names)
        if url:
            out.append(
                {
                    "key": room.key,
                    "label": room.label,
                    "description": room.description,
                    "url": url,
                }
            )
    return out


def home_url(user) -> str | None:
    """The signed-in user's own space: 工作台, 个人中心 or 企业中心."""
    if not getattr(user, "is_authenticated", False):
        return None
    return {
        "staff": reverse("web:workbench"),
        "citizen": reverse("web:citizen"),
        "enterprise": reverse("web:enterprise"),
    }.get(user.kind)


def navigation(user) -> list[tuple[StrOrPromise, str]]:
    """(label, url) pairs for the top navigation, by what the user may reach."""
    items: list[tuple[StrOrPromise, str]] = [(_("首页"), reverse("web:home"))]
    if not getattr(user, "is_authenticated", False):
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
    if user.kind != "system":
        items.append((_("账号与安全"), reverse("core:account")))
    return items


def shell(request) -> dict:
    """Context for every page: elder mode, navigation, rooms, unread messages."""
    user = getattr(request, "user", None)
    return {
        "elder_mode": getattr(request, "elder_mode", False),
        "nav_items": navigation(user) if user is not None else [],
        "nav_rooms": lambda: rooms_for(user),
        "unread_count": lambda: unread_count(user),
    }
