"""Access rules, deny by default (访问控制): the one place that says who holds which
permission where (管辖范围 — jurisdiction). Pages, API and actions ask the same
questions through the same functions:

- ``covers(user, perm, division=…, department=…)`` — does the user hold ``perm`` over
  that place and department? The one yes/no question every room asks.
- ``restrict(qs, user, perm, …)`` — ``qs`` narrowed to the rows the user may see for
  ``perm`` (in the manner of NetBox's ``restrict(user, action)``); ``scope`` is the same
  with the user first.
- ``require(actor, perm, …)`` — the guard: raise ``PermissionDenied`` unless covered.

A role grant (``Grant``) is one role held in one org unit: a division subtree × a
department, or the whole city. A grant covers a place when the place lies in the grant's
division subtree and its department is the grant's department or one under it (a city
department thus also keeps its county counterparts, 条线).

Each room's ``access.py`` declares its own rules as short functions over these
(``may_manage = covers(…, "service.manage", department=…)``); no permission logic lives
anywhere else.

The missing actor (``actor=None``) — one rule: ``None`` is the platform itself (seeding,
migrations, scheduled jobs, the command line, gateway clients checked at the edge). It is
not a person, so every *question* about it says no — ``covers``, ``has_perm``, ``may_*``
are False and ``restrict`` returns nothing, so a page or API that lost its user fails
closed — while every *guard* an action calls (``require`` and each room's ``require_*``)
lets it through, for the platform acts on the whole city by definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.core.errors import Forbidden, Invalid
from yiwang.core.roles import ROLES


@dataclass(frozen=True)
class Grant:
    """One role held in one org unit: what it allows and where."""

    role: str
    division_path: str | None  # None = city-wide
    department_id: int | None  # None = every department
    # Its reach as key lists (``reach_keys``), looked up once for as long as it lives.
    _keys: dict = field(default_factory=dict, compare=False, hash=False, repr=False)


def grants(user) -> list[Grant]:
    """The user's role grants, kept on the user object for the request (a user handed
    out by ``yiwang.core.authcache`` arrives with them, checked against the shared
    versions, so a request costs no query for them)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_yiwang_grants", None)
    if cached is not None:
        return cached
    out = load_grants(user)
    user._yiwang_grants = out
    return out


def load_grants(user) -> list[Grant]:
    """The role grants of a staff account from the database, in one query of plain
    values (no model instances): each role with its org unit's division and department.
    Only staff hold roles; anyone else has none."""
    from yiwang.core.models import RoleAssignment

    if getattr(user, "kind", "") != "staff":
        return []
    out: list[Grant] = []
    rows = RoleAssignment.objects.filter(user_id=user.pk).values_list(
        "role", "org_unit__division__path", "org_unit__division__level", "org_unit__department_id"
    )
    for role_code, path, level, department_id in rows:
        if path is None:  # no unit of its own: held in the member's unit
            g = grant_for(role_code, user.org_unit)
        else:
            g = _grant(role_code, path, level, department_id)
        if g is not None:
            out.append(g)
    return out


CITY_LEVELS = frozenset({"province", "city"})


def grant_for(role_code: str, unit) -> Grant | None:
    """The reach of ``role_code`` held in org unit ``unit`` (管辖范围), the one rule:

    - a city-wide role (``Role.city_wide``) held at city level reaches the whole city;
      held in a county it reaches that county's subtree, every department in it;
    - any other role reaches the unit's division subtree × its department (and the
      department's county counterparts, 条线).

    None when the role is unknown, or has no unit to be held in."""
    if unit is None:
        return None
    division = unit.division
    return _grant(role_code, division.path, division.level, unit.department_id)


def _grant(role_code: str, path: str, level: str, department_id: int | None) -> Grant | None:
    """``grant_for`` over plain values: the unit's division path and level, and its
    department."""
    role = ROLES.get(role_code)
    if role is None:
        return None
    if role.city_wide:
        if level in CITY_LEVELS:
            return Grant(role_code, None, None)
        return Grant(role_code, path, None)
    return Grant(role_code, path, department_id)


def grant_within(inner: Grant, outer: Grant, inner_parent_id: int | None = None) -> bool:
    """Whether ``inner``'s reach lies inside ``outer``'s: nobody hands out more than they
    hold. ``inner_parent_id`` is the parent of ``inner``'s department (a city department's
    reach includes its county counterparts)."""
    if outer.division_path is None:
        return True
    if inner.division_path is None or not inner.division_path.startswith(outer.division_path):
        return False
    if outer.department_id is None:
        return True
    return inner.department_id is not None and outer.department_id in (
        inner.department_id,
        inner_parent_id,
    )


