"""诉求自动分类 throughput on 400-character messages: texts classified per second by the
shipped model with its keywords bound (``classify_many``, and one ``predict`` call at a
time), against plain ``jieba.lcut`` of the same texts (jieba's default tokenizer and
settings) measured in the same run; ``ratio`` = classified / segmented per second. The
classifier segments each text itself, so the ratio says what folding (NFKC, OpenCC
t2s), character n-grams, keyword matching, NumPy scoring over every leaf and the
softmax cost on top of one segmentation: target ≥ 0.5.

The messages are made from the shipped corpus (``model/corpus.csv``): each leaf's rows
joined until 400 characters. Also the cold start of a fresh process (first call: jieba
dictionary + model JSON) against initialising jieba alone.

The machine is shared, so the rates are timed in short slices alternating with the
baseline and the medians compared (as the cryptography benchmark does)."""

from __future__ import annotations

import logging
import statistics
import subprocess
import sys

from bench.common import rate, result

LENGTH = 400
COLD = """
import time
t = time.perf_counter()
{body}
print(time.perf_counter() - t)
"""
COLD_CLASSIFY = "from yiwang.hotline.classify import classify; classify('暖气不热')"
COLD_JIEBA = "import logging, jieba; jieba.setLogLevel(logging.WARNING); jieba.initialize()"


def _cold(body: str) -> float:
    """Seconds from nothing loaded to ``body`` done, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", COLD.format(body=body)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def messages(count: int) -> list[str]:
    """``count`` messages of LENGTH characters, each from one leaf's corpus rows."""
    from yiwang.hotline import classify as clf

    by_leaf: dict[str, list[str]] = {}
    for row in clf.read_corpus():
        by_leaf.setdefault(row["leaf"], []).append(row["text"])
    out: list[str] = []
    leaves = sorted(by_leaf)
    while len(out) < count:
        for leaf in leaves:
            texts = by_leaf[leaf]
            start = len(out) % len(texts)
            text = "。".join(texts[start:] + texts[:start])
            while len(text) < LENGTH:
                text += "。" + text
            out.append(text[:LENGTH])
            if len(out) == count:
                break
    return out


def run(quick: bool = False) -> list[dict]:
    """Alternate plain segmentation and classification slices over the messages."""
    import jieba

    from yiwang.hotline import classify as clf

    jieba.setLogLevel(logging.WARNING)
    texts = messages(100 if quick else 400)
    rounds, seconds = (3, 0.3) if quick else (7, 1.0)
    model = clf.classifier()

    def segment() -> int:
        for t in texts:
            jieba.lcut(t)
        return len(texts)

    def many() -> int:
        return len(clf.classify_many(texts, model))

    def one_by_one() -> int:
        for t in texts:
            model.predict(t)
        return len(texts)

    segment(), many()  # warm caches (jieba's, the model's)
    out: list[dict] = []
    baselines_all: list[float] = []
    for name, fn in (("classify_many_per_s", many), ("classify_one_per_s", one_by_one)):
        baselines, values = [], []
        for _ in range(rounds):
            baselines.append(rate(segment, seconds))
            values.append(rate(fn, seconds))
        baselines_all += baselines
        out.append(
            result(
                name,
                statistics.median(values),
                "texts/s",
                statistics.median(baselines),
                "jieba_lcut_per_s",
                texts=len(texts),
                chars=LENGTH,
                leaves=len(model.classes),
                features=len(model.index),
                model=model.model.get("version"),
            )
        )
    out.insert(0, result("jieba_lcut_per_s", statistics.median(baselines_all), "texts/s"))
    tries = 1 if quick else 3
    cold = min(_cold(COLD_CLASSIFY) for _ in range(tries))
    jieba_only = min(_cold(COLD_JIEBA) for _ in range(tries))
    out.append(result("cold_first_call_s", cold, "s", jieba_only, "jieba_init_s"))
    return out
