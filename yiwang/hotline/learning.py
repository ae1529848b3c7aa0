"""诉求自动分类 training and evaluation, shared by the build-time script
(``tools/hotline_classifier/train.py``) and the retraining loop of the running platform
(``actions/classifier.py``: labels from agents' confirmations and corrections).

:func:`fit` trains the lexical model (TF-IDF over jieba words and character n-grams,
multinomial logistic regression; scikit-learn is imported here only, when training),
chooses on a development split how much the keyword evidence weighs and the softmax
temperature (calibration), refits on every row and returns the model as a JSON-ready
dict. :func:`report` gives precision/recall/F1 per class at leaf (小类) or 大类 level.
No Django here: the platform passes rows and keywords in.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from yiwang.hotline import classify as runtime

C = 10.0  # inverse regularisation strength, chosen on the development split
MIN_DF = 2  # features seen in fewer training rows are dropped
NGRAMS = (2,)  # character bigrams: trigrams added nothing on the development split
DECIMALS = 3  # weights are rounded in the JSON
PRUNE = 0.1  # smaller weights are left out of the JSON (a tenth of the size, same dev figures)
KEYWORD_WEIGHTS = (
    0.1,
    0.25,
    0.5,
    1.0,
    1.5,
    2.0,
    3.0,
    4.0,
)  # tried on the development split (never 0: new leaves live on it)
# The keyword weight in use, chosen by 5-fold cross-validation on the real-style
# development set (tools/hotline_classifier/crossval.py): citizens rarely use the
# official terms, and the weight the clean examples preferred (2.0) cost 0.07 大类
# macro-F1 there. None would choose it from KEYWORD_WEIGHTS on the development split.
KEYWORD_WEIGHT: float | None = 0.25
DEV_THRESHOLD = 0.80  # the default auto-dispatch confidence, for the abstain figure
DEV_WEIGHT = 3.0  # development rows are examples: refit with an example's weight
HELDOUT_SHARE = 5  # one labelled ticket in five is held out (hash of its id)
BALANCE = 0.0  # a 大类's share of weight grows as its leaf count ** (1 - BALANCE)


@dataclass(frozen=True)
class Row:
    """One training text: ``leaf`` code, ``weight`` (how much it counts), ``source``."""

    text: str
    leaf: str
    weight: float = 1.0
    source: str = ""


def held_out(ticket_id: int | str) -> bool:
    """Deterministic split of labelled tickets: held out for evaluation, or trained on
    (SHA-256 of the ticket id, so the split never changes as labels accumulate)."""
    digest = hashlib.sha256(str(ticket_id).encode()).digest()
    return digest[0] % HELDOUT_SHARE == 0


def _analyzer(hmm: bool, ngrams: Sequence[int], stop: Sequence[str] = ()):
    cache: dict[str, list[str]] = {}
    pattern = runtime.phrase_pattern(stop)

    def analyze(text: str) -> list[str]:
        out = cache.get(text)
        if out is None:
            norm = runtime.strip_phrases(runtime.normalise(text)[: runtime.SCORE_CHARS], pattern)
            out = cache[text] = runtime.tokens(norm, hmm=hmm, ngrams=ngrams)
        return out

    return analyze


def _balanced(rows: Sequence[Row], balance: float = BALANCE) -> list[float]:
    """Row weights scaled so every leaf of a 大类 weighs the same in total (a leaf with
    many templates must not crowd out one with few words), and a 大类 with *n* leaves
    weighs n ** (1 - ``balance``): 0 gives every leaf the same weight, 1 every 大类
    (macro-F1 at 大类 level counts every 大类 alike; 01 城乡建设 has 24 leaves, 15 纪检监察
    three, and a prior per leaf makes the large 大类 draw messages)."""
    total: dict[str, float] = defaultdict(float)
    for r in rows:
        total[r.leaf] += r.weight
    per_l1 = Counter(leaf[:2] for leaf in total)
    target = {leaf: per_l1[leaf[:2]] ** -balance for leaf in total}
    scale = sum(total.values()) / sum(target.values())
    return [r.weight * scale * target[r.leaf] / total[r.leaf] for r in rows]


def _fit_lexical(
    rows: Sequence[Row], *, c: float, min_df: int, max_features, analyzer, balance: float = BALANCE
):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(
        analyzer=analyzer,
        min_df=min_df,
        max_features=max_features,
        sublinear_tf=True,
        norm="l2",
        smooth_idf=True,
    )
    x = vec.fit_transform([r.text for r in rows])
    lr = LogisticRegression(C=c, max_iter=500)
    lr.fit(x, [r.leaf for r in rows], sample_weight=_balanced(rows, balance))
    return vec, lr


def _export(
    vec, lr, *, hmm: bool, ngrams: Sequence[int], stop: Sequence[str] = ()
) -> dict[str, Any]:
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    coef = np.round(lr.coef_.T, DECIMALS)  # features × classes
    weights = []
    for row in coef:
        keep = np.nonzero(np.abs(row) >= PRUNE)[0]
        weights.append([[int(j), float(row[j])] for j in keep])
    return {
        "format": runtime.FORMAT,
        "classes": [str(x) for x in lr.classes_],
        "tokenizer": {"hmm": hmm, "ngrams": list(ngrams)},
        "score_chars": runtime.SCORE_CHARS,
        "stop_phrases": list(stop),
        "sublinear_tf": True,
        "intercept": [round(float(x), DECIMALS) for x in lr.intercept_],
        "vocabulary": vocab,
        "idf": [round(float(x), DECIMALS) for x in vec.idf_],
        "weights": weights,
    }


def _tune(
    model: dict[str, Any], keywords, dev: Sequence[tuple[str, str]], fixed: float | None = None
):
    """(keyword weight, temperature) that suit the development rows best: the ``fixed``
    weight when given (chosen elsewhere), else the weight with the most leaves right
    (ties: the smaller); then the temperature with the least log loss at that weight."""
    clf = runtime.Classifier(model, keywords)
    pos = {c: j for j, c in enumerate(clf.classes)}
    dev = [(t, leaf) for t, leaf in dev if leaf in pos]
    if not dev:
        return 1.0, 1.0
    lex, kw = [], []
    for text, _leaf in dev:
        clf.keyword_weight = 0.0
        lex.append(clf.scores(text))
        k = np.zeros(len(clf.classes))
        for code, v in clf.keywords.scores(runtime.normalise(text)[: clf.score_chars]).items():
            if code in pos:
                k[pos[code]] = v
        kw.append(k)
    lex_m, kw_m = np.asarray(lex), np.asarray(kw)
    truth = np.asarray([pos[leaf] for _t, leaf in dev])
    best = (
        fixed
        if fixed is not None
        else max(
            KEYWORD_WEIGHTS,
            key=lambda b: (float(np.mean((lex_m + b * kw_m).argmax(axis=1) == truth)), -b),
        )
    )
    return best, runtime.fit_temperature(lex_m + best * kw_m, truth.tolist())


def fit(
    rows: Sequence[Row],
    *,
    keywords: Mapping[str, Iterable[str]],
    dev: Sequence[tuple[str, str]] = (),
    c: float = C,
    min_df: int = MIN_DF,
    max_features: int | None = None,
    hmm: bool = False,
    ngrams: Sequence[int] = NGRAMS,
    balance: float = BALANCE,
    keyword_weight: float | None = KEYWORD_WEIGHT,
    stop_phrases: Sequence[str] = (),
) -> dict[str, Any]:
    """Train on ``rows``; tune the keyword weight and temperature on ``dev`` (text, leaf)
    pairs with a model fitted without them, then refit on rows and dev together. Returns
    the exportable model dict (JSON-ready, with the keywords it was tuned with). A given
    ``keyword_weight`` (chosen elsewhere) is kept; only the temperature is then fitted.
    ``stop_phrases`` (套话) are cut out of every text before its features are taken, here
    and, listed in the model, at scoring time."""
    analyzer = _analyzer(hmm, ngrams, stop_phrases)
    stop = list(stop_phrases)
    options = {
        "c": c,
        "min_df": min_df,
        "max_features": max_features,
        "analyzer": analyzer,
        "balance": balance,
    }
    keywords = {k: list(v) for k, v in keywords.items()}
    weight, temperature, dev_figures = 1.0, 1.0, None
    if dev:
        model = _export(*_fit_lexical(rows, **options), hmm=hmm, ngrams=ngrams, stop=stop)
        weight, temperature = _tune(model, keywords, dev, keyword_weight)
        model.update(keyword_weight=weight, temperature=temperature, keywords=keywords)
        # figures of the model that never saw the development rows (the refit does)
        dev_figures = evaluate(runtime.Classifier(model), dev, DEV_THRESHOLD)
        rows = list(rows) + [Row(t, leaf, DEV_WEIGHT, "dev") for t, leaf in dev]
    model = _export(*_fit_lexical(rows, **options), hmm=hmm, ngrams=ngrams, stop=stop)
    model["keyword_weight"] = weight
    model["temperature"] = temperature
    model["keywords"] = keywords
    model["training"] = {
        "rows": len(rows),
        "sources": dict(Counter(r.source or "other" for r in rows)),
        "C": c,
        "min_df": min_df,
        "balance": balance,
        "features": len(model["vocabulary"]),
        "dev_rows": len(dev),
        "dev": dev_figures,
    }
    return model


# --- evaluation ---


def report(truth: Sequence[str], pred: Sequence[str | None]) -> dict[str, Any]:
    """Precision, recall and F1 per class (of the true classes), their macro mean and
    accuracy. A prediction of None (abstained) counts as wrong for recall."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for t, p in zip(truth, pred, strict=True):
        if t == p:
            tp[t] += 1
            continue
        fn[t] += 1
        if p is not None:
            fp[p] += 1
    per: dict[str, dict[str, float]] = {}
    for code in sorted(set(truth)):
        prec = tp[code] / (tp[code] + fp[code]) if tp[code] + fp[code] else 0.0
        rec = tp[code] / (tp[code] + fn[code]) if tp[code] + fn[code] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[code] = {
            "precision": round(prec, 4),
            "recall": round(rec, 4),
            "f1": round(f1, 4),
            "support": tp[code] + fn[code],
        }
    n = len(truth)
    return {
        "n": n,
        "accuracy": round(sum(tp.values()) / n, 4) if n else 0.0,
        "macro_f1": round(sum(p["f1"] for p in per.values()) / len(per), 4) if per else 0.0,
        "per_class": per,
    }


