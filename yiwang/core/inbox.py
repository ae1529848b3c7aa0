"""待办 (inbox): open cases waiting for a user — within their jurisdiction, in a state
where one of their roles may act, and either unassigned or assigned to them. Soonest
deadline first. Used by the inbox page, the API and the workbench."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from yiwang.core import access
from yiwang.core.access import grant_q
from yiwang.core.models import Case, Workflow
from yiwang.core.paging import COUNT_CAP, Capped, capped_count
from yiwang.core.roles import ROLES
from yiwang.core.workflow import definition_of

# 待办 order: the step's deadline, then the whole case's (none last), then the case id.
INBOX_ORDER = ("state_due_key", "case_due_key")
INBOX_SORTS = {"due": INBOX_ORDER}


_acting: dict[tuple[int, ...], dict[str, dict[str, list[int]]]] = {}
# The assignee is shown by name: their encrypted ID number, phone and TOTP secret are
# not read (nor decrypted) for a list.
ASSIGNEE_DEFERRED = ("assignee__id_number", "assignee__phone", "assignee__totp_secret")


def _states_by_role() -> dict[str, dict[str, list[int]]]:
    """{role: {state: [workflow ids]}}: the open states in which each role may act, over
    every workflow version (running cases keep theirs). Read from the workflow table —
    a few dozen rows — never from the cases; kept while the versions stay the same (a
    version's definition never changes: a new one is a new row)."""
    ids = tuple(Workflow.objects.order_by("pk").values_list("pk", flat=True))
    out = _acting.get(ids)
    if out is not None:
        return out
    out = {}
    for wf in Workflow.objects.all():
        d = definition_of(wf)
        for state in d.states:
            if state in d.finals:
                continue
            for role in d.roles_acting_in(state):
                out.setdefault(role, {}).setdefault(state, []).append(wf.pk)
    _acting.clear()
    _acting[ids] = out
    return out


def _handling_grants(user) -> list:
    return [g for g in access.grants(user) if "case.handle" in ROLES[g.role].permissions]


def acting_q(grants, prefix: str = "") -> Q:
    """Open cases in a state where one of ``grants``' roles may act, within that grant's
    reach: whatever the user may move on, assigned or not. ``prefix`` names the case from
    another row (``"case__"`` from a 工单)."""
    by_role = _states_by_role()
    cond = Q(pk__in=[])
    for g in grants:
        acting = by_role.get(g.role, {})
        if not acting:
            continue
        states = Q(pk__in=[])
        for state, workflow_ids in acting.items():
            states |= Q(**{f"{prefix}state": state, f"{prefix}workflow_id__in": workflow_ids})
        cond |= grant_q(g, prefix) & states
    return cond & Q(**{f"{prefix}closed_at__isnull": True})


def waiting_q(user, prefix: str = "") -> Q:
    """待办 as a condition — the one definition of "waiting for me": open cases one of the
    user's roles may act on now, within that role's reach, unassigned or assigned to
    them. The inbox, the workbench's count and each room's queues (``prefix`` naming the
    case from the room's own row) all read it, so they agree."""
    if not getattr(user, "is_authenticated", False):
        return Q(**{f"{prefix}pk__in": []})
    mine = Q(**{f"{prefix}assignee__isnull": True}) | Q(**{f"{prefix}assignee": user})
    return acting_q(_handling_grants(user), prefix) & mine


def acting_states(user) -> set[str]:
    """The open states (over every workflow) in which one of the user's roles may act:
    the steps a room's queues of 待办 are drawn from."""
    by_role = _states_by_role()
    return {state for g in _handling_grants(user) for state in by_role.get(g.role, {})}


def inbox_for(user) -> QuerySet[Case]:
    """Open cases this user can act on now (``waiting_q``), soonest deadline first (no
    deadline last): in ``INBOX_ORDER``, which the open-case indexes serve, so a page is
    read in order from its cursor (``yiwang.core.paging``) however large the backlog.

    A case waits for whoever may act on it, whether or not they may also browse cases
    (``case.view``): a 12345 话务员 acts on tickets without it."""
    qs = Case.objects.filter(waiting_q(user))
    # Each row's workflow (its definition a large JSON document) is read once per page,
    # not once per row.
    return (
        qs.select_related("division", "department", "assignee")
        .prefetch_related("workflow")
        .defer(*ASSIGNEE_DEFERRED)
        .order_by(*INBOX_ORDER, "id")
    )


def inbox_split(user) -> tuple[str, list[int] | None]:
    """How the inbox may be read department by department (``KeysetPaginator``'s
    ``split``): the departments its cases can be in."""
    return "department", access.department_reach(user, "case.handle")


def inbox_counts(user, cap: int = COUNT_CAP) -> dict[str, Capped]:
    """待办概况: how many cases wait and how many of them are overdue — each counted up to
    ``cap`` (``more`` says the count stopped there: "1000+"), so the figure costs the
    same at any backlog."""
    from django.utils import timezone

    today = timezone.localdate()
    qs = inbox_for(user)
    overdue = qs.filter(Q(state_due_key__lt=today) | Q(case_due_key__lt=today))
    return {"waiting": capped_count(qs, cap), "overdue": capped_count(overdue, cap)}


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
    """Cases the user may open: staff within jurisdiction (case.view) and the open cases
    they may act on, applicants their own."""
    seen = access.scope(user, Case.objects.all(), "case.view", owners=("applicant",))
    # Who may act on a case may open it: a role that handles cases without viewing them
    # (12345 话务员, 值班长) opens the open cases it may move on.
    acting = [g for g in _handling_grants(user) if "case.view" not in ROLES[g.role].permissions]
    if acting:
        seen = seen | Case.objects.filter(acting_q(acting))
    return seen.select_related("workflow", "division", "department", "assignee")


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
        "workflow": case.workflow.display_name,
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


def applicant_summary(case: Case, today=None) -> dict:
    """A case as its applicant sees it (申请人视图): what ``case_summary`` says, less how
    it is handled inside — no 承办人, 督办级别 or calendar estimate."""
    return {
        **case_summary(case, today),
        "assignee": None,
        "escalation_level": 0,
        "calendar_estimated": False,
    }


# Entries of a case's history its applicant reads (besides the workflow's own steps):
# the start, a new deadline (延期) and a move to another department.
APPLICANT_NOTES = frozenset({"start", "deadline", "route"})


def applicant_events(case: Case) -> list[dict]:
    """流转记录 as the applicant reads it (申请人视图): the steps and when, no staff names
    (the handling department acted), and only the opinions the applicant is told — their
    own, and those with which the case was handed back to them or ended — never the
    department's notes (备注), assignments or escalations."""
    d = definition_of(case.workflow)
    told = {a.code for a in d.actions if a.to in d.finals or d.applicants_turn(a.to)}
    out = []
    for e in case.events.all():
        own = e.actor_id is not None and e.actor_id == case.applicant_id
        step = d.action(e.action) is not None
        if not (step or own or e.action in APPLICANT_NOTES):
            continue
        shown = own or e.action in told or (e.action == "deadline")
        out.append(
            {
                "action": e.action,
                "action_name": d.event_label(e.action),
                "from_state": e.from_state,
                "to_state": e.to_state,
                "from_name": d.state_name(e.from_state) if e.from_state else "",
                "to_name": d.state_name(e.to_state) if e.to_state else "",
                "actor": _("申请人") if own else case.department.name,
                "comment": e.shown_comment if shown else "",
                "at": e.at,
            }
        )
    return out


def case_events(case: Case) -> list[dict]:
    """A case's history with action and state names resolved (流转记录), each note in the
    reader's language where the platform wrote it in both (``CaseEvent.shown_comment``);
    what a person typed is shown as typed."""
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
            "comment": e.shown_comment,
            "at": e.at,
        }
        for e in case.events.select_related("actor")
    ]
