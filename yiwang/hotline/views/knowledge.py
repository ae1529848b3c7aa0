"""知识库 pages: agents and departments search the agreed answers (答复口径) and cite one
when they answer a caller at once (即接即办); an htmx partial shows results beside the
intake form; departments keep their own entries (list, create/edit, withdraw)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from yiwang.core.access import departments_in_scope, has_perm, require
from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.hotline import access
from yiwang.hotline.actions.knowledge import (
    do_cite_entry,
    do_save_entry,
    do_withdraw_entry,
)
from yiwang.hotline.forms import CiteForm, EntryForm, WithdrawForm
from yiwang.hotline.knowledge import MAX_QUERY, fold, search
from yiwang.hotline.models import KnowledgeEntry

State = KnowledgeEntry.State
RESULTS = 10


MESSAGE_MAX = 1000  # what the console sends of a message being typed


def _query(request: HttpRequest, limit: int = MAX_QUERY) -> str:
    return " ".join((request.GET.get("q") or "").replace("\x00", "").split())[:limit]


def _matter(request: HttpRequest, number: str):
    """The 诉求分类 the suggestions are for: the ``category`` code given (the console's
    choice), else that of the ticket named (when the user may see it: its category or
    the classifier's), else None (the words decide)."""
    code = (request.GET.get("category") or "").replace("\x00", "").strip()[:16]
    if code:
        return code
    if number:
        row = (
            access.tickets(request.user)
            .filter(number=number)
            .values_list("category_id", "predicted_category_id")
            .first()
        )
        if row:
            from yiwang.hotline.models import Category

            return Category.objects.filter(pk=row[0] or row[1]).first()
    return None


@login_required
def knowledge_home(request: HttpRequest) -> HttpResponse:
    """知识库检索: a search box and the best entries with their answers and a cite button."""
    access.require_search(request.user)
    q = _query(request)
    return render(
        request,
        "hotline/knowledge/search.html",
        {
            "q": q,
            "results": search(request.user, q, limit=RESULTS * 2) if q else [],
            "can_manage": has_perm(request.user, "knowledge.manage"),
        },
    )


@login_required
def knowledge_results(request: HttpRequest) -> HttpResponse:
    """htmx partial: result fragments for the agent console (``?q=`` the message being
    typed, optional ``category=`` code chosen and ``ticket=`` number to cite for): the
    answers of the message's matter first (``knowledge.search``)."""
    access.require_search(request.user)
    q = _query(request, MESSAGE_MAX)
    number = (request.GET.get("ticket") or "").replace("\x00", "")[:40]
    results = search(request.user, q, limit=RESULTS, category=_matter(request, number)) if q else []
    return render(
        request,
        "hotline/knowledge/_results.html",
        {
            "q": q,
            "results": results,
            "compact": True,
            "ticket_number": number,
            "next_url": _referer(request),
        },
    )


def _safe(request: HttpRequest, target: str) -> bool:
    return bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _referer(request: HttpRequest) -> str:
    """The page the partial is shown in (the console), where a plain cite returns to."""
    target = request.headers.get("Referer") or ""
    return target if _safe(request, target) else reverse("hotline:knowledge")


def _safe_next(request: HttpRequest, target: str, fallback: str) -> str:
    return target if _safe(request, target) else fallback


@login_required
@require_POST
def knowledge_cite(request: HttpRequest, pk: int) -> HttpResponse:
    """引用: count the entry as used for a caller (optionally naming the ticket). From
    the console (htmx) the button is answered in place, a refusal too; otherwise the
    page it came from shows the count."""
    access.require_search(request.user)
    entry = KnowledgeEntry.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404(_("未找到该知识条目。"))
    form = CiteForm(request.POST)
    form.is_valid()
    number = form.cleaned_data.get("ticket", "")
    ticket = access.tickets(request.user).filter(number=number).first() if number else None
    if request.headers.get("HX-Request"):
        try:
            entry = do_cite_entry(actor=request.user, entry=entry, ticket=ticket)
        except ValidationError as exc:
            note, ok = "；".join(exc.messages), False
        else:
            note, ok = _cited(entry.hits), True
        return render(
            request, "hotline/knowledge/_cited.html", {"entry": entry, "note": note, "ok": ok}
        )
    entry = do_cite_entry(actor=request.user, entry=entry, ticket=ticket)
    messages.success(request, _cited(entry.hits))
    target = form.cleaned_data.get("next", "")
    return redirect(_safe_next(request, target, reverse("hotline:knowledge")))


# --- departments keep their entries ---


def _manageable(user):
    return KnowledgeEntry.objects.filter(
        department__in=departments_in_scope(user, "knowledge.manage")
    )


@login_required
def manage_list(request: HttpRequest) -> HttpResponse:
    """本部门知识条目: every state, latest first, with a filter by words and state."""
    require(request.user, "knowledge.manage")
    qs = _manageable(request.user).select_related("department", "category")
    q = _query(request)
    if q:
        qs = qs.filter(search_text__icontains=fold(q))
    state = request.GET.get("state", "")
    if state in State.values:
        qs = qs.filter(state=state)
    page = Paginator(qs.order_by("-updated_at", "-id"), 20).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "hotline/knowledge/manage.html",
        {
            "page": page,
            "q": q,
            "state": state,
            "states": State.choices,
            "query": params.urlencode(),
        },
    )


