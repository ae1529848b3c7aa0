"""诉求自动分类: k-fold cross-validation on the real-style development set.

``python -m tools.hotline_classifier.crossval [--folds 5] [--balance 0 1] [--real-weight 3]``

``dev_real.csv`` (328 citizen-style messages, 大类 and 中类 labels, no leaf) is split in
``folds`` parts, stratified by 大类 (rows sorted by id, dealt out in turn). Each part is
scored by a model trained on the shipped corpus plus the other parts. A development
message has no leaf label: it is trained on the leaf of its 中类 that the shipped model
(which never saw it) scores highest — the 中类 is the label, the model only picks the
most typical leaf inside it. For every fit the keyword weights of ``GRID``
are tried at scoring time (no refit), and the 大类 is read two ways: the top leaf's
prefix, and the 大类 with the largest summed probability. Printed: 大类 macro-F1 and
accuracy of the pooled out-of-fold predictions, and the macro-F1 over 大类 01–07 only
(messages of those 大类; a prediction outside them is wrong).

Only the development set is used here; the evaluation file is never read.
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

from tools.hotline_classifier import train as training
from yiwang.hotline import classify as runtime
from yiwang.hotline import learning

HERE = Path(__file__).resolve().parent
DEV_REAL = HERE / "dev_real.csv"
LEAVES = HERE / "dev_real_leaves.csv"  # id → leaf chosen within its 中类, fixed once
SEVEN = tuple(f"{i:02d}" for i in range(1, 8))
REAL_WEIGHT = 3.0  # a development message counts like a taxonomy example
GRID = (0.1, 0.25, 0.5, 1.0, 2.0)  # keyword weights tried at scoring time


def read_dev(path: Path = DEV_REAL) -> list[dict[str, str]]:
    """Rows of the development set (id, text, level1, level2)."""
    with path.open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r.get("text") and r.get("level1")]


def folds_of(rows: list[dict[str, str]], k: int) -> list[int]:
    """Fold of each row: within a 大类, rows sorted by id are dealt out in turn."""
    by_l1: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_l1[r["level1"]].append(i)
    fold = [0] * len(rows)
    for idx in by_l1.values():
        for n, i in enumerate(sorted(idx, key=lambda j: rows[j]["id"])):
            fold[i] = n % k
    return fold


def typical_leaf(clf: runtime.Classifier, text: str, level2: str, level1: str) -> str:
    """The leaf of ``level2`` (else of ``level1``) that ``clf`` scores highest for text."""
    scores = clf.scores(text)
    for prefix in (level2, level1):
        cols = [j for j, c in enumerate(clf.classes) if prefix and c.startswith(prefix)]
        if cols and scores is not None:
            return clf.classes[max(cols, key=lambda j: scores[j])]
    raise ValueError(f"no leaf under {level2 or level1}")


def write_leaves(rows: list[dict[str, str]], model: Path, path: Path = LEAVES) -> None:
    """Fix each development message's leaf: the leaf of its 中类 that ``model`` (one that
    never saw the set) scores highest. Written once, so the corpus is reproducible."""
    clf = runtime.Classifier(runtime.load_model(model))
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "leaf"])
        for r in rows:
            w.writerow([r["id"], typical_leaf(clf, r["text"], r["level2"], r["level1"])])


def leaves_of(path: Path = LEAVES) -> dict[str, str]:
    """Development message id → its fixed leaf."""
    with path.open(encoding="utf-8", newline="") as f:
        return {r["id"]: r["leaf"] for r in csv.DictReader(f)}


def real_rows(rows: list[dict[str, str]], weight: float = REAL_WEIGHT) -> list[learning.Row]:
    """Training rows of development messages, each on its fixed leaf (``LEAVES``)."""
    leaf = leaves_of()
    return [learning.Row(r["text"], leaf[r["id"]], weight, "real") for r in rows]


def macro(truth: list[str], pred: list[str | None], classes: tuple[str, ...] | None = None):
    """(macro-F1, accuracy) at 大类 level; with ``classes`` only messages of those count."""
    if classes:
        keep = [i for i, t in enumerate(truth) if t in classes]
        truth, pred = [truth[i] for i in keep], [pred[i] for i in keep]
    rep = learning.report(truth, pred)
    return rep["macro_f1"], rep["accuracy"]


def out_of_fold(args) -> dict[tuple[float, str], list[str | None]]:
    """Pooled out-of-fold 大类 predictions per (keyword weight, way of reading)."""
    dev = read_dev()
    fold = folds_of(dev, args.folds)
    mapped = real_rows(dev, args.real_weight)
    train, corpus_dev = training.corpus_rows()
    train = [r for r in train if r.source != "real"]  # the corpus may hold the set already
    base = list(train) + [
        learning.Row(t, leaf, learning.DEV_WEIGHT, "dev") for t, leaf in corpus_dev
    ]
    keywords = training.taxonomy_keywords()
    stop = runtime.BOILERPLATE if args.stop else ()
    analyzer = learning._analyzer(False, learning.NGRAMS, stop)
    preds: dict[tuple[float, str], list[str | None]] = defaultdict(lambda: [None] * len(dev))
    for k in range(args.folds):
        rows = base + [m for m, f in zip(mapped, fold, strict=True) if f != k and args.real_weight]
        vec, lr = learning._fit_lexical(
            rows,
            c=args.c,
            min_df=learning.MIN_DF,
            max_features=None,
            analyzer=analyzer,
            balance=args.balance,
        )
        model = learning._export(vec, lr, hmm=False, ngrams=learning.NGRAMS, stop=stop)
        model.update(keywords=keywords, temperature=args.temperature, keyword_weight=1.0)
        clf = runtime.Classifier(model)
        for i in (i for i, f in enumerate(fold) if f == k):
            text = dev[i]["text"]
            for w in GRID:
                clf.keyword_weight = w
                p = clf.predict(text, top=1)
                preds[(w, "leaf")][i] = (p.code or "")[:2] or None
                preds[(w, "summed")][i] = p.level1
    return preds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hotline_classifier.crossval")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--balance", type=float, default=learning.BALANCE)
    parser.add_argument("--real-weight", type=float, default=REAL_WEIGHT)
    parser.add_argument("--c", type=float, default=learning.C)
    parser.add_argument("--temperature", type=float, default=0.65)
    parser.add_argument("--stop", action="store_true", help="cut out 套话 (BOILERPLATE)")
    parser.add_argument("--write-leaves", type=Path, metavar="MODEL", help="fix the leaves")
    args = parser.parse_args(argv)
    if args.write_leaves:
        write_leaves(read_dev(), args.write_leaves)
        return 0
    truth = [r["level1"] for r in read_dev()]
    print(f"balance {args.balance} real weight {args.real_weight} C {args.c} stop {args.stop}")
    print("| keyword weight | 大类 from | macro-F1 | accuracy | 7-class macro-F1 |")
    print("|---|---|---|---|---|")
    for (w, how), pred in sorted(out_of_fold(args).items()):
        f1, acc = macro(truth, pred)
        f7, _a7 = macro(truth, pred, SEVEN)
        print(f"| {w} | {how} | {f1:.3f} | {acc:.3f} | {f7:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
