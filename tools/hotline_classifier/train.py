"""诉求自动分类 training: fit TF-IDF + logistic regression on ``training.csv`` and export
the model as plain JSON (``classifier.json``), never a pickle.

Run ``python -m tools.hotline_classifier.train`` from the repository (or ``make
classifier``). Needs scikit-learn (a development dependency); the runtime scorer in
``yiwang.hotline.classify`` does not, and only ``classifier.json`` and ``userdict.txt``
ship in the package (``yiwang/hotline/model/``).
Steps: tokenize with the runtime tokenizer; fit on 80 % of the training rows and choose
the softmax temperature that minimises the log loss on the other 20 % (so confidences
are calibrated probabilities); refit on every row; export; then score ``heldout.csv``
with the exported JSON through the runtime scorer and record the accuracy in the file.
``SOURCE_DATE_EPOCH`` fixes the recorded training date for a reproducible file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import os
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.hotline_classifier.make_corpus import HELDOUT_PATH, TRAINING_PATH
from yiwang.hotline import classify as runtime

C = 1.0  # inverse regularisation strength of the logistic regression (the usual default)
MIN_DF = 3  # features seen in fewer training rows are dropped
CALIBRATION_SHARE = 0.2
SEED = 12345
DECIMALS = 3  # weights are rounded in the JSON (keeps it small; accuracy unchanged)


def digest(path: Path) -> str:
    """SHA-256 (hex) of a file: records which corpus and dictionary a model came from."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _analyzer(hmm: bool, bigrams: bool):
    cache: dict[str, list[str]] = {}

    def analyze(text: str) -> list[str]:
        out = cache.get(text)
        if out is None:
            out = cache[text] = runtime.tokens(runtime.normalise(text), hmm=hmm, bigrams=bigrams)
        return out

    return analyze


def _fit(texts: Sequence[str], labels: Sequence[str], *, c: float, min_df: int, analyzer):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(
        analyzer=analyzer, min_df=min_df, sublinear_tf=True, norm="l2", smooth_idf=True
    )
    x = vec.fit_transform(texts)
    lr = LogisticRegression(C=c, max_iter=3000)
    lr.fit(x, labels)
    return vec, lr


def _temperature(scores, truth_idx: Sequence[int]) -> float:
    """The softmax temperature with the least log loss (golden-section search on log T)."""

    def loss(log_t: float) -> float:
        t = math.exp(log_t)
        total = 0.0
        for row, k in zip(scores, truth_idx, strict=True):
            top = max(row)
            z = sum(math.exp((s - top) / t) for s in row)
            total -= (row[k] - top) / t - math.log(z)
        return total / len(truth_idx)

    lo, hi = math.log(0.2), math.log(5.0)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = loss(a), loss(b)
    for _ in range(40):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = loss(b)
    return round(math.exp((lo + hi) / 2), 4)


def _split(rows: Sequence[tuple[str, str]], share: float, seed: int):
    """Stratified split: about ``share`` of each category's rows go to the second part."""
    import random

    rng = random.Random(seed)
    by: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in rows:
        by[row[1]].append(row)
    first, second = [], []
    for code in sorted(by):
        part = by[code][:]
        rng.shuffle(part)
        k = max(1, round(len(part) * share))
        second += part[:k]
        first += part[k:]
    return first, second


