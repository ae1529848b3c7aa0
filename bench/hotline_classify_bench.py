"""诉求自动分类 throughput: tickets classified per second by ``classify_many`` over the
held-out corpus (1,800 tickets, repeated), against jieba segmentation alone of the same
texts with the classifier's own tokenizer (precise mode, same HMM setting) measured in
the same run; ``ratio`` = classified / segmented per second, so ``1 - ratio`` is the
share of time the model adds (folding, features, scoring). Also one ``classify`` call at
a time, and the cold start of a fresh process (first call: jieba dictionary + model JSON)
against initialising jieba alone.

The machine is shared, so the rates are timed in short slices alternating with the
baseline and the medians compared (as the cryptography benchmark does)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from bench.common import rate, result

COLD = """
import time
t = time.perf_counter()
{body}
print(time.perf_counter() - t)
"""
COLD_CLASSIFY = "from yiwang.hotline.classify import classify; classify('暖气不热')"
COLD_JIEBA = (
    "import logging, jieba; jieba.setLogLevel(logging.WARNING); jieba.Tokenizer().initialize()"
)


def _cold(body: str) -> float:
    """Seconds from nothing loaded to ``body`` done, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", COLD.format(body=body)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def run(quick: bool = False) -> list[dict]:
    """Alternate segmentation and classification slices over the held-out texts."""
    from tools.hotline_classifier.make_corpus import HELDOUT_PATH
    from yiwang.hotline import classify as clf

    rows = clf.read_rows(HELDOUT_PATH)
    texts = [t for t, _ in rows][: 360 if quick else None]
    rounds, seconds = (3, 0.2) if quick else (7, 1.0)
    model = clf.classifier()
    tk = clf.tokenizer()
    hmm = model.hmm

    def segment() -> int:
        for t in texts:
            tk.lcut(t, HMM=hmm)
        return len(texts)

    def many() -> int:
        return len(clf.classify_many(texts))

    def one_by_one() -> int:
        for t in texts:
            clf.classify(t)
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
                "jieba_segment_per_s",
                texts=len(texts),
                avg_chars=round(sum(map(len, texts)) / len(texts), 1),
            )
        )
    out.insert(0, result("jieba_segment_per_s", statistics.median(baselines_all), "texts/s"))
    start = time.perf_counter()
    accuracy = clf.accuracy(rows[: len(texts)])
    out.append(
        result(
            "heldout_accuracy",
            accuracy,
            "share",
            rows=len(texts),
            seconds=round(time.perf_counter() - start, 2),
            model=model.model.get("version"),
        )
    )
    tries = 1 if quick else 3
    cold = min(_cold(COLD_CLASSIFY) for _ in range(tries))
    jieba_only = min(_cold(COLD_JIEBA) for _ in range(tries))
    out.append(result("cold_first_call_s", cold, "s", jieba_only, "jieba_init_s"))
    return out
