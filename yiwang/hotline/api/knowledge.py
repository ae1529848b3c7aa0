"""12345 知识库 API (mounted under /api/v1/hotline/): search the agreed answers (答复口径,
simplified or traditional, part of a word matches), read one, cite one; departments
create and update their own entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from yiwang.core.access import require
from yiwang.core.identity.tokens import require_scope
from yiwang.core.models import Department
from yiwang.hotline import access
from yiwang.hotline.actions.knowledge import do_cite_entry, do_save_entry
from yiwang.hotline.knowledge import live_entries, search
from yiwang.hotline.models import Category, KnowledgeEntry

router = Router(tags=["12345 知识库"])


class ErrorBody(Schema):
    code: str
    message: str
    details: list[dict]


class ErrorOut(Schema):
    error: ErrorBody


class EntryIn(Schema):
    department: str = Field(..., max_length=32, description="维护部门编码")
    question: str = Field(..., max_length=200)
    answer: str = Field(..., max_length=5000, description="答复口径")
    keywords: str = Field("", max_length=200)
    legal_basis: str = Field("", max_length=300)
    category: str | None = Field(None, max_length=16, description="诉求分类编码")
    valid_until: dt.date | None = Field(None, description="有效期至（含当日）")
    state: str = Field("published", max_length=10, description="published / draft / withdrawn")


class CiteIn(Schema):
    ticket: str = Field("", max_length=40, description="工单编号（可选）")


class EntryOut(Schema):
    id: int
    department: str
    department_name: str
    category: str | None
    category_name: str
    question: str
    answer: str
    keywords: str
    legal_basis: str
    state: str
    valid_until: dt.date | None
    hits: int
    updated_at: dt.datetime


class SearchFilter(Schema):
    q: str = Field(
        "", max_length=1000, description="市民问题、诉求内容或关键词（简繁均可，支持部分词）"
    )
    category: str = Field(
        "", max_length=16, description="诉求分类编码：该分类及其上级分类的答复口径排在前面"
    )
    ticket: str = Field(
        "",
        max_length=40,
        description="工单编号：按该工单的分类和内容推荐（省略 q 时以工单内容检索）",
    )
    limit: int = Field(10, ge=1, le=50)


def _matter(request, filters: SearchFilter) -> tuple[str, Any]:
    """(query, category) of a search: the ticket's content and category when a ticket
    the caller may see is named (a ``q`` or ``category`` given still wins), else the
    ones given."""
    q = filters.q.replace("\x00", "")
    category: Any = filters.category.replace("\x00", "").strip() or None
    number = filters.ticket.replace("\x00", "").strip()
    if number:
        t = access.tickets(request.user).filter(number=number).first()
        if t is None:
            raise Http404(_("未找到该工单，或您无权查看。"))
        q = q if q.strip() else f"{t.title} {t.content}"
        category = category or t.category or t.predicted_category
    return q, category


def entry_out(e: KnowledgeEntry) -> dict:
    return {
        "id": e.pk,
        "department": e.department.code,
        "department_name": e.department.name,
        "category": e.category.code if e.category is not None else None,
        "category_name": e.category.display_name if e.category is not None else "",
        "question": e.question,
        "answer": e.answer,
        "keywords": e.keywords,
        "legal_basis": e.legal_basis,
        "state": e.state,
        "valid_until": e.valid_until,
        "hits": e.hits,
        "updated_at": e.updated_at,
    }


def _entry(pk: int) -> KnowledgeEntry:
    entry = KnowledgeEntry.objects.select_related("department", "category").filter(pk=pk).first()
    if entry is None:
        raise Http404(_("未找到该知识条目。"))
    return entry


def _department(code: str) -> Department:
    dept = (
        Department.objects.select_related("division").filter(code=code.replace("\x00", "")).first()
    )
    if dept is None:
        raise Http404(_("未找到该部门。"))
    return dept


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    cat = Category.objects.filter(code=code.replace("\x00", "")).first()
    if cat is None:
        raise Http404(_("未找到该诉求分类。"))
    return cat


def _values(payload: EntryIn) -> dict:
    return {
        "department": _department(payload.department),
        "question": payload.question,
        "answer": payload.answer,
        "keywords": payload.keywords,
        "legal_basis": payload.legal_basis,
        "category": _category(payload.category),
        "valid_until": payload.valid_until,
        "state": payload.state,
    }


@router.get(
    "/knowledge",
    response={200: list[EntryOut], 403: ErrorOut, 404: ErrorOut},
    url_name="hotline-knowledge",
)
def search_entries(request, filters: Query[SearchFilter]):
    """知识检索: published, unexpired entries best answering ``q`` — or a ticket's content
    (``ticket``) — those of its matter first (``category``, the ticket's, or the one the
    classifier reads in the words; its ancestors after it), then by content (most
    matched words, question first, then most cited); without either the most cited."""
    require_scope(request, "read")
    access.require_search(request.user)
    q, category = _matter(request, filters)
    if q.strip():
        found = search(request.user, q, limit=filters.limit, category=category)
    else:
        found = list(
            live_entries()
            .select_related("department", "category")
            .order_by("-hits", "id")[: filters.limit]
        )
    return [entry_out(e) for e in found]


@router.post(
    "/knowledge",
    response={201: EntryOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def create_entry(request, payload: EntryIn):
    """编写知识条目 of a department the caller keeps (``knowledge.manage``)."""
    require_scope(request, "write")
    require(request.user, "knowledge.manage")
    entry = do_save_entry(actor=request.user, **_values(payload))
    return Status(201, entry_out(_entry(entry.pk)))


@router.get(
    "/knowledge/{entry_id}",
    response={200: EntryOut, 403: ErrorOut, 404: ErrorOut},
    url_name="hotline-knowledge-entry",
)
def get_entry(request, entry_id: int):
    """One entry: published ones for every searcher, drafts and withdrawn ones only for
    the department keeping them."""
    require_scope(request, "read")
    access.require_search(request.user)
    entry = _entry(entry_id)
    if entry.state != KnowledgeEntry.State.PUBLISHED and not access.may_manage_knowledge(
        request.user, entry.department
    ):
        raise Http404(_("未找到该知识条目。"))
    return Status(200, entry_out(entry))


@router.put(
    "/knowledge/{entry_id}",
    response={200: EntryOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def update_entry(request, entry_id: int, payload: EntryIn):
    """修改知识条目 (every field replaced; ``state=withdrawn`` withdraws it)."""
    require_scope(request, "write")
    require(request.user, "knowledge.manage")
    entry = _entry(entry_id)
    entry = do_save_entry(actor=request.user, entry=entry, **_values(payload))
    return Status(200, entry_out(_entry(entry.pk)))


@router.post(
    "/knowledge/{entry_id}/cite",
    response={200: EntryOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def cite_entry(request, entry_id: int, payload: CiteIn | None = None):
    """引用: the caller was answered with this entry (即接即办); counts one hit."""
    require_scope(request, "write")
    access.require_search(request.user)
    entry = _entry(entry_id)
    number = (payload.ticket if payload else "").replace("\x00", "").strip()
    ticket = access.tickets(request.user).filter(number=number).first() if number else None
    if number and ticket is None:
        raise Http404(_("未找到该工单，或您无权查看。"))
    entry = do_cite_entry(actor=request.user, entry=entry, ticket=ticket)
    return Status(200, entry_out(_entry(entry.pk)))
