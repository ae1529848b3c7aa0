"""Who may see and do what in the licences room (deny by default). Staff see the
licences and seals of their jurisdiction × department (the issuer / the seal's owner);
citizens and enterprises see only the licences they hold (matched by the blind index of
their ID number or credit code); verification is public and shows only masked data."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.core.access import grants, has_perm, scope
from yiwang.core.fields import index_for
from yiwang.core.roles import ROLES


def holder_id_of(user) -> str:
    """The ID number (citizen) or credit code (enterprise) a user holds licences under."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ""
    if user.kind == "citizen":
        return user.id_number or ""
    if user.kind == "enterprise":
        return user.credit_code or ""
    return ""


def holder_index(holder_id: str) -> str:
    from yiwang.licences.models import Licence

    return index_for(Licence, "holder_id", holder_id.strip().upper())


def own_licences(user, qs: QuerySet | None = None) -> QuerySet:
    """证照夹: licences whose holder is the signed-in citizen or enterprise."""
    from yiwang.licences.models import Licence

    qs = qs if qs is not None else Licence.objects.all()
    holder = holder_id_of(user)
    if not holder:
        return qs.none()
    return qs.filter(holder_id_index=holder_index(holder))


def staff_licences(user, qs: QuerySet | None = None, perm: str = "licence.view") -> QuerySet:
    """Licences issued by departments in the staff member's scope for ``perm``."""
    from yiwang.licences.models import Licence

    qs = qs if qs is not None else Licence.objects.all()
    if getattr(user, "kind", "") != "staff" and not getattr(user, "is_superuser", False):
        return qs.none()
    return scope(user, qs, perm, division="issuer__division", department="issuer")


def seals(user, qs: QuerySet | None = None, perm: str = "seal.manage") -> QuerySet:
    """Seals owned by departments in the user's scope for ``perm``."""
    from yiwang.licences.models import Seal

    qs = qs if qs is not None else Seal.objects.all()
    return scope(user, qs, perm, division="owner__division", department="owner")


def covers_department(user, department, perm: str) -> bool:
    """Whether one of the user's grants of ``perm`` reaches ``department`` (its own
    department or one under it, within the grant's division subtree)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    path = department.division.path
    for g in grants(user):
        if perm not in ROLES[g.role].permissions:
            continue
        if g.division_path is None:
            return True
        if path.startswith(g.division_path) and g.department_id in (
            department.pk,
            department.parent_id,
        ):
            return True
    return False


def issuing_departments(user, perm: str = "licence.issue") -> list:
    """Departments the user may issue licences (or manage seals) for."""
    from yiwang.core.models import Department

    if not has_perm(user, perm):
        return []
    return [
        d
        for d in Department.objects.select_related("division").order_by("division_id", "code")
        if covers_department(user, d, perm)
    ]
