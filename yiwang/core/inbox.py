"""待办 (inbox): open cases waiting for a user — within their jurisdiction, in a state
where one of their roles may act, and either unassigned or assigned to them. Soonest
deadline first. Used by the inbox page, the API and the workbench."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from yiwang.core import access
from yiwang.core.access import grant_q
from yiwang.core.models import Case, Workflow
from yiwang.core.roles import ROLES
from yiwang.core.workflow import definition_of


def _states_by_role(workflow_ids) -> dict[str, list[tuple[int, str]]]:
    """{role: [(workflow id, state)]} for the states in which each role may act."""
    out: dict[str, list[tuple[int, str]]] = {}
    for wf in Workflow.objects.filter(pk__in=workflow_ids):
        d = definition_of(wf)
        for state in d.states:
            if state in d.finals:
                continue
            for role in d.roles_acting_in(state):
                out.setdefault(role, []).append((wf.pk, state))
    return out


def inbox_for(user) -> QuerySet[Case]:
    """Open cases this user can act on now, soonest deadline first (no deadline last)."""
    base = access.scope(user, Case.objects.filter(closed_at__isnull=True), "case.view")
    if not getattr(user, "is_authenticated", False):
        return base
    workflow_ids = base.values_list("workflow_id", flat=True).distinct()
    by_role = _states_by_role(list(workflow_ids))
    cond = Q(pk__in=[])
    for g in access.grants(user):
        if "case.handle" not in ROLES[g.role].permissions:
            continue
        pairs = by_role.get(g.role, [])
        if not pairs:
            continue
        states = Q(pk__in=[])
        for wf_id, state in pairs:
            states |= Q(workflow_id=wf_id, state=state)
        cond |= grant_q(g) & states
    qs = base.filter(cond).filter(Q(assignee__isnull=True) | Q(assignee=user))
    return qs.select_related("workflow", "division", "department", "assignee").order_by(
        F("state_due").asc(nulls_last=True), F("case_due").asc(nulls_last=True), "id"
    )


def my_applications(user) -> QuerySet[Case]:
    """Cases a citizen or enterprise applied for (open first, newest first)."""
    if not getattr(user, "is_authenticated", False):
        return Case.objects.none()
    return (
        Case.objects.filter(applicant=user)
        .select_related("workflow", "division", "department", "assignee")
        .order_by(F("closed_at").desc(nulls_first=True), "-id")
    )


def visible_cases(user) -> QuerySet[Case]:
    """Cases the user may open: staff within jurisdiction (case.view), applicants their own."""
    return access.scope(
        user, Case.objects.all(), "case.view", owners=("applicant",)
    ).select_related("workflow", "division", "department", "assignee")


def case_summary(case: Case, today=None) -> dict:
    """A case as lists show it: names resolved, overdue computed."""
    from django.utils import timezone

    today = today or timezone.localdate()
    d = definition_of(case.workflow)
    dues = [x for x in (case.state_due, case.case_due) if x is not None]
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "workflow": case.workflow.name,
        "state": case.state,
        "state_name": d.state_name(case.state),
        "division": case.division.name,
        "department": case.department.name,
        "assignee": str(case.assignee) if case.assignee_id else None,
        "opened_at": case.opened_at,
        "state_due": case.state_due,
        "case_due": case.case_due,
        "closed_at": case.closed_at,
        "overdue": case.closed_at is None and any(x < today for x in dues),
        "calendar_estimated": case.calendar_estimated,
        "escalation_level": case.escalation_level,
    }


def case_events(case: Case) -> list[dict]:
    """A case's history with action and state names resolved (流转记录)."""
    d = definition_of(case.workflow)
    return [
        {
            "action": e.action,
            "action_name": d.event_label(e.action),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "from_name": d.state_name(e.from_state) if e.from_state else "",
            "to_name": d.state_name(e.to_state) if e.to_state else "",
            "actor": str(e.actor) if e.actor_id else None,
            "comment": e.comment,
            "at": e.at,
        }
        for e in case.events.select_related("actor")
    ]
