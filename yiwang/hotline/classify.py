"""诉求自动分类: suggest the leaf category (小类) of a ticket from its text.

Two kinds of evidence are combined into one score per leaf of the three-level matter
tree (大类 2 digits → 中类 4 → 小类 6):

* **lexical**: a TF-IDF + logistic-regression model over jieba words and character
  bigrams, trained by ``yiwang.hotline.learning`` (scikit-learn, at training time
  only) and kept as plain JSON — never a pickle. Scoring is NumPy.
* **keywords** (关键词与同义词): the words citizens use for a matter, as kept on each
  category (``Category.keywords``). They are matched at scoring time, so a supervisor's
  edit or a leaf added after training counts at once; the weight of this evidence
  (``keyword_weight``) is chosen at training time on a development split.

The combined scores go through a temperature-scaled softmax (the temperature fitted on a
held-out split, so a confidence is a calibrated probability). Leaf probabilities add up
to their 中类 and 大类, so when no leaf is sure but one 大类 (or 中类) dominates the
prediction can still say where the matter belongs (:meth:`Prediction.suggestion`).

Text is folded to simplified characters (OpenCC t2s), segmented with jieba (with the
domain words of ``model/userdict.txt``); texts up to 10,000 characters are accepted and
the opening ``score_chars`` of them scored (the matter is told first).

This module does not import Django: training and the benchmark use it as it is; the
Django side (the active model version, the categories' keywords) is ``scoring``.
"""

from __future__ import annotations

import copy
import csv
import json
import logging
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_PATH = MODEL_DIR / "classifier.json"
CORPUS_PATH = MODEL_DIR / "corpus.csv"
USERDICT_PATH = MODEL_DIR / "userdict.txt"
FORMAT = "yiwang.hotline.classifier/2"
MAX_CHARS = 10_000  # the longest text read; longer input is cut (HOTLINE_CONTENT_MAX is less)
SCORE_CHARS = 1_000  # the opening scored: a long letter states its matter first
TOP = 5  # classes listed in Prediction.ranked
NEW_LEAF_MARGIN = 0.5  # keyword evidence a new leaf needs beyond the best trained leaf's
KEYWORD_CAP = 3.0  # keyword evidence of one leaf saturates: a list of synonyms is no proof

# 套话: greetings, thanks and requests for action that every caller adds whatever the
# matter (normalised: simplified, lower case). Cut out before the lexical features are
# taken when a model lists them (``stop_phrases``), so they cannot vote for a leaf.
BOILERPLATE = (
    "您好",
    "你好",
    "你们好",
    "谢谢",
    "感谢",
    "辛苦了",
    "麻烦",
    "希望有关部门",
    "请有关部门",
    "相关部门",
    "有关部门",
    "尽快处理",
    "尽快解决",
    "尽快",
    "给予解决",
    "帮忙解决",
    "帮忙",
    "处理一下",
    "解决一下",
    "回个电话",
    "回电话",
    "回电",
    "回复",
    "盼复",
    "谢谢你们",
    "我想反映",
    "反映一下",
    "反映",
    "热线",
)

_HAN = re.compile(r"[\u4e00-\u9fff]+")
_lock = threading.Lock()
_state: dict[str, Any] = {}


@dataclass(frozen=True)
class Prediction:
    """A classification: ``code`` of the most likely leaf (None for empty text), its
    probability ``confidence`` (0..1), the best ``ranked`` (code, probability) pairs, and
    the most likely 中类 (``level2``) and 大类 (``level1``) with their summed
    probabilities."""

    code: str | None
    confidence: float
    ranked: list[tuple[str, float]] = field(default_factory=list)
    level2: str | None = None
    level2_confidence: float = 0.0
    level1: str | None = None
    level1_confidence: float = 0.0

    def suggestion(self, threshold: float) -> tuple[str | None, bool]:
        """(code, sure): the leaf when its confidence reaches ``threshold`` (sure: it may
        be dispatched at once); otherwise the dominating 中类 or 大类 when one reaches it,
        else the leaf still as a hint — both unsure, left for an agent (待确认分类)."""
        if self.code is None:
            return None, False
        if self.confidence >= threshold:
            return self.code, True
        if self.level2 and self.level2_confidence >= threshold:
            return self.level2, False
        if self.level1 and self.level1_confidence >= threshold:
            return self.level1, False
        return self.code, False


