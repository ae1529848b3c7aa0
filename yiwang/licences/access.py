"""Who may see and do what in the licences room (deny by default). Staff see the
licences and seals of their jurisdiction × department (the issuer / the seal's owner),
and issue, change or seal only there (``core.access.covers``; ``None`` — the platform —
passes every guard);
citizens and enterprises see only the licences they hold (matched by the blind index of
their ID number or credit code); verification is public and shows only masked data."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from yiwang.core.access import covers, deny_unless, has_perm, require, restrict
from yiwang.core.fields import index_for
from yiwang.core.identity import assurance


def holder_id_of(user) -> str:
    """The ID number (citizen) or credit code (enterprise) a user holds licences under —
    only once the account is 实名 (``core.identity.assurance``): an account that merely
    typed an ID number sees no licences issued to it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ""
    if not assurance.is_verified(user):
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
    return restrict(qs, user, perm, via="issuer")


def seals(user, qs: QuerySet | None = None, perm: str = "seal.manage") -> QuerySet:
    """Seals owned by departments in the user's scope for ``perm``."""
    from yiwang.licences.models import Seal

    qs = qs if qs is not None else Seal.objects.all()
    return restrict(qs, user, perm, via="owner")


def covers_department(user, department, perm: str) -> bool:
    """Whether one of the user's grants of ``perm`` reaches ``department`` (its own
    department or one under it, within the grant's division subtree)."""
    return covers(user, perm, department=department)


def may_see_holder(user, licence) -> bool:
    """Whether staff see a licence's holder in clear: an organisation always (its name and
    credit code are public); a person only with ``personal.unmask`` over the issuing
    department (the view is logged) — otherwise name and ID number are masked (脱敏)."""
    from yiwang.licences.models import ENTITY_ID_TYPES

    if licence.holder_id_type in ENTITY_ID_TYPES:
        return True
    return covers(user, "personal.unmask", department=licence.issuer)


def require_staff_with(user, perm: str, message: str) -> None:
    """Staff pages and API of the licence room: staff (工作人员) holding ``perm``."""
    deny_unless(user, getattr(user, "kind", "") == "staff" and has_perm(user, perm), message)


def require_issue(actor, issuer) -> None:
    """签发: ``licence.issue`` over the issuing department."""
    require(
        actor,
        "licence.issue",
        department=issuer,
        message=_("您没有以「%(name)s」名义签发证照的权限。") % {"name": issuer.name},
    )


def require_status_change(actor, licence) -> None:
    """暂扣、恢复、撤销、注销、吊销: ``licence.manage`` over the issuing department."""
    require(
        actor,
        "licence.manage",
        department=licence.issuer,
        message=_("您没有变更该证照状态的权限。"),
    )


def require_seal_manage(actor, department) -> None:
    """电子印章: ``seal.manage`` over the seal's owner department."""
    require(
        actor, "seal.manage", department=department, message=_("您没有管理该部门电子印章的权限。")
    )


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