def evaluate(
    clf: runtime.Classifier, rows: Sequence[tuple[str, str]], threshold: float
) -> dict[str, Any]:
    """Figures of a classifier on (text, true leaf) rows: at leaf (小类) and 大类 level
    the per-class table, macro-F1 and accuracy; the abstain rate (top leaf below the
    auto-dispatch ``threshold``) and accuracy of the rest; feature coverage (share of a
    text's features the model knows, averaged)."""
    preds = [clf.predict(text, top=1) for text, _leaf in rows]
    truth = [leaf for _t, leaf in rows]
    sure = [p.confidence >= threshold for p in preds]
    kept = [(p.code, t) for p, t, s in zip(preds, truth, sure, strict=True) if s]
    return {
        "leaf": report(truth, [p.code for p in preds]),
        "level1": report([t[:2] for t in truth], [(p.code or "")[:2] or None for p in preds]),
        "threshold": threshold,
        "abstain_rate": round(1 - len(kept) / len(rows), 4) if rows else 0.0,
        "accuracy_when_sure": round(sum(p == t for p, t in kept) / len(kept), 4) if kept else None,
        "coverage": coverage(clf, [t for t, _leaf in rows]),
    }


def coverage(clf: runtime.Classifier, texts: Iterable[str]) -> float:
    """Mean share of a text's jieba words that are features of the model."""
    shares = []
    for text in texts:
        norm = runtime.normalise(text)[: clf.score_chars]
        words = runtime.tokens(norm, hmm=clf.hmm, ngrams=())
        if words:
            shares.append(sum(w in clf.index for w in words) / len(words))
    return round(sum(shares) / len(shares), 4) if shares else 0.0
