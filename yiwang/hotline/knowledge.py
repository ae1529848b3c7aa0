"""知识库检索 (即接即办): fold text to one script and case (繁→简, NFKC, lower case), cut it
into jieba search-mode words and match entries word by word, so a caller's question in
traditional or simplified characters, or only part of a word, finds the agreed answer.

Entries keep ``search_text`` (folded, segmented question, keywords and answer); a query
narrows candidates in the database with one OR of ``icontains`` filters (a handful of
words and their parts) and the few hundred candidates are scored here: matched words,
question and keyword matches counting half again, then how often the answer was cited."""

from __future__ import annotations

import logging
import unicodedata
from datetime import date
from functools import lru_cache

from django.db.models import Q, QuerySet
from django.utils import timezone

MAX_QUERY = 200
MAX_TERMS = 12
MAX_CANDIDATES = 300
# Words a caller says around every question; they match nothing useful.
STOP_WORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 么 是 在 和 与 及 或 我 你 他 她 我们 你们 想 要 想要 请问 请 问 "
    "怎么 怎样 怎么样 如何 什么 哪些 哪里 哪个 多少 能否 能不能 可以 可不 不可 是否 有没有 "
    "一下 一个 这个 那个 现在 需要 应该 办法 情况 问题 办理 申请 咨询".split()
)


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def fold(text: str | None) -> str:
    """Text in one form for matching: NFKC (全角→半角), traditional → simplified
    (繁简转换), lower case, one space between words, no NUL characters."""
    raw = unicodedata.normalize("NFKC", (text or "").replace("\x00", ""))
    return " ".join(_converter().convert(raw).lower().split())


def _is_word(w: str) -> bool:
    return bool(w) and any(ch.isalnum() for ch in w)


def segment(folded: str) -> list[str]:
    """jieba search-mode words of already folded text (long words also cut into their
    parts), punctuation dropped, order kept, no repeats."""
    out: list[str] = []
    seen: set[str] = set()
    for w in _jieba().lcut_for_search(folded):
        w = w.strip()
        if _is_word(w) and w not in seen:
            seen.add(w)
            out.append(w)
    return out


def segment_words(folded: str) -> list[str]:
    """jieba words (precise mode) of already folded text, punctuation dropped, no repeats."""
    out: list[str] = []
    for w in _jieba().lcut(folded):
        w = w.strip()
        if _is_word(w) and w not in out:
            out.append(w)
    return out


def search_text_for(question: str, answer: str, keywords: str = "") -> str:
    """The ``search_text`` of a knowledge entry: the folded, segmented words of question,
    keywords and answer (space-separated, each once), then the folded text itself on a
    second line, so a part word that jieba cuts apart (住建 in 住/建/部门) still matches."""
    words: list[str] = []
    seen: set[str] = set()
    folded = [fold(part) for part in (question, keywords, answer)]
    for part in folded:
        for w in segment(part):
            if w not in seen:
                seen.add(w)
                words.append(w)
    return " ".join(words) + "\n" + " ".join(p for p in folded if p)


@lru_cache(maxsize=512)
def query_words(query: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The words of a query worth matching, each with its search-mode parts (公积金 →
    公积, 积金): folded, stop words and punctuation dropped, single characters only when
    nothing longer is left, at most 12 words."""
    text = fold(query)[:MAX_QUERY]
    if not text:
        return ()
    words = [w for w in segment_words(text) if w not in STOP_WORDS]
    longer = [w for w in words if len(w) > 1 or w.isascii()]
    out = []
    for w in (longer or words)[:MAX_TERMS]:
        parts = tuple(p for p in segment(w) if p != w and len(p) > 1)
        out.append((w, parts))
    return tuple(out)


def query_terms(query: str) -> tuple[str, ...]:
    """Every word and part of a query, as matched against ``search_text``."""
    out: list[str] = []
    for w, parts in query_words(query):
        for t in (w, *parts):
            if t not in out:
                out.append(t)
    return tuple(out)


def live_entries(today: date | None = None) -> QuerySet:
    """Published entries still valid today (有效期内的已发布条目)."""
    from yiwang.hotline.models import KnowledgeEntry

    today = today or timezone.localdate()
    return KnowledgeEntry.objects.filter(state=KnowledgeEntry.State.PUBLISHED).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )


def score(entry, words: tuple[tuple[str, tuple[str, ...]], ...]) -> float:
    """How well ``entry`` answers a query: one point per query word found (half a point
    when only a part of it is), half as much again when found in the question or keywords
    (问题匹配权重更高)."""
    text = entry.search_text or ""
    head = fold(f"{entry.question} {entry.keywords}")
    total = 0.0
    for w, parts in words:
        if w in text:
            total += 1.5 if w in head else 1.0
        elif any(p in text for p in parts):
            total += 0.75 if any(p in head for p in parts) else 0.5
    return total


def search(user_or_none, query: str | None, limit: int = 10) -> list:
    """知识检索: published, unexpired entries best answering ``query``, most matched words
    first (question matches weigh more; under half the best score is left out), then
    most cited. Every published entry is agreed
    public wording (答复口径), so ``user_or_none`` (who asks) does not narrow the result."""
    words = query_words(query or "")
    if not words:
        return []
    cond = Q()
    for t in query_terms(query or ""):
        cond |= Q(search_text__icontains=t)
    candidates = list(
        live_entries()
        .filter(cond)
        .select_related("department", "category")
        .order_by("-hits", "id")[:MAX_CANDIDATES]
    )
    scored = [(score(e, words), e) for e in candidates]
    best = max((s for s, _e in scored), default=0)
    # Entries matching less than half as well as the best are noise beside it.
    scored = [(s, e) for s, e in scored if s > 0 and s >= best / 2]
    scored.sort(key=lambda se: (-se[0], -se[1].hits, se[1].pk))
    return [e for _s, e in scored[: max(0, int(limit))]]
