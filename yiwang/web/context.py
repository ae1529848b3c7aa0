"""Template context for the shell: elder mode, navigation per user kind and role, and
the list of rooms (板块) that are installed and open to the user."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from yiwang.core.access import has_perm
from yiwang.core.notify import unread_count


@dataclass(frozen=True)
class Room:
    """One entry in the room list: shown when a URL resolves and the user qualifies."""

    key: str
    label: str | Promise
    description: str | Promise
    url_names: tuple[str, ...]
    kinds: frozenset[str] | None = None  # None: everyone, signed in or not
    perm: str | None = None


def _names(app: str) -> tuple[str, ...]:
    return (f"{app}:home", f"{app}:index", f"{app}:portal")


STAFF = frozenset({"staff"})
ROOMS: tuple[Room, ...] = (
    Room("services", _("办事服务"), _("在线申请、查询办件进度"), _names("services")),
    Room("hotline", _("12345 诉求"), _("咨询、求助、投诉、举报、建议"), _names("hotline")),
    Room("policies", _("政策文件"), _("政策文件库、解读和意见征集"), _names("policies")),
    Room("opendata", _("开放数据"), _("公共数据目录与下载接口"), _names("opendata")),
    Room("benefits", _("惠企政策"), _("免申即享、快申快享"), _names("benefits")),
    Room("inbox", _("我的待办"), _("等待我处理的办件"), ("core:inbox",), STAFF, "case.view"),
    Room("data", _("数据资源"), _("目录、归集、共享与质量"), _names("data"), STAFF, "data.view"),
    # Open to everyone: verification is public, holders reach their wallet from it.
    Room("licences", _("电子证照"), _("证照签发、核验与用证"), _names("licences")),
    Room("regulation", _("市场监管"), _("双随机抽查与信用分类"), _names("regulation"), STAFF),
    Room("supervision", _("督查督办"), _("重点任务台账与通报"), _names("supervision"), STAFF),
    Room("cockpit", _("领导驾驶舱"), _("全市运行指标"), _names("cockpit"), STAFF, "cockpit.view"),
    Room(
        "staff",
        _("人员目录"),
        _("本辖区工作人员与角色"),
        ("core:staff-list",),
        STAFF,
        "user.view",
    ),
    Room(
        "audit",
        _("审计查询"),
        _("全程留痕、可溯可查"),
        ("core:audit-search",),
        STAFF,
        "audit.view",
    ),
)
PORTAL_KEYS = ("services", "hotline", "policies", "opendata")


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


def navigation(user) -> list[tuple[str, str]]:
    """(label, url) pairs for the top navigation, by what the user may reach."""
    items = [(_("首页"), reverse("web:home"))]
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
