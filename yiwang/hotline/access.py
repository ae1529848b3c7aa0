"""Who may see and do what in the hotline room (deny by default): the tickets each user
may open and the rules actions and pages check, each a short declaration over
``core.access`` (``None`` — the platform — passes every guard)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.core.access import (
    city_path,
    covers,
    deny_unless,
    department_reach,
    grants,
    has_perm,
    is_platform,
    reach_divisions,
    require,
    restrict,
    scope,
)

GRID_WORKER_ROLE = "grid_worker"


def tickets(user, qs: QuerySet | None = None) -> QuerySet:
    """工单 the user may open: the 12345 centre and leaders city-wide; handling departments
    within their jurisdiction; grid workers their grids' events; citizens their own."""
    from yiwang.hotline.models import Ticket

    qs = qs if qs is not None else Ticket.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    seen = scope(user, qs, "hotline.view", owners=("citizen", "received_by"))
    if has_perm(user, "grid.report"):  # the grid join may repeat rows: one per ticket
        return (seen | qs.filter(grid__workers=user)).distinct()
    return seen


def may_take(user) -> bool:
    """May take tickets in for others (话务员, 值班长)."""
    return has_perm(user, "hotline.intake")


def require_intake(actor, channel: str, citizen=None, grid=None) -> None:
    """Who may take a ticket in on which channel: 话务员 and 值班长 on any; a citizen or
    enterprise only their own, on the web, app or mini-programme; a grid worker on the
    grid channel for a grid they work. The platform (Open311, API clients) is checked at
    the edge."""
    from yiwang.hotline.models import Channel

    if is_platform(actor) or may_take(actor):
        return
    if getattr(actor, "kind", "") in ("citizen", "enterprise"):
        own = citizen is None or citizen.pk == actor.pk
        if channel not in (Channel.WEB, Channel.APP, Channel.MINIPROGRAM) or not own:
            raise PermissionDenied(_("市民只能通过网站、移动端或小程序提交本人的诉求。"))
        return
    if has_perm(actor, "grid.report") and channel == Channel.GRID and grid is not None:
        if grid.workers.filter(pk=actor.pk).exists():
            return
        raise PermissionDenied(_("您不是网格“%s”的网格员。") % grid.name)
    raise PermissionDenied(_("您无权受理 12345 诉求。"))


def may_handle(user, ticket) -> bool:
    """May act for the department now handling ``ticket`` (签收、退单、答复、延期)."""
    if ticket.department_id is None:
        return False
    return scope(
        user,
        type(ticket).objects.filter(pk=ticket.pk),
        "hotline.handle",
    ).exists()


def department_tickets(user, qs: QuerySet | None = None) -> QuerySet:
    """工单 of the departments the user handles for (the department's handling list)."""
    from yiwang.hotline.models import Ticket

    qs = qs if qs is not None else Ticket.objects.all()
    if not has_perm(user, "hotline.handle"):
        return qs.none()
    return scope(user, qs.filter(~Q(department=None)), "hotline.handle")


def department_split(user) -> tuple[str, list[int] | None]:
    """How ``department_tickets`` may be read department by department (the paginator's
    ``split``): the departments its tickets can be in."""
    return "department", department_reach(user, "hotline.handle")


def require_perm(actor, perm: str, message: str | None = None) -> None:
    """A step or page needing ``perm`` anywhere (派单、督办、回访、合并、派单规则 …)."""
    require(actor, perm, message=message)


def require_handler(actor, ticket) -> None:
    """签收、退单、答复、延期: only the department now handling the ticket."""
    deny_unless(actor, may_handle(actor, ticket), _("只有承办部门的人员可以办理此工单。"))


# --- 热点预警 (hotspots) and 预警信息 (warnings) ---


def hotspots(user) -> QuerySet:
    """热点预警 the user may see: those in divisions where they hold ``hotline.view`` (a
    county's staff see their county's hotspots, never another county's ticket numbers)."""
    from yiwang.hotline.models import HotspotAlert

    return restrict(HotspotAlert.objects.all(), user, "hotline.view", department=None)


