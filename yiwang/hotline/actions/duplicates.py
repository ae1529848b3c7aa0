"""相似工单 and 合并工单: link a ticket to the tickets alike in words, place and time
(both ways, once), and fold a duplicate into the ticket that carries the matter — its
case ends in the final state “已合并” so the department handles the matter once."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.hotline import access
from yiwang.hotline.models import Ticket, TicketLink
from yiwang.hotline.similarity import similar_tickets, text_similarity, words

# Case states after which a ticket can no longer be merged or merged into.
CLOSED_STATES = frozenset({"concluded", "archived", "handed_off", "merged"})


def _link(ticket: Ticket, other: Ticket, score: float, merged: bool = False) -> tuple:
    """One TicketLink row ``ticket → other`` (created or refreshed); (link, created)."""
    link, created = TicketLink.objects.get_or_create(
        ticket=ticket, other=other, defaults={"score": score, "merged": merged}
    )
    changed = []
    if not created and abs(link.score - score) > 1e-6 and not link.merged:
        link.score = score
        changed.append("score")
    if merged and not link.merged:
        link.merged = True
        changed.append("merged")
    if changed:
        link.save(update_fields=changed)
    return link, created


@transaction.atomic
def do_link_similar(
    *, actor, ticket: Ticket, limit: int = 5, threshold: float = 0.5
) -> list[TicketLink]:
    """关联相似工单: link ``ticket`` both ways to the tickets scoring at least
    ``threshold``; running it again adds nothing twice. Returns the links from
    ``ticket``'s side, best first."""
    access.require_perm(actor, "hotline.view", _("您没有关联相似工单的权限。"))
    found = [(t, s) for t, s in similar_tickets(ticket, limit=limit) if s >= threshold]
    if not found:
        return []
    others = [o.pk for o, _s in found]
    known = set(
        TicketLink.objects.filter(ticket=ticket, other_id__in=others).values_list(
            "other_id", flat=True
        )
    )
    # New pairs both ways in one statement; pairs already linked keep their rows.
    TicketLink.objects.bulk_create(
        [
            TicketLink(ticket_id=a, other_id=b, score=score)
            for other, score in found
            if other.pk not in known
            for a, b in ((ticket.pk, other.pk), (other.pk, ticket.pk))
        ],
        ignore_conflicts=True,
    )
    for other, score in found:
        if other.pk in known:
            _link(ticket, other, score)
            _link(other, ticket, score)
    links = list(
        TicketLink.objects.filter(ticket=ticket, other_id__in=others)
        .select_related("other")
        .order_by("-score", "other_id")
    )
    new = [o.number for o, _s in found if o.pk not in known]
    if new:
        audit.record(
            actor=actor,
            action="hotline.ticket.link",
            obj=ticket,
            change={"number": ticket.number, "linked": new, "threshold": threshold},
        )
    return links


def _closed(ticket: Ticket) -> bool:
    if ticket.case_id is not None:
        return ticket.flow.state in CLOSED_STATES or ticket.flow.closed_at is not None
    return ticket.concluded_at is not None


@transaction.atomic
def do_merge_ticket(*, actor, ticket: Ticket, into: Ticket, comment: str) -> Ticket:
    """合并工单: ``ticket`` is a duplicate of ``into``; it points there, the pair is
    marked merged and its case ends as “已合并”. Refused for the ticket itself, a merged
    target, or when either ticket is already concluded or archived."""
    access.require_perm(actor, "hotline.intake", _("只有 12345 话务员和值班长可以合并工单。"))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("合并工单须填写意见。")}, code="comment_required")
    if ticket.pk == into.pk:
        raise ValidationError(_("不能把工单合并到它自己。"), code="merge_self")
    first, second = sorted([ticket.pk, into.pk])
    locked = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("case")
        .in_bulk([first, second])
    )
    ticket, into = locked[ticket.pk], locked[into.pk]
    if ticket.merged_into is not None:
        raise ValidationError(
            _("工单 %(n)s 已合并到 %(m)s。") % {"n": ticket.number, "m": ticket.merged_into.number},
            code="already_merged",
        )
    if into.merged_into is not None:
        raise ValidationError(
            _("目标工单 %(n)s 本身已合并到 %(m)s，请合并到 %(m)s。")
            % {"n": into.number, "m": into.merged_into.number},
            code="target_merged",
        )
    for t in (ticket, into):
        if _closed(t):
            raise ValidationError(
                _("工单 %s 已办结或归档，不能合并。") % t.number, code="ticket_closed"
            )
    ticket.merged_into = into
    ticket.save(update_fields=["merged_into"])
    existing = TicketLink.objects.filter(ticket=ticket, other=into).first()
    score = (
        existing.score
        if existing
        else text_similarity(
            words(f"{ticket.title} {ticket.content}"), words(f"{into.title} {into.content}")
        )
    )
    _link(ticket, into, score, merged=True)
    _link(into, ticket, score, merged=True)
    if ticket.case_id is not None:
        from yiwang.core.actions.workflow import do_transition

        do_transition(actor=actor, case=ticket.flow, action_code="merge", comment=comment)
    audit.record(
        actor=actor,
        action="hotline.ticket.merge",
        obj=ticket,
        change={"number": ticket.number, "into": into.number, "comment": comment[:500]},
    )
    return ticket
