"""Page-number pagination with bounded inputs, shared by every list endpoint: a huge page
number or size is a 422 in the error envelope, never a database error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Schema
from ninja.pagination import PageNumberPagination
from pydantic import Field

MAX_PAGE = 1_000_000
MAX_PAGE_SIZE = 500


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
