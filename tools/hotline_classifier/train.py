"""诉求自动分类 training: fit the shipped model on ``yiwang/hotline/model/corpus.csv`` (built
by ``tools.hotline_classifier.corpus`` from government text, no citizen labels) and
export it as plain JSON (``classifier.json``), never a pickle.

Run ``python -m tools.hotline_classifier.train`` from the repository (or ``make
classifier``). The fitting itself is ``yiwang.hotline.learning.fit`` — the same code the
platform retrains with — : TF-IDF over jieba words and character bigrams, logistic
regression, the keyword weight and softmax temperature chosen on the corpus's
development split (``split=dev``: examples kept aside), then a refit on every row.
Afterwards the exported JSON is scored through the runtime scorer on the development
split and on the hand-written development messages (``dev_messages.csv``, 大类 level),
and the figures recorded in the file. ``SOURCE_DATE_EPOCH`` fixes the recorded date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from tools.hotline_classifier.corpus import OUTPUT as CORPUS
from yiwang.hotline import classify as runtime
from yiwang.hotline import learning

HERE = Path(__file__).resolve().parent
DEV_MESSAGES = HERE / "dev_messages.csv"
THRESHOLD = 0.80


def digest(path: Path) -> str:
    """SHA-256 (hex) of a file: records which corpus and dictionary a model came from."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus_rows(path: Path = CORPUS) -> tuple[list[learning.Row], list[tuple[str, str]]]:
    """(training rows, development pairs) of a corpus CSV."""
    train, dev = [], []
    for r in runtime.read_corpus(path):
        if r["split"] == "dev":
            dev.append((r["text"], r["leaf"]))
        else:
            train.append(learning.Row(r["text"], r["leaf"], float(r["weight"]), r["source"]))
    return train, dev


def keywords_of(rows: list[learning.Row]) -> dict[str, list[str]]:
    """Leaf → keywords, as written in the corpus (its ``keyword`` and name rows)."""
    out: dict[str, list[str]] = {}
    for r in rows:
        if r.source == "keyword":
            out.setdefault(r.leaf, []).append(r.text)
    return out


def dev_messages(path: Path = DEV_MESSAGES) -> list[tuple[str, str]]:
    """Hand-written development messages (text, 大类 code)."""
    if not path.exists():
        return []
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["level1"]) for r in csv.DictReader(f)]


def level1_figures(model: dict[str, Any], rows: list[tuple[str, str]]) -> dict[str, Any]:
    """大类 figures of the model on (text, 大类) rows."""
    clf = runtime.Classifier(model)
    preds = [clf.predict(t, top=1) for t, _ in rows]
    rep = learning.report([c for _, c in rows], [p.level1 for p in preds])
    leafy = learning.report([c for _, c in rows], [(p.code or "")[:2] for p in preds])
    return {"level1_sum": rep, "level1_of_leaf": leafy}


def taxonomy_keywords() -> dict[str, list[str]]:
    """Leaf → its name, keywords and synonyms, as in the taxonomy fixture."""
    nodes = json.loads(
        (runtime.MODEL_DIR.parent / "fixtures" / "taxonomy.json").read_text(encoding="utf-8")
    )["nodes"]
    return {
        n["code"]: runtime.terms(n["name"], n.get("keywords") or [])
        for n in nodes
        if len(n["code"]) == 6
    }


def build(path: Path = CORPUS, **options) -> dict[str, Any]:
    """Train on the corpus; the complete model dict with its development figures."""
    train, dev = corpus_rows(path)
    keywords = taxonomy_keywords()
    model = learning.fit(train, keywords=keywords, dev=dev, **options)
    date = _training_date()
    corpus = digest(path)
    model["version"] = f"{date}.{corpus[:8]}"
    model["trained_at"] = date
    model["training"]["corpus_sha256"] = corpus
    model["training"]["userdict_sha256"] = digest(runtime.USERDICT_PATH)
    messages = dev_messages()
    if messages:
        model["dev_messages"] = level1_figures(model, messages)
    return model


def _training_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
    return dt.date.today().isoformat()


def write(model: dict[str, Any], path: Path = runtime.MODEL_PATH) -> None:
    """Write the model as compact UTF-8 JSON, one feature per line (diffs stay readable)."""
    big = ("vocabulary", "idf", "weights")
    head = {k: v for k, v in model.items() if k not in big}
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False, sort_keys=True)},")
    for k in ("vocabulary", "idf"):
        lines.append(f"{json.dumps(k)}: {json.dumps(model[k], ensure_ascii=False)},")
    lines.append('"weights": [')
    lines.append(",\n".join(json.dumps(r, separators=(",", ":")) for r in model["weights"]))
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hotline_classifier.train")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--output", type=Path, default=runtime.MODEL_PATH)
    parser.add_argument("--c", type=float, default=learning.C)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    model = build(args.corpus, c=args.c)
    write(model, args.output)
    print(
        f"{args.output.name}: {len(model['classes'])} leaves, "
        f"{model['training']['features']} features, T={model['temperature']}, "
        f"keyword weight {model['keyword_weight']}, "
        f"{args.output.stat().st_size / 1e6:.2f} MB, {time.perf_counter() - start:.1f} s"
    )
    d = model["training"].get("dev")
    if d:
        if True:
            print(
                f"dev split: leaf macro-F1 {d['leaf']['macro_f1']} acc {d['leaf']['accuracy']}; "
                f"大类 macro-F1 {d['level1']['macro_f1']} acc {d['level1']['accuracy']}; "
                f"abstain {d['abstain_rate']}"
            )
    if "dev_messages" in model:
        m = model["dev_messages"]
        print(
            f"dev messages (大类): summed macro-F1 {m['level1_sum']['macro_f1']} "
            f"acc {m['level1_sum']['accuracy']}; of leaf macro-F1 "
            f"{m['level1_of_leaf']['macro_f1']} acc {m['level1_of_leaf']['accuracy']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
