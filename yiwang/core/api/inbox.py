"""API: 待办 (inbox) — open cases waiting for the caller, case detail, transitions."""

from __future__ import annotations

from ninja import Router
from ninja.pagination import paginate

from yiwang.core import access
from yiwang.core.actions.workflow import do_transition
from yiwang.core.api.pagination import Keyed, KeysetPagination
from yiwang.core.identity.tokens import require_scope
from yiwang.core.inbox import (
    INBOX_ORDER,
    applicant_events,
    applicant_summary,
    case_events,
    case_summary,
    inbox_for,
    inbox_split,
    visible_cases,
)
from yiwang.core.schemas.workflow import CaseDetailOut, CaseOut, TransitionIn
from yiwang.core.workflow import available_actions

router = Router()


def _detail(user, case) -> dict:
    """One case for the caller: staff see how it is handled; its applicant (a citizen or
    enterprise) the applicant's view — no 承办人, no staff notes."""
    own = getattr(user, "kind", "") != "staff"
    return {
        **(applicant_summary(case) if own else case_summary(case)),
        "actions": [
            {"code": a.code, "name": a.label, "comment_required": a.comment_required}
            for a in available_actions(user, case)
        ],
        "events": applicant_events(case) if own else case_events(case),
        "attachments": list(case.attachments.values("id", "name", "size", "content_type", "sm3")),
    }


@router.get("", response=list[CaseOut])
@paginate(KeysetPagination, page_size=50, max_page_size=200)
def list_inbox(request):
    """我的待办: open cases the caller can act on now, soonest deadline first; read on
    with the answer's ``next`` cursor (``count`` stops at 1000: ``count_capped``)."""
    require_scope(request, "read")
    user = request.user
    return Keyed(inbox_for(user), case_summary, fields=INBOX_ORDER, split=inbox_split(user))


@router.get("/{case_id}", response=CaseDetailOut)
def get_case(request, case_id: int):
    """One case with its history, attachments and the actions open to the caller."""
    require_scope(request, "read")
    case = access.pick(visible_cases(request.user), case_id)
    return _detail(request.user, case)


@router.post("/{case_id}/transitions", response=CaseDetailOut)
def transition(request, case_id: int, payload: TransitionIn):
    """流转: take an action; refused with 422 and a clear message when not allowed."""
    require_scope(request, "write")
    case = access.pick(visible_cases(request.user), case_id)
    do_transition(
        actor=request.user, case=case, action_code=payload.action, comment=payload.comment
    )
    return _detail(request.user, case)
