"""Reads of core that leave a trace (查看留痕): a window clerk finding a citizen's or an
enterprise's account for 窗口实名核验 and 账号换绑. The page and the API both call this,
so every search is logged once and in the same words — a clerk looking an ID number up
is a privacy event, whether or not an account is found."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import access, audit
from yiwang.core.errors import Invalid
from yiwang.core.fields import index_for
from yiwang.core.identifiers import validate_credit_code, validate_id_number
from yiwang.core.masking import mask_id_number
from yiwang.core.models import User

# What a clerk may search by, in the order the page asks.
LOOKUP_BY = ("username", "id_number", "credit_code")
# Accounts one search may list (several enterprise accounts can share a credit code).
LOOKUP_LIMIT = 20


def _criterion(given: dict[str, str]) -> tuple[str, str]:
    """The one thing searched by and its normalised value; ``Invalid`` unless exactly one
    of 用户名, 身份证号码 and 统一社会信用代码 is given and well formed."""
    filled = {k: (given.get(k) or "").strip() for k in LOOKUP_BY}
    filled = {k: v for k, v in filled.items() if v}
    if len(filled) != 1:
        raise Invalid(
            _("请填写用户名、身份证号码、统一社会信用代码中的一项（只填一项）。"),
            code="one_criterion",
        )
    by, value = filled.popitem()
    check = {"id_number": validate_id_number, "credit_code": validate_credit_code}.get(by)
    if check is not None:
        try:
            value = check(value)
        except ValidationError as exc:
            raise Invalid({by: exc.messages}) from None
    return by, value


def _matching(actor, by: str, value: str) -> list[User]:
    accounts = (
        access.verifiable_accounts(actor)
        if not access.is_platform(actor)
        else User.objects.filter(kind__in=(User.Kind.CITIZEN, User.Kind.ENTERPRISE))
    )
    if by == "id_number":
        found = accounts.filter(
            kind=User.Kind.CITIZEN, id_number_index=index_for(User, "id_number", value)
        )
    elif by == "credit_code":
        found = accounts.filter(kind=User.Kind.ENTERPRISE, credit_code=value)
    else:
        found = accounts.filter(username=value)
    return list(found.order_by("pk")[:LOOKUP_LIMIT])


@transaction.atomic
def do_lookup_account(
    *, actor, username: str = "", id_number: str = "", credit_code: str = ""
) -> list[User]:
    """窗口实名核验 — 查找账号: the citizen or enterprise accounts a window clerk
    (``identity.verify``) finds by exact 用户名, by 身份证号码 (citizens, through the blind
    index) or by 统一社会信用代码 (enterprises); staff and system accounts are never
    found. Every search is one ``core.user.identity_lookup`` entry naming what was
    searched by and what was found; an ID number is kept masked and as a keyed digest
    (``audit.redact``), never in clear."""
    access.require_identity_verifier(actor)
    by, value = _criterion(
        {"username": username, "id_number": id_number, "credit_code": credit_code}
    )
    found = _matching(actor, by, value)
    change: dict[str, object] = {"by": by, by: value, "found": [u.pk for u in found]}
    if by == "id_number":
        change["masked"] = mask_id_number(value)
    audit.record(
        actor=actor,
        action="core.user.identity_lookup",
        obj=found[0] if len(found) == 1 else ("core.user", "-"),
        purpose=_("窗口实名核验查找账号"),
        change=change,
    )
    return found