def is_platform(actor) -> bool:
    """The missing actor: the platform itself acting (see the module's rule)."""
    return actor is None


def _superuser(user) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def has_perm(user, perm: str) -> bool:
    """True when any of the user's roles grants ``perm`` (anywhere)."""
    if _superuser(user):
        return True
    return any(perm in ROLES[g.role].permissions for g in grants(user))


def role_codes(user) -> set[str]:
    return {g.role for g in grants(user)}


# --- jurisdiction: does a grant reach a place? ---


def grant_covers(
    g: Grant, division_path: str | None, department_id: int | None, parent_id: int | None
) -> bool:
    """Whether a role grant's jurisdiction (division subtree × department) covers a place:
    the division at ``division_path`` and the department ``department_id`` (whose parent
    is ``parent_id``). ``None`` for the path or the department leaves that part open."""
    if g.division_path is None:
        return True
    if division_path is not None and not division_path.startswith(g.division_path):
        return False
    return department_id is None or g.department_id in (None, department_id, parent_id)


def reach_keys(g: Grant, part: str) -> list | None:
    """The keys a grant's reach comes to (``part`` "divisions": the codes of the divisions
    under its path, or None when that is every division; "departments": its department
    and the department's county counterparts), read from the small division and
    department tables once per grant."""
    from yiwang.core.models import Department, Division

    if part not in g._keys:
        keys: list | None
        if part == "divisions":
            path = g.division_path or ""
            under = Division.objects.filter(path__startswith=path)
            everywhere = not Division.objects.exclude(path__startswith=path).exists()
            keys = None if everywhere else list(under.order_by("pk").values_list("pk", flat=True))
        else:
            line = Department.objects.filter(Q(pk=g.department_id) | Q(parent_id=g.department_id))
            keys = list(line.order_by("pk").values_list("pk", flat=True))
        g._keys[part] = keys
    return g._keys[part]


def grant_q(g: Grant, prefix: str = "", *, division: str | None = None, department=None) -> Q:
    """``grant_covers`` as a query: rows whose division (lookup ``division``, default
    ``{prefix}division``) and department (``department``, default ``{prefix}department``)
    the grant covers. Pass ``division=""``/``department=""`` to leave a part out.

    Both parts test the row's own foreign keys against key lists (``reach_keys``):
    nothing is joined per row, and a list whose reach is one department reads that
    department's rows in order through an index on (department, sort key)."""
    if g.division_path is None:
        return Q()
    division = f"{prefix}division" if division is None else division
    department = f"{prefix}department" if department is None else department
    q = Q()
    divisions = reach_keys(g, "divisions") if division else None
    if divisions is not None:
        q &= Q(**{f"{division}__in": divisions})
    if department and g.department_id is not None:
        q &= Q(**{f"{department}__in": reach_keys(g, "departments")})
    return q


def covers(user, perm: str, *, division=None, department=None) -> bool:
    """Whether ``user`` holds ``perm`` over the place: ``division`` (a Division or its
    path; defaults to the department's own division) and ``department`` (a Department).
    With no place at all: whether the user holds ``perm`` anywhere (``has_perm``).

    The same answer ``restrict`` gives for a row at that division × department, without a
    query beyond the user's grants (cached per request). ``None`` (the platform) and
    anonymous or inactive users are never covered; an active superuser always is."""
    if _superuser(user):
        return True
    if division is None and department is not None:
        division = department.division
    path = division if isinstance(division, str) or division is None else division.path
    dept_id = department.pk if department is not None else None
    parent_id = department.parent_id if department is not None else None
    return any(
        perm in ROLES[g.role].permissions and grant_covers(g, path, dept_id, parent_id)
        for g in grants(user)
    )


def covers_row(
    user, perm: str, division_path: str | None, department_id: int | None, parent_id: int | None
) -> bool:
    """Whether ``restrict`` would keep a row already read, given its place as plain
    values: its division's path, its department and that department's parent (None
    where the row has none). The same rule as ``restrict``, without building a filter:
    a row with no division is reached only by city-wide grants. For hot single-row
    reads that fetch the row by key and decide in Python."""
    if _superuser(user):
        return True
    for g in grants(user):
        if perm not in ROLES[g.role].permissions:
            continue
        if g.division_path is None:
            return True
        if division_path is None or not division_path.startswith(g.division_path):
            continue
        if g.department_id is None or (
            department_id is not None and g.department_id in (department_id, parent_id)
        ):
            return True
    return False


