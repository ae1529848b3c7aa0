"""Page-number pagination with bounded inputs, shared by every list endpoint: a huge page
number or size is a 422 in the error envelope, never a database error."""

from __future__ import annotations

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
