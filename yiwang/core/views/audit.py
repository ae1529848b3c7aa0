"""Audit search pages for auditors (审计查询): filter entries, open an entry's sealed
block and inclusion proof."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from yiwang.core import access, ledger
from yiwang.core.audit_query import search_entries, visible_entries

PAGE_SIZE = 50


class AuditSearchForm(forms.Form):
    """Filters of the search page; all optional."""

    actor = forms.CharField(label=_("操作人用户名"), max_length=150, required=False)
    action = forms.CharField(label=_("操作代码"), max_length=64, required=False)
    object_type = forms.CharField(label=_("对象类型"), max_length=64, required=False)
    object_id = forms.CharField(label=_("对象标识"), max_length=64, required=False)
    purpose = forms.CharField(label=_("事由包含"), max_length=200, required=False)
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
def audit_search(request: HttpRequest) -> HttpResponse:
    """Search the ledger; 403 for anyone without ``audit.view``. Above the results, the
    alarm when entries wait unsealed too long (封存告警, ``ledger.seal_status``)."""
    access.require(request.user, "audit.view")
    form = AuditSearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = search_entries(request.user, **filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit_search.html",
        {"form": form, "page": page, "query": query.urlencode(), "seal": ledger.seal_status()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
def audit_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    """One entry with its sealed block and inclusion proof, checked on the server."""
    access.require(request.user, "audit.view")
    entry = visible_entries(request.user).select_related("block").filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    proof = check = None
    if entry.block is not None:
        try:
            proof = ledger.inclusion_proof(entry.pk)
            check = ledger.verify_proof(proof)
        except ledger.NotListed:
            proof = {"block_number": entry.block.number}
            check = ledger.ProofCheck(False, str(_("所属区块的记录清单中没有该记录")))
    return render(
        request,
        "core/audit_entry.html",
        {
            "entry": entry,
            "change": json.dumps(entry.change, ensure_ascii=False, indent=1, sort_keys=True),
            "proof": proof,
            "check": check,
        },
    )
