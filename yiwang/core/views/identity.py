"""窗口实名核验 (the window clerk's identity desk, ``/org/identity/``): find a citizen's or
an enterprise's account by 用户名, 身份证号码 or 统一社会信用代码, see it masked with its
实名等级, and record a 窗口核验 or an 账号换绑 after checking the ID card in person.

Searches go by POST (an ID number is never in a URL) and every one is in the ledger
(``core.actions.reads.do_lookup_account``). What the last search found is kept in the
session as account ids only, so the clerk acts on an account they looked up — and on
the one shown in their tab, not one another tab looked up since."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from yiwang.core import access
from yiwang.core.actions.assurance import do_rebind_id_number, do_verify_in_person
from yiwang.core.actions.reads import do_lookup_account
from yiwang.core.errors import refused
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.identity.assurance import window_summary
from yiwang.core.identity.forms import (
    WindowAccountForm,
    WindowLookupForm,
    WindowRebindForm,
    WindowVerifyForm,
)
from yiwang.core.models import Assurance, User

FOUND_KEY = "yiwang_window_found"
TEMPLATE = "core/identity_window.html"


def _found(request: AuthenticatedHttpRequest) -> list[User] | None:
    """The accounts of the clerk's last search still within reach (None: no search yet)."""
    ids = request.session.get(FOUND_KEY)
    if ids is None:
        return None
    accounts = access.verifiable_accounts(request.user).filter(pk__in=ids)
    return list(accounts.order_by("pk"))


def _card(account: User, bound: dict[str, forms.Form] | None = None) -> dict:
    """One found account: its masked summary and the forms a clerk may submit for it."""
    bound = bound or {}
    summary = window_summary(account)
    return {
        "a": summary,
        "verify": bound.get("verify") or WindowVerifyForm(prefix=f"verify-{account.pk}"),
        "rebind": (bound.get("rebind") or WindowRebindForm(prefix=f"rebind-{account.pk}"))
        if summary["can_rebind"]
        else None,
        "needs_window": summary["assurance"] < Assurance.IN_PERSON,
    }


def _page(request, lookup: WindowLookupForm, status: int = 200, acted=None, errors=()):
    """The page: the search form, then each account the last search found; ``acted`` is
    the (account, forms) pair whose submitted form is shown with its errors."""
    found = _found(request)
    cards = [
        _card(a, acted[1] if acted is not None and acted[0].pk == a.pk else None)
        for a in found or []
    ]
    in_error = [lookup, *errors]
    if acted is not None:
        in_error.extend(acted[1].values())
    context = {"lookup": lookup, "searched": found is not None, "cards": cards, "forms": in_error}
    return render(request, TEMPLATE, context, status=status)


def _lookup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """查找账号 (one ledger entry per search), then back to the page (PRG)."""
    form = WindowLookupForm(request.POST)
    form.is_valid()
    try:
        found = do_lookup_account(actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        add_errors(form, exc)
        request.session.pop(FOUND_KEY, None)
        return _page(request, form, status=refused(exc).status)
    request.session[FOUND_KEY] = [a.pk for a in found]
    return redirect("core:identity-window")


def _act(request: AuthenticatedHttpRequest) -> HttpResponse:
    """窗口核验 or 换绑 for one account of the last search; refusals on the form."""
    which = WindowAccountForm(request.POST)
    found = _found(request) or []
    account = next(
        (a for a in found if which.is_valid() and a.pk == which.cleaned_data["account"]), None
    )
    if account is None:
        which.add_error(None, _("该账号不在本次查找结果中，请重新查找后再办理。"))
        return _page(request, WindowLookupForm(), status=409, errors=[which])
    op = which.cleaned_data["op"]
    form: forms.Form
    if op == "rebind":
        form = WindowRebindForm(request.POST, prefix=f"rebind-{account.pk}")
    else:
        form = WindowVerifyForm(request.POST, prefix=f"verify-{account.pk}")
    status = 400
    if form.is_valid():
        try:
            done = _perform(request, op, account, form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
            status = refused(exc).status
        else:
            messages.success(request, done)
            return redirect("core:identity-window")
    return _page(request, WindowLookupForm(), status=status, acted=(account, {op: form}))


def _perform(request: AuthenticatedHttpRequest, op: str, account: User, data: dict) -> str:
    """Run the action; the success message to show."""
    if op == "rebind":
        old = do_rebind_id_number(
            actor=request.user,
            user=account,
            full_name=data["full_name"],
            id_number=data["id_number"],
            reason=data["reason"],
        )
        done = _("已为账号 %(username)s 办理换绑，实名等级为“窗口核验”。") % {
            "username": account.username
        }
        if old is not None:
            done += _("原绑定该身份证号码的账号已解除绑定，并已通知其用户。")
        return done
    do_verify_in_person(actor=request.user, user=account, reason=data["reason"])
    return _("已为账号 %(username)s 办理窗口核验。") % {"username": account.username}


@login_required
@never_cache
@sensitive_post_parameters()
def identity_window(request: AuthenticatedHttpRequest) -> HttpResponse:
    """窗口实名核验: window clerks only (``identity.verify``, through
    ``access.require_identity_verifier``); everyone else gets 403, anonymous users the
    sign-in page. Every POST field is kept out of error reports (ID numbers, names)."""
    access.require_identity_verifier(request.user)
    if request.method == "POST":
        if request.POST.get("op") == "lookup":
            return _lookup(request)
        return _act(request)
    return _page(request, WindowLookupForm())
