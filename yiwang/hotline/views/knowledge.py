"""知识库 pages: agents and departments search the agreed answers (答复口径) and cite one
when they answer a caller at once (即接即办); an htmx partial shows results beside the
intake form; departments keep their own entries (list, create/edit, withdraw)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from yiwang.core.access import departments_in_scope, has_perm, require
from yiwang.core.models import Department
from yiwang.hotline import access
from yiwang.hotline.actions.knowledge import (
    do_cite_entry,
    do_save_entry,
    do_withdraw_entry,
)
from yiwang.hotline.knowledge import MAX_QUERY, fold, search
from yiwang.hotline.models import Category, KnowledgeEntry

State = KnowledgeEntry.State
RESULTS = 10


def _query(request: HttpRequest) -> str:
    return " ".join((request.GET.get("q") or "").replace("\x00", "").split())[:MAX_QUERY]


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
    """htmx partial: result fragments for the agent console (``?q=``, optional
    ``ticket=`` number to cite for)."""
    access.require_search(request.user)
    q = _query(request)
    return render(
        request,
        "hotline/knowledge/_results.html",
        {
            "q": q,
            "results": search(request.user, q, limit=RESULTS) if q else [],
            "compact": True,
            "ticket_number": (request.GET.get("ticket") or "").replace("\x00", "")[:40],
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


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    return target if _safe(request, target) else fallback


@login_required
@require_POST
def knowledge_cite(request: HttpRequest, pk: int) -> HttpResponse:
    """引用: count the entry as used for a caller (optionally naming the ticket)."""
    access.require_search(request.user)
    entry = KnowledgeEntry.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404(_("未找到该知识条目。"))
    number = (request.POST.get("ticket") or "").replace("\x00", "").strip()[:40]
    ticket = access.tickets(request.user).filter(number=number).first() if number else None
    try:
        entry = do_cite_entry(actor=request.user, entry=entry, ticket=ticket)
        note, ok = _("已引用（累计 %s 次）") % entry.hits, True
    except ValidationError as exc:
        note, ok = "；".join(exc.messages), False
    if request.headers.get("HX-Request"):
        return render(
            request, "hotline/knowledge/_cited.html", {"entry": entry, "note": note, "ok": ok}
        )
    (messages.success if ok else messages.error)(request, note)
    return redirect(_safe_next(request, reverse("hotline:knowledge")))


# --- departments keep their entries ---


class EntryForm(forms.Form):
    department = forms.ModelChoiceField(label=_l("维护部门"), queryset=Department.objects.none())
    category = forms.ModelChoiceField(
        label=_l("诉求分类"), queryset=Category.objects.none(), required=False
    )
    question = forms.CharField(label=_l("问题"), max_length=200)
    answer = forms.CharField(
        label=_l("答复口径"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8})
    )
    keywords = forms.CharField(
        label=_l("关键词"),
        max_length=200,
        required=False,
        help_text=_l("市民常用的说法，空格分隔，如：公积金 提取 取钱"),
    )
    legal_basis = forms.CharField(label=_l("依据"), max_length=300, required=False)
    valid_until = forms.DateField(
        label=_l("有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_l("政策到期后不再检索到；留空为长期有效。"),
    )
    state = forms.ChoiceField(
        label=_l("状态"),
        choices=[(State.PUBLISHED, _l("发布")), (State.DRAFT, _l("草稿"))],
        initial=State.PUBLISHED,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments_in_scope(
            user, "knowledge.manage"
        ).order_by("division_id", "code")
        self.fields["category"].queryset = Category.objects.filter(
            active=True, parent__isnull=False
        ).order_by("code")


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


def _form_errors(form: EntryForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _entry_or_404(pk: int) -> KnowledgeEntry:
    entry = KnowledgeEntry.objects.select_related("department").filter(pk=pk).first()
    if entry is None:
        raise Http404(_("未找到该知识条目。"))
    return entry


@login_required
def entry_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """编写/修改知识条目 (only of the departments the user keeps: others get 403)."""
    require(request.user, "knowledge.manage")
    entry = None
    if pk is not None:
        entry = _entry_or_404(pk)
        if not access.may_manage_knowledge(request.user, entry.department):
            raise PermissionDenied(
                _("您不是%s的知识库维护人员，不能修改其知识条目。") % entry.department.name
            )
    if request.method == "POST":
        form = EntryForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                saved = do_save_entry(actor=request.user, entry=entry, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
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
    return render(request, "hotline/knowledge/form.html", {"form": form, "entry": entry})


@login_required
@require_POST
def entry_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """停用知识条目 (only of the departments the user keeps)."""
    require(request.user, "knowledge.manage")
    entry = _entry_or_404(pk)
    try:
        do_withdraw_entry(
            actor=request.user, entry=entry, reason=(request.POST.get("reason") or "")[:500]
        )
        messages.success(request, _("知识条目已停用：%s") % entry.question)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
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
