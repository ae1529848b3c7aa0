"""API: 窗口实名核验 for window clerks (``identity.verify``): find a citizen's or an
enterprise's account (every search in the ledger), record a 窗口核验, re-bind an ID number
(账号换绑). Bearer tokens need the ``identity`` scope. Searches are POSTs so an ID number
never goes into a URL or an access log."""

from __future__ import annotations

from ninja import Router

from yiwang.core import access
from yiwang.core.actions.assurance import do_rebind_id_number, do_verify_in_person
from yiwang.core.actions.reads import do_lookup_account
from yiwang.core.identity.assurance import window_summary
from yiwang.core.identity.tokens import api_scope, require_scope
from yiwang.core.schemas.identity import (
    WindowAccountOut,
    WindowLookupIn,
    WindowLookupOut,
    WindowRebindIn,
    WindowRebindOut,
    WindowVerifyIn,
)

router = Router()


def _allow(request) -> None:
    """The ``identity`` scope for bearer calls, then window clerks only (403)."""
    require_scope(request, "identity")
    access.require_identity_verifier(request.user)


def _account(request, account_id: int):
    """A citizen or enterprise account; staff, system and unknown ids answer 404 alike."""
    return access.pick(access.verifiable_accounts(request.user), account_id)


@router.post("/lookup", response=WindowLookupOut, summary="查找账号")
@api_scope("identity")
def lookup(request, payload: WindowLookupIn):
    """查找账号 by exactly one of ``username``, ``id_number`` (citizens) or
    ``credit_code`` (enterprises): the accounts found, masked (an empty list when none;
    staff accounts are never found). The search is in the ledger either way."""
    _allow(request)
    found = do_lookup_account(actor=request.user, **payload.dict())
    return {"accounts": [window_summary(a) for a in found]}


@router.post(
    "/accounts/{int:account_id}/verify-in-person", response=WindowAccountOut, summary="窗口核验"
)
@api_scope("identity")
def verify_in_person(request, account_id: int, payload: WindowVerifyIn):
    """窗口核验: the clerk checked the ID card (an enterprise: licence and the legal
    representative's ID card); the account becomes 窗口核验. 403 ``self_verify`` on the
    clerk's own person, 409 ``registry_mismatch`` when the registry disagrees, 422 without
    a reason."""
    _allow(request)
    account = _account(request, account_id)
    do_verify_in_person(actor=request.user, user=account, reason=payload.reason)
    return window_summary(account)


@router.post("/accounts/{int:account_id}/rebind", response=WindowRebindOut, summary="账号换绑")
@api_scope("identity")
def rebind(request, account_id: int, payload: WindowRebindIn):
    """账号换绑 (citizen accounts): bind the ID number to this account after checking the
    card; name and number must match 人口库. An account that held the number loses it and
    its 实名等级 and is told (``unbound``). 409 ``not_citizen`` for an enterprise."""
    _allow(request)
    account = _account(request, account_id)
    old = do_rebind_id_number(
        actor=request.user,
        user=account,
        full_name=payload.full_name,
        id_number=payload.id_number,
        reason=payload.reason,
    )
    return {"account": window_summary(account), "unbound": old is not None}
