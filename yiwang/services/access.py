"""Who may see what in the services room (deny by default): querysets narrowed per user.
Each area adds its own functions here."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.core.access import scope

# --- 办件 (applications) ---


def applications(user, qs: QuerySet | None = None) -> QuerySet:
    """办件 the user may open: staff within their jurisdiction (the handling division ×
    department, as for the case), the window clerk who took it in, the applicant."""
    from yiwang.services.models import Application

    qs = qs if qs is not None else Application.objects.all()
    return scope(user, qs, "case.view", owners=("applicant", "clerk"))


def staff_applications(user, qs: QuerySet | None = None) -> QuerySet:
    """办件 handled within the staff member's jurisdiction (what the staff list shows)."""
    from yiwang.services.models import Application

    qs = qs if qs is not None else Application.objects.all()
    if getattr(user, "kind", "") != "staff" and not getattr(user, "is_superuser", False):
        return qs.none()
    return scope(user, qs, "case.view")


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
