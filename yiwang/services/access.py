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