def require(
    actor, perm: str, *, division=None, department=None, message: str | None = None
) -> None:
    """The guard: raise ``PermissionDenied`` (→ 403 with a localised ``message``) unless
    ``covers``. ``None`` — the platform — passes (the module's rule)."""
    if is_platform(actor):
        return
    if not covers(actor, perm, division=division, department=department):
        raise PermissionDenied(message or _("您没有执行此操作的权限。"))


def deny_unless(actor, allowed: bool, message: str) -> None:
    """The guard for a room's own yes/no rule (``may_*``): raise ``PermissionDenied``
    with ``message`` unless ``allowed``; ``None`` — the platform — passes."""
    if not is_platform(actor) and not allowed:
        raise PermissionDenied(message)


# --- scoped querysets ---


def restrict(
    qs: QuerySet,
    user,
    perm: str,
    *,
    division: str | None = "division",
    department: str | None = "department",
    via: str | None = None,
    owners: Iterable[str] = (),
) -> QuerySet:
    """Narrow ``qs`` to the rows ``user`` may see for ``perm``; nothing when unsure.

    ``division``/``department`` name the lookups to the row's division and department
    (None when the model has no such link); ``via`` is a shortcut for a row that belongs
    to a department through one foreign key (``via="issuer"`` = department ``issuer``,
    division ``issuer__division``). ``owners`` name user foreign keys that make a row the
    user's own (e.g. ``applicant``) — how citizens and enterprises see theirs. A row with
    neither link is seen only through a city-wide grant.
    """
    if via is not None:
        division, department = f"{via}__division", via
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    cond = Q(pk__in=[])
    for owner in owners:
        cond |= Q(**{owner: user})
    if getattr(user, "is_superuser", False):
        return qs
    for g in grants(user):
        if perm not in ROLES[g.role].permissions:
            continue
        if g.division_path is None:
            return qs
        if not division and not department:
            continue
        q = grant_q(g, division=division or "", department=department or "")
        if not q:  # the grant reaches every row (Q() would vanish in an OR)
            return qs
        cond |= q
    return qs.filter(cond)


def scope(
    user,
    qs: QuerySet,
    perm: str,
    *,
    division: str | None = "division",
    department: str | None = "department",
    owners: Iterable[str] = (),
) -> QuerySet:
    """``restrict`` with the user first (the older spelling, kept for its callers)."""
    return restrict(qs, user, perm, division=division, department=department, owners=owners)


def reach_divisions(user, perm: str) -> list[str] | None:
    """The division codes whose subtrees ``user`` holds ``perm`` in: None for the whole
    city (a city-level grant, or a superuser), ``[]`` for nowhere. For figures counted
    over places (趋势, 统计) that must stop at the holder's reach."""
    if _superuser(user):
        return None
    codes: set[str] = set()
    for g in grants(user):
        if perm not in ROLES[g.role].permissions:
            continue
        if g.division_path is None:
            return None
        codes.add(g.division_path.rstrip("/").rsplit("/", 1)[-1])
    return sorted(codes)


def department_reach(user, perm: str) -> list[int] | None:
    """The departments whose rows ``restrict`` shows ``user`` for ``perm``, as a key list
    (each grant's department and its county counterparts): None when some grant reaches
    every department (a city-wide role, a superuser). For lists read department by
    department through an index on (department, sort key) — rows seen through
    ``owners`` are not in it."""
    if _superuser(user):
        return None
    keys: set[int] = set()
    for g in grants(user):
        if perm not in ROLES[g.role].permissions:
            continue
        if g.division_path is None or g.department_id is None:
            return None
        keys.update(reach_keys(g, "departments") or ())
    return sorted(keys)


def departments_in_scope(user, perm: str) -> QuerySet:
    """Departments (and their sub-departments) where ``user`` holds ``perm``: e.g. whose
    catalogue or service items the user keeps. ``covers(user, perm, department=d)`` for
    each ``d`` in it."""
    from yiwang.core.models import Department

    qs = Department.objects.select_related("division")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if getattr(user, "is_superuser", False):
        return qs
    cond = Q(pk__in=[])
    for g in grants(user):
        if perm not in ROLES[g.role].permissions:
            continue
        if g.division_path is None:
            return qs
        q = grant_q(g, division="division", department="")
        if g.department_id is not None:
            q &= Q(pk=g.department_id) | Q(parent_id=g.department_id)
        if not q:  # every department (Q() would vanish in an OR)
            return qs
        cond |= q
    return qs.filter(cond)