def _entry_or_404(pk: int) -> KnowledgeEntry:
    entry = KnowledgeEntry.objects.select_related("department").filter(pk=pk).first()
    if entry is None:
        raise Http404(_("未找到该知识条目。"))
    return entry


@login_required
def entry_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """编写/修改知识条目 (only of the departments the user keeps). Another department's
    published entry (public wording) is refused with 403; its drafts answer 404, as if
    absent, so their existence is not revealed."""
    require(request.user, "knowledge.manage")
    entry = None
    if pk is not None:
        entry = _entry_or_404(pk)
        if not access.may_manage_knowledge(request.user, entry.department):
            if entry.state != State.PUBLISHED:
                raise Http404(_("未找到该知识条目。"))
            raise PermissionDenied(
                _("您不是%s的知识库维护人员，不能修改其知识条目。") % entry.department.name
            )
    status = 200
    if request.method == "POST":
        form = EntryForm(request.POST, user=request.user)
        status = 400
        if form.is_valid():
            try:
                saved = do_save_entry(actor=request.user, entry=entry, **form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
                status = status_of(exc)
            else:
                messages.success(request, _("知识条目已保存：%s") % saved.question)
                return redirect("hotline:knowledge-manage")
    elif entry is not None:
        form = EntryForm(
            user=request.user,
            initial={
                "department": entry.department_id,
                "category": entry.category_id,
                "question": entry.question,
                "answer": entry.answer,
                "keywords": entry.keywords,
                "legal_basis": entry.legal_basis,
                "valid_until": entry.valid_until,
                "state": entry.state if entry.state != State.WITHDRAWN else State.DRAFT,
            },
        )
    else:
        mine = departments_in_scope(request.user, "knowledge.manage")
        own = getattr(request.user, "department", None)
        initial = own.pk if own is not None and mine.filter(pk=own.pk).exists() else None
        form = EntryForm(user=request.user, initial={"department": initial})
    return render(
        request, "hotline/knowledge/form.html", {"form": form, "entry": entry}, status=status
    )


@login_required
@require_POST
def entry_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """停用知识条目 (only of the departments the user keeps); a refusal (already
    withdrawn) is answered by its kind."""
    require(request.user, "knowledge.manage")
    entry = _entry_or_404(pk)
    form = WithdrawForm(request.POST)
    form.is_valid()
    do_withdraw_entry(actor=request.user, entry=entry, reason=form.cleaned_data.get("reason", ""))
    messages.success(request, _("知识条目已停用：%s") % entry.question)
    return redirect("hotline:knowledge-manage")


urlpatterns = [
    path("knowledge/", knowledge_home, name="knowledge"),
    path("knowledge/search/", knowledge_results, name="knowledge-search"),
    path("knowledge/<int:pk>/cite/", knowledge_cite, name="knowledge-cite"),
    path("knowledge/manage/", manage_list, name="knowledge-manage"),
    path("knowledge/manage/new/", entry_form, name="knowledge-new"),
    path("knowledge/manage/<int:pk>/", entry_form, name="knowledge-edit"),
    path("knowledge/manage/<int:pk>/withdraw/", entry_withdraw, name="knowledge-withdraw"),
]


def _cited(hits: int) -> str:
    """已引用（累计 n 次）, in the reader's language and number."""
    return ngettext("已引用（累计 %s 次）", "已引用（累计 %s 次）", hits) % hits
