"""Who may see and do what in the hotline room (deny by default)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from yiwang.core.access import has_perm, scope


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
