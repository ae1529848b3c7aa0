"""Who may see and do what in the services room (deny by default): querysets narrowed
per user and the rules actions and pages check, each a short declaration over
``core.access`` (``covers``/``restrict``/``require``; ``None`` — the platform — passes
every guard). Each area adds its own functions here."""

from __future__ import annotations

import hmac

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from yiwang.core.access import (
    covers,
    deny_unless,
    department_reach,
    has_perm,
    require,
    role_codes,
    scope,
)

# --- 窗口人员 (window clerks) ---


def is_window_clerk(user) -> bool:
    """Staff holding the 窗口人员 role (一窗受理, window service numbers)."""
    return getattr(user, "kind", "") == "staff" and "window_clerk" in role_codes(user)


def require_window_clerk(actor, message: str | None = None) -> None:
    """一窗受理 and 窗口服务编号 are for window clerks (窗口人员)."""
    deny_unless(actor, is_window_clerk(actor), message or _("一窗受理仅对窗口人员开放。"))


# --- 办件 (applications) ---


def may_apply(user) -> bool:
    """在线申请 is for citizens and enterprises — and for visitors, who are asked to sign in
    first. Staff act for an applicant at the window (一窗受理) instead."""
    if not getattr(user, "is_authenticated", False):
        return True
    return getattr(user, "kind", "") in ("citizen", "enterprise")


def require_applicant(actor) -> None:
    """在线申请 pages: only a citizen or enterprise applies online."""
    deny_unless(
        actor,
        getattr(actor, "kind", "") in ("citizen", "enterprise"),
        _("在线申请仅对群众和企业用户开放；窗口人员请使用一窗受理为申请人代办。"),
    )


def require_case_staff(user, message: str) -> None:
    """办件管理 pages: staff who may see cases (``case.view``)."""
    deny_unless(user, getattr(user, "kind", "") == "staff" and has_perm(user, "case.view"), message)


def applications(user, qs: QuerySet | None = None) -> QuerySet:
    """办件 the user may open: staff within their jurisdiction (the handling division ×
    department, as for the case), the window clerk who took it in, the applicant."""
    from yiwang.services.models import Application

    qs = qs if qs is not None else Application.objects.all()
    return scope(user, qs, "case.view", owners=("applicant", "clerk"))


def may_reveal_application(user, app) -> bool:
    """显示完整个人信息 of one 办件: ``personal.unmask`` over its place (the item's
    department in the application's division), or the window clerk who took it in and
    holds ``personal.unmask``."""
    if covers(user, "personal.unmask", division=app.division, department=app.item.department):
        return True
    return (
        app.clerk_id is not None
        and app.clerk_id == getattr(user, "pk", None)
        and has_perm(user, "personal.unmask")
    )


def staff_applications(user, qs: QuerySet | None = None) -> QuerySet:
    """办件 handled within the staff member's jurisdiction (what the staff list shows)."""
    from yiwang.services.models import Application

    qs = qs if qs is not None else Application.objects.all()
    if getattr(user, "kind", "") != "staff" and not getattr(user, "is_superuser", False):
        return qs.none()
    return scope(user, qs, "case.view")


def staff_split(user) -> tuple[str, list[int] | None]:
    """How ``staff_applications`` may be read department by department (the paginator's
    ``split``): the departments its applications can be in."""
    return "department", department_reach(user, "case.view")


def own_applications(user, qs: QuerySet | None = None) -> QuerySet:
    """A citizen's or enterprise's own 办件 (their account is the applicant)."""
    from yiwang.services.models import Application

    qs = qs if qs is not None else Application.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    return qs.filter(applicant=user)


def bundle_applications(user, qs: QuerySet | None = None) -> QuerySet:
    """一件事办件: the applicant's own; staff see those with a part in their jurisdiction."""
    from yiwang.services.models import BundleApplication

    qs = qs if qs is not None else BundleApplication.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.kind == "staff" or user.is_superuser:
        parts = applications(user).values("bundle_application_id")
        return qs.filter(pk__in=parts)
    return qs.filter(applicant=user)


# --- 政务服务事项 (items) ---


def public_items(qs: QuerySet | None = None) -> QuerySet:
    """事项 anyone may see in the service hall: the published ones."""
    from yiwang.services.models import ServiceItem

    qs = qs if qs is not None else ServiceItem.objects.all()
    return qs.filter(status=ServiceItem.Status.PUBLISHED)


def manageable_items(user, qs: QuerySet | None = None) -> QuerySet:
    """事项 the user keeps (``service.manage``): their department's within their division
    subtree (a city department also its county counterparts); the bureau city-wide."""
    from yiwang.services.models import ServiceItem

    qs = qs if qs is not None else ServiceItem.objects.all()
    return scope(user, qs, "service.manage")


def may_manage(user, department) -> bool:
    """Whether ``user`` keeps ``department``'s items (its 部门管理员, the city department's
    admin for its county counterparts, or the bureau city-wide)."""
    return covers(user, "service.manage", department=department)


