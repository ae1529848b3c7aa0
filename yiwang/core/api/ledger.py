"""API: the audit ledger (审计账本) — signed head, sealing status, inclusion proofs, verification,
search. Auditors only (``audit.view``); bearer tokens need the ``audit`` scope."""

from typing import Annotated

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from pydantic import Field

from yiwang.core import access, ledger
from yiwang.core.api.pagination import Pagination
from yiwang.core.audit_query import search_entries, visible_entries
from yiwang.core.identity.tokens import api_scope, require_scope
from yiwang.core.models import AuditEntry
from yiwang.core.schemas.ledger import (
    AuditEntryFilter,
    AuditEntryOut,
    InclusionProofOut,
    LedgerHeadOut,
    LedgerStatusOut,
    LedgerVerifyOut,
)

router = Router()


HeadHex = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]


class VerifyParams(Schema):
    from_block: int = Field(1, ge=1, le=2**31 - 1, description="从该区块起校验")
    anchor: list[HeadHex] = Field(
        default_factory=list, max_length=20, description="此前发布的区块头，须仍在链中"
    )


def _allow(request, perm: str = "audit.view") -> None:
    require_scope(request, "audit")
    access.require(request.user, perm)


@router.get("/head", response=LedgerHeadOut)
@api_scope("audit")
def head(request):
    """最新区块头: the newest signed head, to publish or compare later."""
    _allow(request)
    latest = ledger.latest_head()
    if latest is None:
        raise Http404(_("账本尚无已封存的区块。"))
    return latest


@router.get("/status", response=LedgerStatusOut)
def status(request):
    """封存状态: entries awaiting sealing and the alarm when some wait longer than
    ``alarm_after`` seconds (no worker sealing the ledger); for monitoring."""
    _allow(request)
    seal = ledger.seal_status()
    return {
        "alarm": seal.alarm,
        "unsealed": seal.unsealed,
        "overdue": seal.overdue,
        "overdue_since": seal.overdue_since,
        "alarm_after": seal.alarm_after,
        "last_sealed_at": seal.last_sealed_at,
    }


@router.get("/entries", response=list[AuditEntryOut])
@paginate(Pagination, page_size=50, max_page_size=500)
def entries(request, filters: Query[AuditEntryFilter]):
    """审计查询: search entries, newest first."""
    require_scope(request, "audit")
    return search_entries(request.user, **filters.dict())


@router.get("/entries/{int:entry_id}/proof", response=InclusionProofOut, url_name="ledger-proof")
@api_scope("audit")
def proof(request, entry_id: int):
    """存在性证明 for one entry; 409 while the entry awaits sealing."""
    _allow(request)
    if not visible_entries(request.user).filter(pk=entry_id).exists():
        raise Http404(_("未找到该审计记录。"))
    try:
        data = ledger.inclusion_proof(entry_id)
    except AuditEntry.DoesNotExist:
        raise Http404(_("未找到该审计记录。")) from None
    except ledger.NotSealed:
        raise HttpError(409, _("该记录尚未封存，请稍后再试。")) from None
    except ledger.NotListed:
        raise HttpError(
            409, _("该记录与所属区块不一致，账本可能被篡改，请运行账本校验。")
        ) from None
    return {**data, "verified": bool(ledger.verify_proof(data))}


@router.get("/verify", response=LedgerVerifyOut)
@api_scope("audit")
def verify(request, params: Query[VerifyParams]):
    """账本校验: re-derive every leaf, root, head and signature (from ``from_block`` on,
    trusting the head before it); each ``anchor`` (a head published earlier) must still
    be in the chain."""
    _allow(request, "audit.verify")
    result = ledger.verify_ledger(from_block=params.from_block, anchors=params.anchor)
    return {
        "ok": result.ok,
        "blocks": result.blocks,
        "entries": result.entries,
        "unsealed": result.unsealed,
        "head": result.head,
        "problems": [p.as_dict() for p in result.problems],
    }
