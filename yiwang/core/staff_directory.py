"""Staff directory (工作人员名录): who works where, scoped by jurisdiction, masked."""

from __future__ import annotations

import functools

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from yiwang.core import access
from yiwang.core.masking import masked
from yiwang.core.models import User

REVEALABLE = ("full_name", "phone")
# What one directory row shows, read as plain values (``staff_record``).
ROW_VALUES = (
    "id",
    "username",
    "full_name",
    "phone",
    "org_unit_id",
    "org_unit__name",
    "org_unit__division__path",
    "org_unit__department_id",
    "org_unit__department__parent_id",
    "role_assignments__role",
)


def _scoped(user, qs: QuerySet[User], perm: str) -> QuerySet[User]:
    return access.scope(
        user, qs, perm, division="org_unit__division", department="org_unit__department"
    )


def visible_staff(user, perm: str = "user.view") -> QuerySet[User]:
    """Staff accounts ``user`` may see (or, with ``user.manage``, change): their division
    subtree × department, or everyone for city-wide roles."""
    qs = (
        User.objects.filter(kind=User.Kind.STAFF)
        .select_related("org_unit__department", "org_unit__division")
        .prefetch_related("role_assignments")
        .order_by("org_unit__division_id", "username")
    )
    return _scoped(user, qs, perm)


def staff_row(member: User) -> dict:
    """The masked view of one staff member, for pages and API alike."""
    return _row(
        {
            "id": member.pk,
            "username": member.username,
            "full_name": member.full_name,
            "phone": member.phone,
            "org_unit_id": member.org_unit_id,
            "org_unit__name": member.org_unit.name if member.org_unit is not None else "",
        },
        [ra.role for ra in member.role_assignments.all()],
    )


def _row(values: dict, roles: list[str]) -> dict:
    return {
        "id": values["id"],
        "username": values["username"],
        "full_name": masked("full_name", values["full_name"]),
        "phone": masked("phone", values["phone"]) if values["phone"] else "",
        "org_unit": values["org_unit_id"],
        "org_unit_name": values["org_unit__name"] or "",
        "roles": sorted(roles),
    }


@functools.cache
def _record_query() -> QuerySet:
    """The directory row's query with its columns and joins resolved once per process
    (a queryset is never evaluated itself, only filtered into clones): resolving ten
    lookups through four joins on every call cost more than running the query."""
    return User.objects.filter(kind=User.Kind.STAFF).values_list(*ROW_VALUES).order_by()


def staff_record(user, pk, perm: str = "user.view") -> dict:
    """``staff_row`` of one member ``user`` may see, or the 404 an absent one gives — the
    hot read of the directory API: one query of plain values by primary key (the member
    joined to their unit and roles, a row per role; no model instances, no ordering),
    and the jurisdiction decided on the row's place by ``access.covers_row``, the same
    rule ``visible_staff`` filters by."""
    rows = list(_record_query().filter(pk=pk))
    if not rows or not access.covers_row(user, perm, *rows[0][6:9]):
        raise Http404(_("未找到该记录，或您无权查看。"))
    values = dict(zip(ROW_VALUES[:6], rows[0][:6], strict=True))
    return _row(values, [r[-1] for r in rows if r[-1] is not None])
