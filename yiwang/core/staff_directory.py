"""Staff directory (工作人员名录): who works where, scoped by jurisdiction, masked."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.core import access
from yiwang.core.masking import masked
from yiwang.core.models import User

REVEALABLE = ("full_name", "phone")


def visible_staff(user, perm: str = "user.view") -> QuerySet[User]:
    """Staff accounts ``user`` may see (or, with ``user.manage``, change): their division
    subtree × department, or everyone for city-wide roles."""
    qs = (
        User.objects.filter(kind=User.Kind.STAFF)
        .select_related("org_unit__department", "org_unit__division")
        .prefetch_related("role_assignments")
        .order_by("org_unit__division_id", "username")
    )
    return access.scope(
        user, qs, perm, division="org_unit__division", department="org_unit__department"
    )


def staff_row(member: User) -> dict:
    """The masked view of one staff member, for pages and API alike."""
    return {
        "id": member.pk,
        "username": member.username,
        "full_name": masked("full_name", member.full_name),
        "phone": masked("phone", member.phone) if member.phone else "",
        "org_unit": member.org_unit_id,
        "org_unit_name": member.org_unit.name if member.org_unit is not None else "",
        "roles": sorted(ra.role for ra in member.role_assignments.all()),
    }
