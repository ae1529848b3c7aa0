"""诉求自动分类: suggest the leaf category (小类) of a ticket from its text.

The model is a TF-IDF + logistic-regression classifier trained offline
(``python -m tools.hotline_classifier.train``) and exported as plain JSON
(``model/classifier.json``); scoring here is pure Python — scikit-learn is only needed
to train. Text is folded to simplified characters (OpenCC t2s), segmented with jieba
(with the domain words of ``model/userdict.txt``) and scored; the confidence is the
softmax probability of the top class, temperature-calibrated at training time, so the
intake can compare it with ``YIWANG["HOTLINE_AUTO_DISPATCH_CONFIDENCE"]``.

This module does not import Django: the training script uses the same tokenizer.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_PATH = MODEL_DIR / "classifier.json"
USERDICT_PATH = MODEL_DIR / "userdict.txt"
FORMAT = "yiwang.hotline.classifier/1"
MAX_CHARS = 2000  # the longest ticket content the intake accepts (HOTLINE_CONTENT_MAX)
TOP = 5  # classes listed in Prediction.ranked

_HAN = re.compile(r"[\u4e00-\u9fff]+")
_lock = threading.Lock()
_state: dict[str, Any] = {}


@dataclass(frozen=True)
class Prediction:
    """A classification: ``code`` of the most likely leaf (None for empty text), its
    probability ``confidence`` (0..1) and the best ``ranked`` (code, probability) pairs."""

    code: str | None
    confidence: float
    ranked: list[tuple[str, float]] = field(default_factory=list)


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


def normalise(text: str | None) -> str:
    """Ticket text folded for the model: NFKC (full-width → half-width), traditional →
    simplified, lower case, whitespace collapsed, at most ``MAX_CHARS`` characters."""
    text = unicodedata.normalize("NFKC", (text or "").replace("\x00", ""))
    text = " ".join(text.split())[:MAX_CHARS]
    if not text:
        return ""
    return _t2s().convert(text).lower()


def _is_feature(w: str) -> bool:
    if w.isdigit():
        return False  # dates, phone numbers, sums: noise for the matter
    return bool(_HAN.fullmatch(w)) or (len(w) > 1 and w.isalnum())


def tokens(text: str, *, hmm: bool = False, bigrams: bool = True) -> list[str]:
    """Features of already normalised ``text``: jieba words (precise mode) and, with
    ``bigrams``, ``_``-prefixed character bigrams of each run of Chinese characters (they
    survive a dropped character or an unknown word)."""
    out = [w for w in tokenizer().lcut(text, HMM=hmm) if _is_feature(w)]
    if bigrams:
        for run in _HAN.findall(text):
            out.extend("_" + run[i : i + 2] for i in range(len(run) - 1))
    return out


class Classifier:
    """Scores texts with an exported model (the dict written by the training script)."""

    def __init__(self, model: dict[str, Any]) -> None:
        if model.get("format") != FORMAT:
            raise ValueError(f"unknown classifier format: {model.get('format')!r}")
        self.model = model
        self.classes: list[str] = list(model["classes"])
        self.intercept: list[float] = [float(x) for x in model["intercept"]]
        self.temperature = float(model.get("temperature", 1.0))
        opts = model.get("tokenizer", {})
        self.hmm = bool(opts.get("hmm", False))
        self.bigrams = bool(opts.get("bigrams", True))
        self.sublinear = bool(model.get("sublinear_tf", True))
        # Each feature's weights pre-multiplied by its idf: a text's scores are then the
        # column sums of its features' rows (C-level zip/sum) over the norm of its vector.
        weights = model["weights"]
        self.rows: dict[str, tuple[float, list[float]]] = {
            w: (float(idf), [float(idf) * float(x) for x in weights[i]])
            for i, (w, idf) in enumerate(zip(model["vocabulary"], model["idf"], strict=True))
        }

    def scores(self, text: str) -> list[float] | None:
        """Raw class scores of ``text`` (None when it is empty after normalising): the
        intercept plus the weights times the l2-normalised TF-IDF vector of its features."""
        text = normalise(text)
        if not text:
            return None
        counts = Counter(
            t for t in tokens(text, hmm=self.hmm, bigrams=self.bigrams) if t in self.rows
        )
        if not counts:
            return list(self.intercept)
        rows = []
        square = 0.0
        for t, c in counts.items():
            idf, row = self.rows[t]
            if c == 1:
                square += idf * idf
                rows.append(row)
            else:
                tf = 1.0 + math.log(c) if self.sublinear else float(c)
                square += (tf * idf) ** 2
                rows.append([tf * x for x in row])
        norm = math.sqrt(square)
        return [
            b + s / norm
            for b, s in zip(self.intercept, map(sum, zip(*rows, strict=True)), strict=True)
        ]

    def probabilities(self, scores: Sequence[float]) -> list[float]:
        """Temperature-scaled softmax of ``scores``."""
        t = self.temperature
        top = max(scores)
        exps = [math.exp((s - top) / t) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    def predict(self, text: str, top: int = TOP) -> Prediction:
        """The leaf category of ``text`` with its probability and the ``top`` best."""
        scores = self.scores(text)
        if scores is None:
            return Prediction(None, 0.0, [])
        probs = self.probabilities(scores)
        order = sorted(range(len(probs)), key=lambda i: -probs[i])[: max(top, 1)]
        ranked = [(self.classes[i], round(probs[i], 4)) for i in order]
        best = order[0]
        return Prediction(self.classes[best], probs[best], ranked)


def classifier() -> Classifier:
    """The classifier of ``model/classifier.json``, loaded once per process."""
    clf = _state.get("model")
    if clf is None:
        model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
        clf = Classifier(model)
        with _lock:
            _state.setdefault("model", clf)
        clf = _state["model"]
    return clf


def classify(text: str) -> Prediction:
    """诉求自动分类 of one ticket text: the suggested leaf code and how sure the model is."""
    return classifier().predict(text)


def classify_many(texts: Iterable[str]) -> list[Prediction]:
    """诉求自动分类 of many texts (model and tokenizer looked up once)."""
    clf = classifier()
    tokenizer()
    return [clf.predict(t) for t in texts]


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
