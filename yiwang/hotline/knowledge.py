"""知识库检索 (即接即办): fold text to one script and case (繁→简, NFKC, lower case), cut it
into jieba search-mode words and match entries word by word, so a caller's question in
traditional or simplified characters, or only part of a word, finds the agreed answer.

Entries keep ``search_text`` (folded, segmented question, keywords and answer); a query
narrows candidates in the database with one OR of ``icontains`` filters (a handful of
words and their parts) and the few hundred candidates are scored here: matched words,
question and keyword matches counting half again, then how often the answer was cited.
Suggestions for a ticket rank by its matter first (答复口径 of its 诉求分类 and the
categories above it — the one given, or the one the classifier reads), so a noise
complaint gets the noise answer before how to apply for a business licence."""

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
PREDICT_MIN_CHARS = 6  # shorter queries are keywords, not a citizen's message
MESSAGE_CHARS = 40  # longer queries are a citizen's message, searched by their signature
PREDICT_CONFIDENCE = 0.3
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


def category_chain(category) -> list[int]:
    """The ids of a 诉求分类 and its ancestors, the category first (empty for none)."""
    from yiwang.hotline.models import Category

    if category in (None, ""):
        return []
    if not isinstance(category, Category):
        category = Category.objects.filter(code=str(category)).first()
    out: list[int] = []
    while category is not None and category.pk not in out and len(out) < 6:
        out.append(category.pk)
        category = category.parent
    return out


def predicted_chain(query: str) -> list[int]:
    """The category chain the classifier reads in a citizen's words, when it is sure
    enough (PREDICT_CONFIDENCE); empty for short or unclear text."""
    if len(fold(query)) < PREDICT_MIN_CHARS:
        return []
    from yiwang.hotline.classify import classify

    guess = classify(query)
    if not guess.code or guess.confidence < PREDICT_CONFIDENCE:
        return []
    return category_chain(guess.code)


def _query_text(query: str) -> str:
    """What a query is searched by: keywords or a question as they are; a citizen's
    message (longer than MESSAGE_CHARS) by the heaviest words of its content signature
    — what it is about, wherever in the text it says it."""
    if len(query) <= MESSAGE_CHARS:
        return query
    from yiwang.hotline.signature import CONCEPT_MARK, signature

    vec, _places = signature(query)
    return " ".join(t for t in vec if not t.startswith(CONCEPT_MARK))[:MAX_QUERY]


def search(user_or_none, query: str | None, limit: int = 10, category=None) -> list:
    """知识检索: published, unexpired entries best answering ``query``. Entries of the
    matter it is about come first — the ticket's ``category`` when known (with its
    ancestors after it), else the category the classifier reads in the words when it is
    sure — then the others by content: most matched words first (question matches weigh
    more; under half the best score is left out), then most cited. A long message is
    searched by the heaviest words of its content signature. Every published entry is
    agreed public wording (答复口径), so ``user_or_none`` (who asks) does not narrow the
    result."""
    text = _query_text(query or "")
    words = query_words(text)
    given = category_chain(category)
    chain = given or predicted_chain(query or "")
    if not words and not given:
        return []
    cond = Q()
    for t in query_terms(text):
        cond |= Q(search_text__icontains=t)
    base = live_entries().select_related("department", "category")
    found = (
        {e.pk: e for e in base.filter(cond).order_by("-hits", "id")[:MAX_CANDIDATES]}
        if words
        else {}
    )
    if chain:
        for e in base.filter(category_id__in=chain).order_by("-hits", "id")[:MAX_CANDIDATES]:
            found.setdefault(e.pk, e)
    tier = {pk: i for i, pk in enumerate(chain)}
    scored = [(score(e, words), tier.get(e.category_id, len(chain)), e) for e in found.values()]
    best = max((s for s, _t, _e in scored), default=0)

    def kept(s: float, t: int) -> bool:
        if given and t < len(chain):  # the matter named: its own answers, matched ones above
            return t == 0 or s > 0
        return s > 0 and s >= best / 2  # less than half the best is noise beside it

    ranked = [(s, t, e) for s, t, e in scored if kept(s, t)]
    ranked.sort(key=lambda x: (x[1], -x[0], -x[2].hits, x[2].pk))
    return [e for _s, _t, e in ranked[: max(0, int(limit))]]
