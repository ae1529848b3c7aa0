"""A case's subject, the room's own row the case runs for (a 办件, a 工单): where its page
lives — a room registers a page for its subject type and the generic case page sends
people there, so every step is taken where the room records its part (result codes,
licences, ratings) — and the copy of the case's step and deadlines a subject row keeps
for the room's lists (``CaseListed``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.apps import apps

from yiwang.core.models import Case, CaseListed

# subject type ("app_label.model") → function (case, user) → URL, or None to stay.
_PAGES: dict[str, Callable[[Case, object], str | None]] = {}


def register(subject_type: str, page: Callable[[Case, object], str | None]) -> None:
    """Name the page that shows cases about ``subject_type`` (called from AppConfig.ready)."""
    _PAGES[subject_type] = page


def page_for(case: Case, user) -> str | None:
    """The room's page for this case and user, or None when the generic page serves."""
    page = _PAGES.get(case.subject_type)
    return page(case, user) if page else None


# --- 列表字段: a subject row carrying its case's step and deadlines ---


@lru_cache(maxsize=64)
def _listed_model(subject_type: str) -> type[CaseListed] | None:
    try:
        model = apps.get_model(subject_type)
    except (LookupError, ValueError):
        return None
    return model if issubclass(model, CaseListed) else None


def copy_listed(case: Case, subject: Any = None) -> None:
    """Copy the case's step and deadlines onto its subject's row when the subject's
    model lists by them (``CaseListed``: a 工单, a 办件). The workflow engine calls this
    in the transaction of every write that moves them; ``subject``, when the caller holds
    it, gets the same values so a later save of it writes them unchanged."""
    model = _listed_model(case.subject_type) if case.subject_type else None
    if model is None:
        return
    values = CaseListed.listed_values(case)
    model._default_manager.filter(pk=case.subject_id).update(**values)
    if isinstance(subject, model):
        for name, value in values.items():
            setattr(subject, name, value)


def set_listed(case: Case, subject: Any) -> None:
    """The list fields of ``case`` on a subject row not stored yet (its INSERT carries
    them): the engine's ``do_start_case_through`` on a new 办件."""
    if isinstance(subject, CaseListed):
        for name, value in CaseListed.listed_values(case).items():
            setattr(subject, name, value)
