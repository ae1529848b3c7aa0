"""What a person may do to a ticket now: the workflow engine's available actions for
them (by role within the ticket's jurisdiction, or as its applicant), named as the page
and API operations that take them, plus 督办 for the duty supervisor while it is open."""

from __future__ import annotations

from yiwang.core.access import has_perm
from yiwang.core.workflow import available_actions
from yiwang.hotline.models import Ticket

# Workflow actions → the operation that takes them.
OPS = {
    "dispatch": "dispatch",
    "redispatch": "dispatch",
    "answer_now": "answer_now",
    "hand_off": "hand_off",
    "merge": "merge",
    "sign": "sign",
    "return": "return",
    "reject_return": "reject_return",
    "reply": "reply",
    "request_extension": "extension",
    "approve_extension": "decide_extension",
    "refuse_extension": "decide_extension",
    "send_back": "send_back",
    "conclude": "conclude",
    "archive": "callback",
    "reopen": "callback",
}
# Steps in which the centre may still press the handling department (督办).
SUPERVISED_STATES = ("registered", "dispatched", "returned", "handling", "extension", "replied")


def operations(user, ticket: Ticket) -> list[str]:
    """The operations ``user`` may take on ``ticket`` now, in the workflow's order."""
    case = ticket.case
    if case is None or case.closed_at is not None:
        return []
    out: list[str] = []
    for action in available_actions(user, case):
        op = OPS.get(action.code)
        if op and op not in out:
            out.append(op)
    if case.state in SUPERVISED_STATES and has_perm(user, "hotline.supervise"):
        out.append("supervise")
    return out
