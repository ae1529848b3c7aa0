"""Access rules, deny by default (访问控制). One mechanism for pages and API alike:
a queryset is narrowed to what the user may see — jurisdiction (division subtree) ×
department × role for staff, their own records for citizens and enterprises."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.core.roles import ROLES


@dataclass(frozen=True)
class Grant:
    """One role held in one org unit: what it allows and where."""

    role: str
    division_path: str | None  # None = city-wide
    department_id: int | None  # None = every department


def grants(user) -> list[Grant]:
    """The user's role grants, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_yiwang_grants", None)
    if cached is not None:
        return cached
    out: list[Grant] = []
    if user.kind == "staff":
        for ra in user.role_assignments.select_related("org_unit__division"):
            role = ROLES.get(ra.role)
            if role is None:
                continue
            unit = ra.org_unit or user.org_unit
            if role.city_wide:
                out.append(Grant(ra.role, None, None))
            elif unit is not None:
                out.append(Grant(ra.role, unit.division.path, unit.department_id))
    user._yiwang_grants = out
    return out


def has_perm(user, perm: str) -> bool:
    """True when any of the user's roles grants ``perm`` (anywhere)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return any(perm in ROLES[g.role].permissions for g in grants(user))


def require(user, perm: str) -> None:
    """Raise PermissionDenied (→ 403 with a localised message) unless ``has_perm``."""
    if not has_perm(user, perm):
        raise PermissionDenied(_("您没有执行此操作的权限。"))


def role_codes(user) -> set[str]:
    return {g.role for g in grants(user)}


def scope(
    user,
    qs: QuerySet,
    perm: str,
    *,
    division: str | None = "division",
    department: str | None = "department",
    owners: Iterable[str] = (),
) -> QuerySet:
    """Narrow ``qs`` to the rows ``user`` may see for ``perm``; nothing when unsure.

    ``division``/``department`` name the lookups to the row's division and department
    (None when the model has no such link); ``owners`` name user foreign keys that make a
    row the user's own (e.g. ``applicant``) — how citizens and enterprises see theirs.
    """
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
        part = Q()
        if division:
            part &= Q(**{f"{division}__path__startswith": g.division_path})
        if department:
            part &= Q(**{f"{department}_id": g.department_id}) | Q(
                **{f"{department}__parent_id": g.department_id}
            )
        if not division and not department:
            continue
        cond |= part
    return qs.filter(cond)


def departments_in_scope(user, perm: str) -> QuerySet:
    """Departments (and their sub-departments) where ``user`` holds ``perm``: e.g. whose
    catalogue or service items the user keeps."""
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
        cond |= Q(division__path__startswith=g.division_path) & (
            Q(pk=g.department_id) | Q(parent_id=g.department_id)
        )
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
    """One row from an already-scoped queryset, or the same 404 an absent row gives."""
    from django.http import Http404

    obj = scoped_qs.filter(pk=pk).first()
    if obj is None:
        raise Http404(_("未找到该记录，或您无权查看。"))
    return obj