def may_acknowledge(user, alert=None) -> bool:
    """值班长 and leaders acknowledge hotspots — of their own area when ``alert`` is given."""
    division = alert.division if alert is not None else None
    return covers(user, "hotline.supervise", division=division) or covers(
        user, "cockpit.view", division=division
    )


def require_acknowledge(actor, alert) -> None:
    deny_unless(
        actor, may_acknowledge(actor, alert), _("只有 12345 值班长和领导可以确认热点预警。")
    )


def may_publish(user) -> bool:
    """Drafts, publishes and lifts warnings (``warning.publish``: the 12345 值班长)."""
    return has_perm(user, "warning.publish")


def require_publish(actor) -> None:
    require(actor, "warning.publish", message=_("您没有发布预警信息的权限。"))


PUBLIC_WARNING_STATES = ("published", "cancelled")


def kept_warnings(user, qs: QuerySet | None = None) -> QuerySet:
    """预警 a publisher keeps (drafts included): those whose every area (发布区域) lies
    in the reach of their ``warning.publish`` — a county's 值班长 keeps the county's
    warnings, never another county's or the city's."""
    from yiwang.core.models import Division
    from yiwang.hotline.models import Warning

    qs = qs if qs is not None else Warning.objects.all()
    if not has_perm(user, "warning.publish"):
        return qs.none()
    codes = reach_divisions(user, "warning.publish")
    if codes is None:
        return qs
    inside = Q(pk__in=[])
    for path in Division.objects.filter(code__in=codes).values_list("path", flat=True):
        inside |= Q(path__startswith=path)
    return qs.exclude(divisions__in=Division.objects.exclude(inside))


def warnings(user, qs: QuerySet | None = None) -> QuerySet:
    """预警信息 the user may open: published or lifted ones for everyone (signed in or
    not), drafts only for the publishers who keep them (``kept_warnings``)."""
    from yiwang.hotline.models import Warning

    qs = qs if qs is not None else Warning.objects.all()
    kept = kept_warnings(user, qs).values("pk")
    return qs.filter(Q(state__in=PUBLIC_WARNING_STATES) | Q(pk__in=kept))


def may_keep_warning(user, warning) -> bool:
    """Whether ``user`` may publish or lift ``warning`` (and see its sending progress)."""
    return kept_warnings(user).filter(pk=warning.pk).exists()


def require_keep_warning(actor, warning) -> None:
    """发布、解除预警: a publisher whose reach covers every area of the warning."""
    require_publish(actor)
    deny_unless(actor, may_keep_warning(actor, warning), _("该预警的发布区域超出了您的管辖范围。"))


def may_publish_in(user, division) -> bool:
    """Whether ``user`` may name ``division`` (a Division or its path) as a warning's area."""
    return covers(user, "warning.publish", division=division)


def require_publish_in(actor, divisions) -> None:
    """起草预警: every area chosen lies in the publisher's reach."""
    require_publish(actor)
    for division in divisions:
        require(
            actor,
            "warning.publish",
            division=division,
            message=_("发布区域“%s”超出了您的管辖范围。") % division.name,
        )


def may_open311_manage(user) -> bool:
    """Whether ``user`` sees and keeps the Open311 接口密钥 (the 12345 值班长)."""
    return has_perm(user, "hotline.supervise")


def require_open311_manage(actor) -> None:
    """Open311 接口密钥 are issued and revoked by the 12345 值班长."""
    require(actor, "hotline.supervise", message=_("只有 12345 值班长可以管理 Open311 接口密钥。"))


def open311_keys(user, qs=None):
    """The Open311 keys ``user`` may list: every key for the 值班长, none for anyone else
    (keys belong to the city's 12345 centre, not to a department)."""
    from yiwang.hotline.models import Open311Key

    qs = qs if qs is not None else Open311Key.objects.all()
    return qs if may_open311_manage(user) else qs.none()


# --- 网格 (grids) ---


