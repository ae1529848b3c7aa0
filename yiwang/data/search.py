"""目录检索: find catalogue entries by Chinese text in their name, abstract and data item
names. The query is segmented with jieba; an entry matches when it contains the whole
phrase or every segmented word."""

from __future__ import annotations

import logging
from functools import lru_cache

from django.db.models import Exists, OuterRef, Q, QuerySet

MAX_TERMS = 8


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


@lru_cache(maxsize=512)
def terms(query: str) -> tuple[str, ...]:
    """The words of ``query`` worth matching (punctuation and single-letter noise dropped)."""
    text = " ".join(query.split())[:200]
    if not text:
        return ()
    words = []
    for w in _jieba().lcut(text):
        w = w.strip()
        if not w or (len(w) == 1 and not ("\u4e00" <= w <= "\u9fff" or w.isalnum())):
            continue
        if w not in words:
            words.append(w)
    return tuple(words[:MAX_TERMS])


def _matches(word: str) -> Q:
    from yiwang.data.models import DataItem

    item = DataItem.objects.filter(resource=OuterRef("pk"), name__icontains=word)
    return (
        Q(name__icontains=word)
        | Q(abstract__icontains=word)
        | Q(code__istartswith=word)
        | Q(Exists(item))
    )


def search(qs: QuerySet, query: str) -> QuerySet:
    """``qs`` narrowed to the entries matching ``query`` (unchanged when it is blank)."""
    text = " ".join((query or "").split())[:200]
    if not text:
        return qs
    cond = _matches(text)
    words = terms(text)
    if len(words) > 1:
        every = Q()
        for w in words:
            every &= _matches(w)
        cond |= every
    return qs.filter(cond)
