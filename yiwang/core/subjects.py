"""Where a case's own page lives. A room whose cases carry its own facts (a 办件, a 工单)
registers a page for its subject type; the generic case page then sends people there, so
every step is taken where the room records its part (result codes, licences, ratings)."""

from __future__ import annotations

from collections.abc import Callable

from yiwang.core.models import Case

# subject type ("app_label.model") → function (case, user) → URL, or None to stay.
_PAGES: dict[str, Callable[[Case, object], str | None]] = {}


def register(subject_type: str, page: Callable[[Case, object], str | None]) -> None:
    """Name the page that shows cases about ``subject_type`` (called from AppConfig.ready)."""
    _PAGES[subject_type] = page


def page_for(case: Case, user) -> str | None:
    """The room's page for this case and user, or None when the generic page serves."""
    page = _PAGES.get(case.subject_type)
    return page(case, user) if page else None