def can_see(user, obj, perm: str, **kwargs) -> bool:
    """Whether ``obj`` is inside ``scope`` for this user (one indexed query)."""
    model = type(obj)
    return scope(user, model._default_manager.filter(pk=obj.pk), perm, **kwargs).exists()


def get_visible(user, qs: QuerySet, perm: str, pk, **kwargs):
    """Fetch one row the user may see, or raise the same 404 an absent row would give
    (so existence in another jurisdiction is not revealed)."""
    return pick(scope(user, qs, perm, **kwargs), pk)


def pick(scoped_qs: QuerySet, pk):
    """One row from an already-scoped queryset, or the same 404 an absent row gives (no
    ordering: a primary key picks one row, sorting it only costs)."""
    from django.http import Http404

    obj = next(iter(scoped_qs.filter(pk=pk).order_by()[:1]), None)
    if obj is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    return obj


# --- core's own rules: staff-only pages, and cases (办件/案件) of the workflow engine ---


def require_staff(user, message: str) -> None:
    """Pages only staff (工作人员) use, e.g. 动态口令 enrolment."""
    deny_unless(user, getattr(user, "kind", "") == "staff", message)


def may_verify_identity(user) -> bool:
    """窗口实名核验 and 账号换绑: staff (工作人员) holding ``identity.verify`` (window
    clerks). Citizens come to any window of the city, so the permission held anywhere is
    enough; acting on one's own account is refused by the actions themselves."""
    return getattr(user, "kind", "") == "staff" and has_perm(user, "identity.verify")


def require_identity_verifier(user) -> None:
    """The gate of the 窗口实名核验 page and API (403 for everyone else)."""
    deny_unless(user, may_verify_identity(user), _("窗口实名核验仅对有核验权限的窗口人员开放。"))


def verifiable_accounts(user) -> QuerySet:
    """The accounts a window clerk may find and act on: citizens (群众) and enterprises
    (企业用户), never staff or system accounts; nothing for anyone who may not verify."""
    from yiwang.core.models import User

    qs = User.objects.filter(kind__in=(User.Kind.CITIZEN, User.Kind.ENTERPRISE))
    return qs if may_verify_identity(user) else qs.none()


def may_start_case(user, *, division, department, applicant=None) -> bool:
    """发起流程: the applicant for themselves, or staff with any role over the place."""
    if applicant is not None and getattr(user, "pk", None) == applicant.pk:
        return True
    if _superuser(user):
        return True
    return any(
        grant_covers(g, division.path, department.pk, department.parent_id) for g in grants(user)
    )


def may_override_assignment(user, case) -> bool:
    """改派: act on, or take over, a case assigned to someone else (``case.assign`` over
    the case's division × department)."""
    return covers(user, "case.assign", division=case.division, department=case.department)


def require_override_assignment(actor, case, message: str) -> None:
    """分派 (or release of someone else's case): ``case.assign`` over the case's place."""
    require(
        actor, "case.assign", division=case.division, department=case.department, message=message
    )


def require_participant(actor, case) -> None:
    """Comments and attachments: staff who can see the case, or its applicant."""
    if is_platform(actor) or (case.applicant_id is not None and actor.pk == case.applicant_id):
        return
    deny_unless(actor, can_see(actor, case, "case.view"), _("您无权处理此案件。"))


# --- 授权: who may grant (or revoke) which role, where ---


def _grant_refusal(actor, member, role_code: str, unit) -> Forbidden | None:
    """Why ``actor`` may not give (or take) ``role_code`` held in ``unit`` to ``member``,
    or None when they may. The rules, in order: nobody changes their own roles; the
    member must be in the actor's 人员管理 (``user.manage``) jurisdiction; the actor holds
    one of the roles the role's ``granted_by`` names, with ``user.manage``, whose reach
    contains the reach the new grant would have (nobody hands out more than they hold)."""
    if getattr(actor, "pk", None) == member.pk:
        return Forbidden(_("不能给自己授予或收回角色。"), code="self_grant")
    home = member.org_unit
    if home is not None and not covers(
        actor, "user.manage", division=home.division, department=home.department
    ):
        return Forbidden(_("该人员不在您的管理范围内。"), code="out_of_reach")
    if _superuser(actor):
        return None
    wanted = grant_for(role_code, unit)
    role = ROLES[role_code]
    parent_id = unit.department.parent_id
    if not any(
        g.role in role.granted_by
        and "user.manage" in ROLES[g.role].permissions
        and wanted is not None
        and grant_within(wanted, g, parent_id)
        for g in grants(actor)
    ):
        return Forbidden(
            _("您无权在该范围授予“%(role)s”角色。") % {"role": role.label},
            code="grant_out_of_reach",
        )
    return None


