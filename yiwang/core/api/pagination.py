"""Pagination of list endpoints, with bounded inputs: a huge page number or size is a 422
in the error envelope, never a database error.

``Pagination`` pages by number with an exact ``count`` — for lists that stay small
(catalogues, a person's own records). ``KeysetPagination`` is for the lists that grow
with the city's backlog (待办, 工单, 办件, 基础库): the same ``{"items", "count"}``
answer, plus

- ``next``: a cursor for the page after this one (null on the last page); pass it back
  as ``?cursor=…`` (keeping the filters) to read on. A cursor page costs the same
  however deep it is: the database seeks to the cursor through an index.
- ``count`` counts up to ``COUNT_CAP`` (1,000) rows; ``count_capped`` is true when more
  were left uncounted.
- ``?page=N`` still works within the first ``COUNT_CAP`` rows (what ``count`` can
  describe); beyond them it is a 422 that says to follow ``next``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.pagination import PageNumberPagination, PaginationBase
from pydantic import Field

from yiwang.core.errors import Invalid
from yiwang.core.paging import COUNT_CAP, KeysetPaginator, capped_count

MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500
MAX_CURSOR = 2000


class Pagination(PageNumberPagination):
    """``?page=N&page_size=M`` → ``{"items": [...], "count": total}``."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)


class Mapped:
    """A queryset seen through ``fn`` for pagination: counted in SQL, only the requested
    page is loaded and mapped (e.g. decrypted or masked rows)."""

    def __init__(self, qs, fn: Callable[[Any], Any]) -> None:
        self.qs, self.fn = qs, fn

    def all(self) -> Mapped:
        return self

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.qs.count()

    def __getitem__(self, s: slice) -> list:
        return [self.fn(x) for x in self.qs[s]]


class Keyed:
    """What a ``KeysetPagination`` endpoint returns: its queryset, the order it is listed
    in (non-null ``fields``, then the primary key; ``descending`` for newest first) —
    an index over them serves every page — ``fn`` mapping each row of a page, and the
    ``split`` it may be read by (``KeysetPaginator``)."""

    def __init__(
        self,
        qs,
        fn: Callable[[Any], Any],
        *,
        fields: Sequence[str],
        descending: bool = False,
        split: tuple[str, Sequence[Any] | None] | None = None,
    ) -> None:
        self.qs, self.fn = qs, fn
        self.paginator = KeysetPaginator(
            qs,
            sorts={"list": tuple(fields)},
            default="-list" if descending else "list",
            split=split,
        )


class KeysetPagination(PaginationBase):
    """``?cursor=…`` (or ``?page=N`` within the first 1,000 rows) and ``page_size`` →
    ``{"items": [...], "count": n, "count_capped": bool, "next": cursor | null}``; see
    the module's doc."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="页码（仅前 1000 条内）")
        page_size: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE)
        cursor: str | None = Field(
            None, max_length=MAX_CURSOR, description="上一页回答中的 next：从其后读起"
        )

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="条数，最多数到 1000")
        count_capped: bool = Field(description="是否还有未计入 count 的条目")
        next: str | None = Field(description="下一页游标（作为 cursor 传回）；最后一页为 null")

    def __init__(self, *, page_size: int = 50, max_page_size: int = 200, **kwargs: Any) -> None:
        self.page_size = page_size
        self.max_page_size = max_page_size
        super().__init__(**kwargs)

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        if not isinstance(queryset, Keyed):
            raise TypeError("a KeysetPagination endpoint returns a Keyed listing")
        size = min(pagination.page_size or self.page_size, self.max_page_size)
        paginator = queryset.paginator
        paginator.per_page = size
        if pagination.cursor:
            if not paginator.accepts(pagination.cursor):
                raise Invalid({"cursor": _("游标无效或已过期，请从第一页重新读取。")})
            page = paginator.get_page({"cursor": pagination.cursor})
            rows, following = page.object_list, page.next_cursor
        else:
            offset = (pagination.page - 1) * size
            if offset >= COUNT_CAP:
                message = _("页码只能用于前 %(n)d 条；之后请按回答中的 next 游标读取。")
                raise Invalid({"page": message % {"n": COUNT_CAP}})
            rows = paginator.rows(paginator.ordered(), offset + size + 1)[offset:]
            following = paginator.cursor_after(rows[size - 1]) if len(rows) > size else None
            rows = rows[:size]
        counted = capped_count(queryset.qs, COUNT_CAP)
        return {
            "items": [queryset.fn(r) for r in rows],
            "count": counted.n,
            "count_capped": counted.more,
            "next": following,
        }