def require_manage(actor, department) -> None:
    """编制、修改、发布、撤回事项: ``service.manage`` over the item's department."""
    require(
        actor,
        "service.manage",
        department=department,
        message=_("您不是%s的管理员，不能编制或修改其事项。") % department.name,
    )


def visible_items(user, qs: QuerySet | None = None) -> QuerySet:
    """Published items, plus drafts and withdrawn items for those who manage them."""
    from django.db.models import Q

    from yiwang.core.access import has_perm
    from yiwang.services.models import ServiceItem

    qs = qs if qs is not None else ServiceItem.objects.all()
    if not has_perm(user, "service.manage"):
        return public_items(qs)
    own = manageable_items(user, qs).values("pk")
    return qs.filter(Q(status=ServiceItem.Status.PUBLISHED) | Q(pk__in=own))


# --- 好差评 (ratings) and 差评整改 (rectifications) ---


def ratings(user, qs: QuerySet | None = None) -> QuerySet:
    """评价 the user may see: staff within their jurisdiction (the rated service's
    division × department), a citizen or enterprise their own."""
    from yiwang.services.models import Rating

    qs = qs if qs is not None else Rating.objects.all()
    return scope(user, qs, "case.view", owners=("rater",))


def is_staff(user) -> bool:
    """Staff (or a superuser): who may open 差评整改 and the per-staff statistics."""
    return getattr(user, "kind", "") == "staff" or getattr(user, "is_superuser", False)


def staff_ratings(user, qs: QuerySet | None = None) -> QuerySet:
    """评价 of services within a staff member's jurisdiction (rated staff named)."""
    from yiwang.services.models import Rating

    qs = qs if qs is not None else Rating.objects.all()
    if not is_staff(user):
        return qs.none()
    return scope(user, qs, "case.view")


def rectifications(user, qs: QuerySet | None = None) -> QuerySet:
    """差评 with a rectification case (差评整改) within a staff member's jurisdiction."""
    return staff_ratings(user, qs).filter(rectification__isnull=False)


def may_rate_visit(actor, visit, token: str = "") -> bool:
    """窗口服务评价: the visitor holds the rating code from the ticket or QR code, or the
    rating is taken on the evaluation screen of the clerk who served them. Proof of being
    the visitor, not a permission, so the platform (``None``) has no pass here."""
    token = str(token or "").strip().upper()
    if token and hmac.compare_digest(token.encode(), visit.token.encode()):
        return True
    return getattr(actor, "pk", None) is not None and actor.pk == visit.clerk_id


# --- 政务服务中心: 预约 and 取号 (bookings and the queue) ---


def may_book(user) -> bool:
    """预约 is for citizens and enterprises signed in to their own accounts."""
    return (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "kind", "") in ("citizen", "enterprise")
    )


def require_booker(actor) -> None:
    """Only citizens and enterprises book a visit (staff take numbers at the hall)."""
    deny_unless(actor, may_book(actor), _("网上预约仅对群众和企业用户开放。"))


def may_staff_hall(user, hall) -> bool:
    """Staff of a 政务服务中心 (``service.hall`` over its department in its division):
    they see its day's bookings, take numbers for visitors and call the queue."""
    return getattr(user, "kind", "") == "staff" and covers(
        user, "service.hall", division=hall.division, department=hall.department
    )


def require_hall_staff(actor, hall) -> None:
    """Bookings of the day, 取号 for a visitor and 叫号 are for the hall's staff."""
    deny_unless(actor, may_staff_hall(actor, hall), _("您不是%s的工作人员。") % hall.name)


def staffed_halls(user, qs: QuerySet | None = None) -> QuerySet:
    """The halls whose bookings and queue ``user`` works (``service.hall``)."""
    from yiwang.services.models import ServiceHall

    qs = qs if qs is not None else ServiceHall.objects.all()
    if getattr(user, "kind", "") != "staff":
        return qs.none()
    return scope(user, qs, "service.hall")


def own_booking(user, qs: QuerySet | None = None) -> QuerySet:
    """Bookings of the signed-in account itself (anyone else's answer 404)."""
    from yiwang.services.models import Booking

    qs = qs if qs is not None else Booking.objects.all()
    if not may_book(user):
        return qs.none()
    return qs.filter(citizen=user)


def own_tickets(user, qs: QuerySet | None = None) -> QuerySet:
    """排队号 taken by the signed-in account."""
    from yiwang.services.models import QueueTicket

    qs = qs if qs is not None else QueueTicket.objects.all()
    if not may_book(user):
        return qs.none()
    return qs.filter(citizen=user)


def may_see_ticket(user, ticket) -> bool:
    """A 排队号 is seen by whoever took it and by the hall's staff."""
    if ticket.citizen_id is not None and ticket.citizen_id == getattr(user, "pk", None):
        return True
    return may_staff_hall(user, ticket.hall)