def may_grant(actor, member, role_code: str, unit) -> bool:
    """Whether ``actor`` may grant ``role_code`` in ``unit`` to ``member`` (the page's
    choice list asks this; the platform is not a person and is never offered choices)."""
    if is_platform(actor) or role_code not in ROLES or unit is None:
        return False
    return _grant_refusal(actor, member, role_code, unit) is None


def require_grant(actor, member, role_code: str, unit) -> None:
    """The 授权 guard for granting and revoking: refuse what ``may_grant`` refuses, with
    the reason (``self_grant``, ``out_of_reach``, ``grant_out_of_reach``); the platform
    (``actor=None``, e.g. ``yiwang users grant``) passes, as every guard."""
    if role_code not in ROLES:
        raise Invalid({"role": Invalid(_("未知角色：%s") % role_code, code="unknown_role")})
    if getattr(member, "kind", "") != "staff":
        # Roles only take effect for staff accounts: a grant to an API client's system
        # user or a citizen would be silently ignored, so it is refused instead.
        raise Invalid({"role": Invalid(_("只能给工作人员授予角色。"), code="not_staff")})
    if unit is None:
        raise Invalid({"org_unit": Invalid(_("请选择角色所在的组织。"), code="no_unit")})
    if is_platform(actor):
        return
    refusal = _grant_refusal(actor, member, role_code, unit)
    if refusal is not None:
        raise refusal


def grantable_roles(actor, member) -> list[str]:
    """The roles ``actor`` may grant ``member`` in the member's own org unit."""
    return [code for code in ROLES if may_grant(actor, member, code, member.org_unit)]


def holders(roles: Iterable[str], *, division_path: str, department=None) -> list:
    """Active staff holding one of ``roles`` whose reach covers the place (e.g. the
    bureau's administrators to tell of a grant, the supervisors of a case)."""
    from yiwang.core.models import RoleAssignment

    out: dict[int, object] = {}
    dept_id = department.pk if department is not None else None
    parent_id = department.parent_id if department is not None else None
    held = RoleAssignment.objects.filter(role__in=list(roles), user__is_active=True)
    for ra in held.select_related("user__org_unit__division", "org_unit__division"):
        g = grant_for(ra.role, ra.org_unit or ra.user.org_unit)
        if g is not None and grant_covers(g, division_path, dept_id, parent_id):
            out[ra.user_id] = ra.user
    return list(out.values())


# --- relying parties of the platform's sign-in (接入系统管理) ---


def city_path() -> str | None:
    """The path of the city's division (``YIWANG["CITY_DIVISION"]``), None if absent: a
    permission held over it is held over the whole city (a county's holders never are)."""
    from django.conf import settings

    from yiwang.core.models import Division

    code = settings.YIWANG.get("CITY_DIVISION", "410800")
    return Division.objects.filter(code=code).values_list("path", flat=True).first()


def may_manage_relying_parties(user) -> bool:
    """接入系统管理 — registering the systems that sign users in with the platform, their
    addresses, scopes and secrets: ``identity.clients`` held over the whole city (the big
    data bureau's administrators at city level; a county's administrators never)."""
    path = city_path()
    return path is not None and covers(user, "identity.clients", division=path)


def require_manage_relying_parties(actor) -> None:
    """The guard of the 接入系统管理 pages and actions (403 for everyone else)."""
    deny_unless(
        actor,
        may_manage_relying_parties(actor),
        _("只有市大数据局管理员可以管理接入系统。"),
    )


def manageable_relying_parties(user) -> QuerySet:
    """The relying parties (接入系统) ``user`` may see and manage: all of them for the city's
    bureau administrators, none for anyone else."""
    from yiwang.core.models import RelyingParty

    qs = RelyingParty.objects.select_related("application")
    return qs if may_manage_relying_parties(user) else qs.none()