def tokenizer():
    """One private jieba tokenizer with the domain dictionary, built once and quietly.

    Private so the domain words do not change how other rooms' search segments text."""
    tk = _state.get("jieba")
    if tk is None:
        with _lock:
            tk = _state.get("jieba")
            if tk is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tk = jieba.Tokenizer()
                tk.load_userdict(str(USERDICT_PATH))  # loads the main dictionary first
                _state["jieba"] = tk
    return tk


def _t2s():
    cc = _state.get("t2s")
    if cc is None:
        from opencc import OpenCC

        cc = _state["t2s"] = OpenCC("t2s")
    return cc


def normalise(text: str | None, limit: int = MAX_CHARS) -> str:
    """Text folded for the model: NFKC (full-width → half-width), traditional →
    simplified, lower case, whitespace collapsed, at most ``limit`` characters."""
    text = (text or "")[: limit * 2].replace("\x00", "")
    text = " ".join(unicodedata.normalize("NFKC", text).split())[:limit]
    if not text:
        return ""
    return _t2s().convert(text).lower()


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression matching any of ``phrases`` (longest first); None for none."""
    words = sorted({normalise(p, 40) for p in phrases if p}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None


def strip_phrases(text: str, pattern: re.Pattern[str] | None) -> str:
    """``text`` with the phrases cut out (a space in their place, so no character bigram
    spans the gap)."""
    return pattern.sub(" ", text) if pattern is not None else text


def _is_feature(w: str) -> bool:
    if w.isdigit():
        return False  # dates, phone numbers, sums: noise for the matter
    return bool(_HAN.fullmatch(w)) or (len(w) > 1 and w.isalnum())


def tokens(text: str, *, hmm: bool = False, ngrams: Sequence[int] = (2,)) -> list[str]:
    """Features of already normalised ``text``: jieba words (precise mode) and
    ``_``-prefixed character n-grams of each run of Chinese characters (they survive a
    dropped character, a typo or a word jieba does not know)."""
    out = [w for w in tokenizer().lcut(text, HMM=hmm) if _is_feature(w)]
    if ngrams:
        for run in _HAN.findall(text):
            for n in ngrams:
                out.extend("_" + run[i : i + n] for i in range(len(run) - n + 1))
    return out


class KeywordIndex:
    """关键词 evidence: each leaf's keywords found in a text, weighted by how specific
    they are (a word kept by k leaves counts 1/k to each) and capped per leaf.

    Matching is one pass over the text: keywords are indexed by their first two
    characters, so only the few whose head occurs in a text are tried."""

    def __init__(self, keywords: Mapping[str, Iterable[str]]) -> None:
        self.leaves: list[str] = sorted(keywords)
        holders: dict[str, set[int]] = {}
        for i, code in enumerate(self.leaves):
            for raw in keywords[code]:
                word = normalise(str(raw), 40) if raw else ""
                if len(word) >= 2:
                    holders.setdefault(word, set()).add(i)
        self.by_head: dict[str, list[tuple[str, tuple[int, ...], float]]] = {}
        for word, owners in holders.items():
            entry = (word, tuple(sorted(owners)), 1.0 / len(owners))
            self.by_head.setdefault(word[:2], []).append(entry)
        for entries in self.by_head.values():
            entries.sort(key=lambda e: -len(e[0]))

    def matches(self, text: str) -> dict[str, list[str]]:
        """Keywords of each leaf found in normalised ``text`` (for explaining a guess)."""
        found = self._found(text)
        out: dict[str, list[str]] = {}
        for word, owners, _w in found:
            for i in owners:
                out.setdefault(self.leaves[i], []).append(word)
        return out

    def _found(self, text: str) -> list[tuple[str, tuple[int, ...], float]]:
        """Keywords present in ``text``: only those whose first two characters occur in
        it are tried, each with one substring test (set intersection and ``in``, in C)."""
        heads = {text[i : i + 2] for i in range(len(text) - 1)} & self.by_head.keys()
        return [entry for head in heads for entry in self.by_head[head] if entry[0] in text]

    def scores(self, text: str) -> dict[str, float]:
        """Capped keyword evidence per leaf code (leaves with none are left out)."""
        acc: dict[int, float] = {}
        for _word, owners, weight in self._found(text):
            for i in owners:
                acc[i] = acc.get(i, 0.0) + weight
        return {self.leaves[i]: min(v, KEYWORD_CAP) for i, v in acc.items()}


def _dense_weights(model: Mapping[str, Any], n_classes: int) -> np.ndarray:
    """The features × classes weight matrix of an exported model (sparse ``i:w`` rows)."""
    vocab = model["vocabulary"]
    idf = np.asarray(model["idf"], dtype=np.float32)
    w = np.zeros((len(vocab), n_classes), dtype=np.float32)
    for f, row in enumerate(model["weights"]):
        if row:
            cols, vals = zip(*row, strict=True)
            w[f, list(cols)] = vals
    return w * idf[:, None]  # pre-multiplied by idf: a row is the feature's unit vote


class Classifier:
    """Scores texts with an exported model (the dict written by the training code) and,
    optionally, the keywords of the leaves in force (``keywords``: leaf code → words;
    when given, it is also the set of leaves that may be predicted, so a leaf added
    after training can be reached through its keywords and a retired one is not
    suggested)."""

    def __init__(
        self, model: dict[str, Any], keywords: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        if model.get("format") != FORMAT:
            raise ValueError(f"unknown classifier format: {model.get('format')!r}")
        self.model = model
        trained: list[str] = [str(c) for c in model["classes"]]
        opts = model.get("tokenizer", {})
        self.hmm = bool(opts.get("hmm", False))
        self.ngrams = tuple(int(n) for n in opts.get("ngrams", (2,)))
        self.score_chars = int(model.get("score_chars", SCORE_CHARS))
        self.stop = phrase_pattern(model.get("stop_phrases") or ())
        self.temperature = float(model.get("temperature", 1.0))
        self.keyword_weight = float(model.get("keyword_weight", 0.0))
        self.index = {w: i for i, w in enumerate(model["vocabulary"])}
        self.idf = np.asarray(model["idf"], dtype=np.float32)
        self.weights = _dense_weights(model, len(trained))
        self.intercept = np.asarray(model["intercept"], dtype=np.float32)
        self.trained = trained
        self._bind(keywords)

    def _bind(self, keywords: Mapping[str, Iterable[str]] | None) -> None:
        """Take the leaves in force and their keywords (the model's own when None)."""
        kw = keywords if keywords else self.model.get("keywords", {})
        self.classes: list[str] = sorted(set(self.trained) | set(kw)) if keywords else self.trained
        self.keywords = KeywordIndex(kw)
        self.__dict__.pop("_pos", None)
        self._layout(self.trained)
        if keywords:
            self.restrict_to(keywords)

    def rebind(self, keywords: Mapping[str, Iterable[str]] | None) -> Classifier:
        """The same model with other leaves and keywords in force (a supervisor edited
        the tree): the weights are shared, only the keyword index is rebuilt."""
        new = copy.copy(self)
        new._bind(keywords)
        return new

    def _layout(self, trained: list[str]) -> None:
        """Map trained columns to the leaves in force; a new leaf borrows the mean
        lexical score of its trained siblings (same 中类, else same 大类, else all)."""
        pos = {c: i for i, c in enumerate(trained)}
        self.columns = np.asarray([pos.get(c, -1) for c in self.classes], dtype=np.int64)
        self.borrow: list[tuple[int, np.ndarray]] = []
        for j, code in enumerate(self.classes):
            if code in pos:
                continue
            kin = [pos[c] for c in trained if c[:4] == code[:4]] or [
                pos[c] for c in trained if c[:2] == code[:2]
            ]
            self.borrow.append((j, np.asarray(kin or range(len(trained)), dtype=np.int64)))
        self.allowed = np.ones(len(self.classes), dtype=bool)
        self.groups = {d: _groups(self.classes, d) for d in (2, 4)}

    def restrict_to(self, leaves: Iterable[str]) -> None:
        """Predict only ``leaves`` (the active ones): others get no probability."""
        keep = set(leaves)
        allowed = np.asarray([c in keep for c in self.classes], dtype=bool)
        self.allowed = allowed if allowed.any() else np.ones(len(self.classes), dtype=bool)

    def lexical(self, text: str) -> np.ndarray:
        """Raw lexical scores of normalised ``text`` over the trained classes: intercept
        plus weights times the l2-normalised sublinear TF-IDF vector of its features.

        The features are those of :func:`tokens`, counted in C (``Counter.update``) and
        looked up in the vocabulary: a word that is not a feature is not in it either."""
        text = strip_phrases(text[: self.score_chars], self.stop)
        counts: Counter[str] = Counter(tokenizer().lcut(text, HMM=self.hmm))
        runs = _HAN.findall(text)
        counts.update(
            ["_" + r[i : i + n] for n in self.ngrams for r in runs for i in range(len(r) - n + 1)]
        )
        index = self.index
        hits = [(index[t], c) for t, c in counts.items() if t in index]
        if not hits:
            return self.intercept.copy()
        ids = np.fromiter((i for i, _c in hits), dtype=np.int64, count=len(hits))
        tf = 1.0 + np.log(np.fromiter((c for _i, c in hits), dtype=np.float32, count=len(hits)))
        x = tf * self.idf[ids]
        # weights are pre-multiplied by idf, so the l2-normalised tf·idf vector's
        # product with them is (tf / |tf·idf|) times the pre-multiplied rows
        return self.intercept + (tf / np.sqrt(float(x @ x))) @ self.weights[ids]

    def scores(self, text: str) -> np.ndarray | None:
        """Combined scores of ``text`` over ``classes`` (None when it is empty after
        normalising): lexical score plus ``keyword_weight`` times keyword evidence."""
        text = normalise(text)
        if not text:
            return None
        lex = self.lexical(text)
        out = np.where(self.columns >= 0, lex[np.maximum(self.columns, 0)], 0.0)
        evidence = self.keywords.scores(text[: self.score_chars]) if self.keyword_weight else {}
        top = float(lex.max())
        for j, kin in self.borrow:
            # A leaf added after training has no weights of its own: without keyword
            # evidence it borrows its kin's mean; with some it starts just below the
            # best trained leaf, so its own words decide.
            found = self.classes[j] in evidence
            out[j] = (
                top - NEW_LEAF_MARGIN * self.keyword_weight if found else float(lex[kin].mean())
            )
        pos = self._class_pos()
        for code, value in evidence.items():
            at = pos.get(code)
            if at is not None:
                out[at] += self.keyword_weight * value
        return out

    def _class_pos(self) -> dict[str, int]:
        pos = self.__dict__.get("_pos")
        if pos is None:
            pos = self.__dict__["_pos"] = {c: j for j, c in enumerate(self.classes)}
        return pos

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        """Temperature-scaled softmax of ``scores`` over the allowed leaves."""
        z = np.where(self.allowed, scores / self.temperature, -np.inf)
        z = np.exp(z - z.max())
        return z / z.sum()

    def predict(self, text: str, top: int = TOP) -> Prediction:
        """The leaf category of ``text`` with its probability, the ``top`` best, and the
        most likely 中类 and 大类."""
        scores = self.scores(text)
        if scores is None:
            return Prediction(None, 0.0, [])
        probs = self.probabilities(scores)
        order = np.argsort(-probs)[: max(top, 1)]
        ranked = [(self.classes[i], round(float(probs[i]), 4)) for i in order]
        best = int(order[0])
        l2, p2 = _level(self.groups[4], probs)
        l1, p1 = _level(self.groups[2], probs)
        return Prediction(self.classes[best], float(probs[best]), ranked, l2, p2, l1, p1)


def _groups(classes: Sequence[str], digits: int) -> tuple[list[str], np.ndarray]:
    """(upper-level codes, the index of each class's upper level among them)."""
    codes = sorted({c[:digits] for c in classes})
    where = {c: i for i, c in enumerate(codes)}
    return codes, np.asarray([where[c[:digits]] for c in classes], dtype=np.int64)


def _level(groups: tuple[list[str], np.ndarray], probs: np.ndarray) -> tuple[str | None, float]:
    """The upper-level code with the largest summed probability of its leaves."""
    codes, of = groups
    if not codes:
        return None, 0.0
    sums = np.bincount(of, weights=probs, minlength=len(codes))
    best = int(sums.argmax())
    return codes[best], float(sums[best])


def load_model(path: Path = MODEL_PATH) -> dict[str, Any]:
    """The exported model dict of a JSON file (the shipped model by default)."""
    return json.loads(path.read_text(encoding="utf-8"))


def classifier() -> Classifier:
    """The shipped model (``model/classifier.json``) with its own training keywords,
    loaded once per process: the scorer without a database (tools, benchmark)."""
    clf = _state.get("model")
    if clf is None:
        clf = Classifier(load_model())
        with _lock:
            _state.setdefault("model", clf)
        clf = _state["model"]
    return clf


def classify(text: str) -> Prediction:
    """诉求自动分类 of one text with the shipped model (no database)."""
    return classifier().predict(text)


def classify_many(texts: Iterable[str], clf: Classifier | None = None) -> list[Prediction]:
    """诉求自动分类 of many texts (model and tokenizer looked up once)."""
    clf = clf or classifier()
    tokenizer()
    return [clf.predict(t) for t in texts]


def terms(name: str, keywords: Iterable[str]) -> list[str]:
    """The words that point to a leaf: its keywords and synonyms and its own name."""
    return list(dict.fromkeys(w.strip() for w in [name, *keywords] if w and w.strip()))


def read_corpus(path: Path = CORPUS_PATH) -> list[dict[str, str]]:
    """Rows of the shipped training corpus (``text,leaf,weight,source,split``)."""
    with Path(path).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_rows(path: Path | str) -> list[tuple[str, str]]:
    """(text, category) rows of a corpus CSV (``text,category`` header)."""
    with Path(path).open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["category"]) for r in csv.DictReader(f)]


def accuracy(rows: Iterable[tuple[str, str]], clf: Classifier | None = None) -> float:
    """Share of (text, category) rows whose predicted code is the given category."""
    rows = list(rows)
    if not rows:
        return 0.0
    clf = clf or classifier()
    hits = sum(1 for text, code in rows if clf.predict(text, top=1).code == code)
    return hits / len(rows)


def softmax_loss(scores: np.ndarray, truth: Sequence[int], temperature: float) -> float:
    """Mean negative log-likelihood of the true classes under a tempered softmax."""
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(truth)), np.asarray(truth)]))


def fit_temperature(scores: np.ndarray, truth: Sequence[int]) -> float:
    """The softmax temperature with the least log loss (golden-section search on log T)."""
    lo, hi = math.log(0.05), math.log(20.0)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = softmax_loss(scores, truth, math.exp(a)), softmax_loss(scores, truth, math.exp(b))
    for _ in range(40):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = softmax_loss(scores, truth, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = softmax_loss(scores, truth, math.exp(b))
    return round(math.exp((lo + hi) / 2), 4)
