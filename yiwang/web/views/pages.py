"""Portal pages: home, staff workbench, citizen and enterprise homes, elder-mode toggle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from yiwang.core.access import role_codes
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.masking import mask_id_number, mask_phone
from yiwang.core.roles import ROLES
from yiwang.core.rooms import data_read_sources, portal_panels
from yiwang.web.context import PORTAL_KEYS, home_url, resolve_first, rooms_for
from yiwang.web.forms import ElderToggleForm
from yiwang.web.middleware import COOKIE

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Shortcuts (快捷入口) each role sees on the workbench; rooms not installed are left out.
ROLE_SHORTCUTS: dict[str, tuple[str, ...]] = {
    "window_clerk": ("inbox", "services"),
    "approver": ("inbox", "services", "licences"),
    "dept_admin": ("inbox", "staff"),
    "data_steward": ("data", "opendata"),
    "bureau_admin": ("data", "staff", "services", "opendata"),
    "hotline_agent": ("hotline", "inbox"),
    "hotline_supervisor": ("hotline", "inbox"),
    "hotline_handler": ("hotline", "inbox"),
    "grid_worker": ("hotline",),
    "inspector": ("regulation", "inbox"),
    "leader": ("cockpit", "supervision"),
    "auditor": ("audit",),
    "sysadmin": ("staff", "audit"),
}
SOONEST = 5

# 长辈版首页: the eight services older people use most, each a large tile —
# (label, URL names tried in turn, query). A tile whose room is not installed is left out.
ELDER_TILES: tuple[tuple[StrOrPromise, tuple[str, ...], str], ...] = (
    (gettext_lazy("领养老金"), ("services:items",), "q=养老"),
    (gettext_lazy("社保卡"), ("services:items",), "q=社会保障卡"),
    (gettext_lazy("低保救助"), ("services:items",), "q=最低生活保障"),
    (gettext_lazy("居住证"), ("services:items",), "q=居住证"),
    (gettext_lazy("我的证照"), ("licences:wallet",), ""),
    (gettext_lazy("办事进度"), ("services:my-applications",), ""),
    (gettext_lazy("反映问题"), ("hotline:submit",), ""),
    (gettext_lazy("天气预警"), ("hotline:warnings-public",), ""),
)


def elder_tiles() -> list[dict]:
    """The elder home's tiles (大按钮) with their addresses."""
    tiles = []
    for label, names, query in ELDER_TILES:
        url = resolve_first(names)
        if url:
            tiles.append({"label": label, "url": f"{url}?{query}" if query else url})
    return tiles


def home(request: HttpRequest) -> HttpResponse:
    """Citizen-facing portal home (门户首页): entry cards for the installed public rooms,
    sign-in and registration links, or a link to the signed-in user's own space."""
    context = {
        "portal_rooms": rooms_for(request.user, PORTAL_KEYS),
        "own_space": home_url(request.user),
        "register_citizen": resolve_first(("core:register_citizen",)),
        "register_enterprise": resolve_first(("core:register_enterprise",)),
        "elder_tiles": elder_tiles() if getattr(request, "elder_mode", False) else [],
        "panels": [
            render_to_string(p.template, import_string(p.context)(request), request=request)
            for p in portal_panels()
        ],
    }
    return render(request, "web/home.html", context)


def _inbox_summary(user) -> dict | None:
    """Waiting and overdue counts (each up to 1000, then "1000+") and the soonest cases,
    when the workflow engine exists."""
    try:
        from yiwang.core.inbox import case_summary, inbox_counts, inbox_for
    except ImportError:
        return None
    from django.utils import timezone

    today = timezone.localdate()
    return {
        **inbox_counts(user),
        "soonest": [case_summary(c, today) for c in inbox_for(user)[:SOONEST]],
        "url": resolve_first(("core:inbox",)),
    }


@login_required
def workbench(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff workbench (工作台): inbox summary and shortcuts by role."""
    if request.user.kind != "staff":
        raise PermissionDenied
    codes = role_codes(request.user)
    rooms = {r["key"]: r for r in rooms_for(request.user)}
    shortcuts, seen = [], set()
    for code in sorted(codes):
        for key in ROLE_SHORTCUTS.get(code, ()):
            if key in rooms and key not in seen:
                seen.add(key)
                shortcuts.append(rooms[key])
    context = {
        "roles": [ROLES[c].label for c in sorted(codes)],
        "inbox": _inbox_summary(request.user),
        "shortcuts": shortcuts,
        "admin_url": resolve_first(("admin:index",)) if request.user.is_staff else None,
    }
    return render(request, "web/workbench.html", context)


def _my_space(user) -> dict:
    """My cases (我的办件) and my latest messages, shared by the citizen and enterprise homes."""
    try:
        from yiwang.core.inbox import case_summary, my_applications
    except ImportError:
        cases = []
    else:
        cases = [case_summary(c) for c in my_applications(user).select_related("workflow")[:10]]
    return {
        "cases": cases,
        "notices": list(user.notifications.order_by("-created_at")[:5]),
        "messages_url": resolve_first(("core:messages",)),
        "account_url": resolve_first(("core:account",)),
        "services_url": resolve_first(("services:home", "services:index")),
        "bookings_url": resolve_first(("services:my-bookings",)),
        "notice_settings_url": resolve_first(("services:notice-settings",)),
        "phone_masked": mask_phone(user.phone),
    }


@login_required
def citizen_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """个人中心 for citizens: my cases, my messages, my (masked) identity."""
    if request.user.kind != "citizen":
        raise PermissionDenied
    context = _my_space(request.user)
    context["id_masked"] = mask_id_number(request.user.id_number)
    context["data_reads"] = _data_reads(request.user)
    context["elder_tiles"] = elder_tiles() if getattr(request, "elder_mode", False) else []
    return render(request, "web/citizen.html", context)


def _data_reads(user) -> list[dict]:
    """谁用了我的数据: each installed room's page listing reads of the citizen's own
    records, with how many there are (``{"label", "url", "count"}``)."""
    out = []
    for source in data_read_sources():
        url = resolve_first((source.url_name,))
        if url:
            count = import_string(source.query)(user).count()
            out.append({"label": source.label, "url": url, "count": count})
    return out


@login_required
def enterprise_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """企业中心 for enterprise users: the enterprise, its cases and messages."""
    if request.user.kind != "enterprise":
        raise PermissionDenied
    return render(request, "web/enterprise.html", _my_space(request.user))


@require_POST
def toggle_elder(request: HttpRequest) -> HttpResponse:
    """Switch elder mode (长辈模式) on or off for this browser. The switch is a button:
    nothing to refuse, so any post answers with the return to the page."""
    form = ElderToggleForm(request.POST)
    on = form.switched_on()
    target = form.target()
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    response = redirect(target)
    response.set_cookie(COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="Lax")
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for load balancers."""
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