def fit(
    rows: Sequence[tuple[str, str]],
    *,
    c: float = C,
    min_df: int = MIN_DF,
    hmm: bool = False,
    bigrams: bool = True,
    calibrate: bool = True,
    seed: int = SEED,
) -> dict[str, Any]:
    """Train on (text, category) rows; return the exportable model dict (JSON-ready)."""
    analyzer = _analyzer(hmm, bigrams)
    temperature = 1.0
    if calibrate:
        part, calib = _split(rows, CALIBRATION_SHARE, seed)
        vec, lr = _fit(
            [t for t, _ in part], [c_ for _, c_ in part], c=c, min_df=min_df, analyzer=analyzer
        )
        index = {code: i for i, code in enumerate(lr.classes_)}
        scores = lr.decision_function(vec.transform([t for t, _ in calib])).tolist()
        temperature = _temperature(scores, [index[code] for _, code in calib])
    vec, lr = _fit(
        [t for t, _ in rows], [c_ for _, c_ in rows], c=c, min_df=min_df, analyzer=analyzer
    )
    vocab = sorted(vec.vocabulary_, key=vec.vocabulary_.get)
    coef = lr.coef_.T  # features × classes
    return {
        "format": runtime.FORMAT,
        "classes": [str(x) for x in lr.classes_],
        "tokenizer": {
            "hmm": hmm,
            "bigrams": bigrams,
            "userdict_sha256": digest(runtime.USERDICT_PATH),
        },
        "sublinear_tf": True,
        "temperature": temperature,
        "intercept": [round(float(x), DECIMALS) for x in lr.intercept_],
        "vocabulary": vocab,
        "idf": [round(float(x), DECIMALS) for x in vec.idf_],
        "weights": [[round(float(x), DECIMALS) for x in row] for row in coef],
        "training": {"rows": len(rows), "C": c, "min_df": min_df, "features": len(vocab)},
    }


def evaluate(model: dict[str, Any], rows: Sequence[tuple[str, str]], threshold: float) -> dict:
    """Held-out figures of an exported model, scored by the runtime: accuracy, per-class
    recall, and the share (and accuracy) of rows at or above the dispatch ``threshold``."""
    clf = runtime.Classifier(model)
    total: Counter[str] = Counter()
    hits: Counter[str] = Counter()
    confident = confident_hits = 0
    for text, code in rows:
        p = clf.predict(text, top=1)
        total[code] += 1
        hits[code] += p.code == code
        if p.confidence >= threshold:
            confident += 1
            confident_hits += p.code == code
    n = sum(total.values())
    return {
        "rows": n,
        "accuracy": round(sum(hits.values()) / n, 4),
        "per_class": {code: round(hits[code] / total[code], 4) for code in sorted(total)},
        "threshold": threshold,
        "share_above_threshold": round(confident / n, 4),
        "accuracy_above_threshold": round(confident_hits / confident, 4) if confident else None,
    }


def _training_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
    return dt.date.today().isoformat()


def build(threshold: float = 0.80) -> dict[str, Any]:
    """Train on ``training.csv``, evaluate on ``heldout.csv``; the complete model dict."""
    rows = runtime.read_rows(TRAINING_PATH)
    model = fit(rows)
    corpus = digest(TRAINING_PATH)
    date = _training_date()
    model["version"] = f"{date}.{corpus[:8]}"
    model["trained_at"] = date
    model["training"]["corpus_sha256"] = corpus
    model["heldout"] = evaluate(model, runtime.read_rows(HELDOUT_PATH), threshold)
    return model


def write(model: dict[str, Any], path: Path = runtime.MODEL_PATH) -> None:
    """Write the model as compact UTF-8 JSON, one feature per line (diffs stay readable)."""
    import json

    head = {k: v for k, v in model.items() if k not in ("vocabulary", "idf", "weights")}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False, sort_keys=True)},")
    for k in ("vocabulary", "idf"):
        lines.append(f"{json.dumps(k)}: {json.dumps(model[k], ensure_ascii=False)},")
    lines.append('"weights": [')
    rows = [json.dumps(r, separators=(",", ":")) for r in model["weights"]]
    lines.append(",\n".join(rows))
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hotline_classifier.train")
    parser.add_argument("--threshold", type=float, default=0.80, help="auto-dispatch confidence")
    parser.add_argument("--output", type=Path, default=runtime.MODEL_PATH)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    model = build(args.threshold)
    write(model, args.output)
    held = model["heldout"]
    worst = sorted(held["per_class"].items(), key=lambda kv: kv[1])[:3]
    print(
        f"{args.output.name}: {len(model['classes'])} classes, "
        f"{model['training']['features']} features, T={model['temperature']}, "
        f"{args.output.stat().st_size / 1e6:.2f} MB, {time.perf_counter() - start:.1f} s"
    )
    print(
        f"held-out accuracy {held['accuracy']:.4f} on {held['rows']} rows; "
        f"{held['share_above_threshold']:.1%} at confidence >= {held['threshold']} "
        f"(accuracy there {held['accuracy_above_threshold']}); worst: {worst}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