def may_manage_grids(user) -> bool:
    """Defines grids and assigns workers: the 12345 值班长 or an organisation admin."""
    return has_perm(user, "org.manage") or has_perm(user, "hotline.supervise")


def require_manage_grids(actor) -> None:
    deny_unless(actor, may_manage_grids(actor), _("只有12345值班长或组织机构管理员可以管理网格。"))


def is_grid_worker(user) -> bool:
    """An active staff member holding the 网格员 role."""
    return (
        getattr(user, "kind", "") == "staff"
        and user.is_active
        and any(g.role == GRID_WORKER_ROLE for g in grants(user))
    )


def worker_covers(user, grid) -> bool:
    """Whether one of the user's 网格员 roles covers the grid's division."""
    path = grid.division.path
    return any(
        g.role == GRID_WORKER_ROLE and (g.division_path is None or path.startswith(g.division_path))
        for g in grants(user)
    )


def is_worker_of(user, grid) -> bool:
    """Whether ``user`` is one of ``grid``'s workers."""
    if grid is None or not getattr(user, "is_authenticated", False):
        return False
    return grid.workers.filter(pk=user.pk, is_active=True).exists()


def require_worker_of(actor, grid, message: str) -> None:
    """网格员上报、核查: one of ``grid``'s own workers, in person.

    Refuses the platform (``None``) too: a grid event is reported, and its result checked
    on the spot, in the name of the worker who stood there (the ticket's reporter, the
    回访's caller), which the platform is not."""
    if is_platform(actor) or not is_worker_of(actor, grid):
        raise PermissionDenied(message)


def require_grid_reporter(actor, grid) -> None:
    """网格事件上报: a worker of ``grid`` holding ``grid.report``."""
    require_worker_of(actor, grid, _("您不是网格“%s”的网格员。") % grid.name)
    require(actor, "grid.report", message=_("您没有上报网格事件的权限。"))


# --- 知识库 (knowledge) ---


def may_search(user) -> bool:
    """Agents, supervisors, leaders and the departments keeping entries search them."""
    return has_perm(user, "hotline.view") or has_perm(user, "knowledge.manage")


def require_search(user) -> None:
    """知识库检索 (pages and API)."""
    deny_unless(user, may_search(user), _("您没有查阅12345知识库的权限。"))


def require_cite(actor) -> None:
    """引用知识条目: whoever may search the knowledge base."""
    deny_unless(actor, may_search(actor), _("您没有引用知识条目的权限。"))


def may_manage_knowledge(user, department) -> bool:
    """Whether ``user`` keeps ``department``'s knowledge entries (``knowledge.manage``
    there)."""
    return covers(user, "knowledge.manage", department=department)


def require_manage_knowledge(actor, department) -> None:
    require(
        actor,
        "knowledge.manage",
        department=department,
        message=_("您不是%s的知识库维护人员，不能修改其知识条目。") % department.name,
    )


# --- 诉求分类 (taxonomy) ---


def may_edit_taxonomy(user) -> bool:
    """Edits 诉求分类 and publishes its versions: the 12345 值班长 over the whole city
    (``hotline.supervise`` held at city level; a county's 值班长 never — the tree is one
    for the whole city)."""
    path = city_path()
    return path is not None and covers(user, "hotline.supervise", division=path)


def require_edit_taxonomy(actor) -> None:
    """The guard of the taxonomy pages and actions (403 for everyone else)."""
    deny_unless(actor, may_edit_taxonomy(actor), _("只有市 12345 值班长可以维护诉求分类。"))


def may_keep_classifier(user) -> bool:
    """May see and keep the 12345 classifier (分类模型): its versions, figures, retraining
    and rollback — 12345 值班长 and 大数据局管理员."""
    path = city_path()  # one model for the whole city: a county's grant never reaches it
    return path is not None and covers(user, "classifier.manage", division=path)


def require_classifier(actor) -> None:
    """Guard of the classifier's actions (the platform — scheduled retraining — passes)."""
    require(
        actor,
        "classifier.manage",
        division=city_path(),
        message=_("只有 12345 值班长和大数据局管理员可以管理分类模型。"),
    )
