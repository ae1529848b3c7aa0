"""事项检索: find service items by Chinese text. Each item keeps ``search_text``: jieba
search-mode tokens of its name, keywords, department and life/enterprise events (plus
``@<event>@`` markers for the event filter); a query matches when the item's name holds
the whole query or ``search_text`` holds every segmented word — substring matching, so
part of a word ("居住" → 居住证) finds it too."""

from __future__ import annotations

import logging
from functools import lru_cache

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from yiwang.services.events import ENTERPRISE, LIFE, event_label

MAX_TERMS = 8
MAX_QUERY = 100


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def _is_word(w: str) -> bool:
    return bool(w) and (len(w) > 1 or "\u4e00" <= w <= "\u9fff" or w.isalnum())


def tokens(text: str) -> list[str]:
    """Search-mode jieba tokens of ``text`` (long words also cut into their parts)."""
    out: list[str] = []
    for w in _jieba().cut_for_search(text or ""):
        w = w.strip().lower()
        if _is_word(w) and w not in out:
            out.append(w)
    return out


@lru_cache(maxsize=512)
def terms(query: str) -> tuple[str, ...]:
    """The words of a query worth matching (punctuation dropped, at most 8)."""
    text = normalise(query)
    if not text:
        return ()
    words: list[str] = []
    for w in _jieba().lcut(text):
        w = w.strip().lower()
        if _is_word(w) and w not in words:
            words.append(w)
    return tuple(words[:MAX_TERMS])


def normalise(query: str | None) -> str:
    """The query on one line, without NUL characters, at most 100 characters."""
    return " ".join((query or "").replace("\x00", "").split())[:MAX_QUERY]


def event_marker(code: str) -> str:
    return f"@{code}@"


def build_search_text(item) -> str:
    """The ``search_text`` of an item: tokens of what people search by, one line."""
    dept = item.department
    parts = [item.name, item.keywords, dept.name, dept.short_name]
    if item.parent_id:
        parts.append(item.parent.name)
    events = list(item.life_events or []) + list(item.enterprise_events or [])
    parts += [event_label(e) for e in events]
    words = [item.code.lower()]
    for part in parts:
        whole = " ".join((part or "").lower().split())
        if whole and whole not in words:
            words.append(whole)  # whole phrases, so a query jieba keeps in one piece matches
        for w in tokens(part or ""):
            if w not in words:
                words.append(w)
    words += [event_marker(e) for e in events]
    return " ".join(words)


def search(qs: QuerySet, query: str | None) -> QuerySet:
    """``qs`` narrowed to the items matching ``query``, best matches (name holds the
    whole query) first; unchanged when the query is blank."""
    text = normalise(query)
    if not text:
        return qs
    cond = Q(name__icontains=text) | Q(code__iexact=text) | Q(search_text__icontains=text)
    words = terms(text)
    if words:
        every = Q()
        for w in words:
            every &= Q(search_text__icontains=w)
        cond |= every
    rank = Case(
        When(name__icontains=text, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.filter(cond).annotate(search_rank=rank).order_by("search_rank", "code")


def by_event(qs: QuerySet, code: str | None) -> QuerySet:
    """Items tagged with the life or enterprise event ``code``."""
    if not code:
        return qs
    if code not in LIFE and code not in ENTERPRISE:
        return qs.none()
    return qs.filter(search_text__contains=event_marker(code))
