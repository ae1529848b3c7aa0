"""诉求自动分类 evaluation on a labelled file of messages the model has never seen.

``python -m tools.hotline_classifier.evaluate CASES.csv [--model classifier.json]
[--old-model OLD.json] [--json OUT.json]``

``CASES.csv`` has columns ``id,text,level1`` (大类, 2 digits) and optionally ``level2``
(中类, 4 digits) — e.g. ``eval/real_cases.csv``, descriptions of real cases, kept for
evaluation only: nothing here trains or tunes on it. Printed (Markdown) and written
(``--json``): per 大类 precision/recall/F1, macro-F1 and accuracy at 大类 and 中类 level
(a prediction's level is its top leaf's code prefix; also, at 大类 level, the 大类 with
the largest summed probability), the abstain rate (top leaf below the auto-dispatch
confidence) with the 大类 accuracy of the rest, and the coverage of features (share of
a message's words the model knows).

``--classes 01,02,…`` adds the figure over those 大类 only: messages of other 大类 are
left out, the macro mean is over the listed 大类, and a prediction outside them counts
as wrong (how the platform is measured externally on 大类 01–07).

``--old-model`` scores the previous flat model (format ``yiwang.hotline.classifier/1``,
36 leaves with 4-digit codes) on the same file as a baseline: its codes are mapped to the
new tree through each leaf's ``replaces`` (old code → new leaf → its 大类/中类).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from tools.hotline_classifier.corpus import TAXONOMY, load_taxonomy, replacements
from yiwang.hotline import classify as runtime
from yiwang.hotline import learning

THRESHOLD = 0.80  # YIWANG["HOTLINE_AUTO_DISPATCH_CONFIDENCE"] by default


def read_cases(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [r for r in csv.DictReader(f) if r.get("text") and r.get("level1")]


class OldModel:
    """The previous flat model's scorer (format 1: dense weights, jieba words and
    character bigrams), kept here to measure the baseline; it answers old 4-digit codes."""

    def __init__(self, model: dict[str, Any]) -> None:
        self.classes = list(model["classes"])
        self.intercept = [float(x) for x in model["intercept"]]
        self.temperature = float(model.get("temperature", 1.0))
        self.hmm = bool(model.get("tokenizer", {}).get("hmm", False))
        self.rows = {
            w: [float(idf) * float(x) for x in model["weights"][i]]
            for i, (w, idf) in enumerate(zip(model["vocabulary"], model["idf"], strict=True))
        }
        self.idf = dict(zip(model["vocabulary"], map(float, model["idf"]), strict=True))
        self.index = self.rows

    def predict(self, text: str) -> tuple[str | None, float]:
        norm = runtime.normalise(text)[:2000]
        if not norm:
            return None, 0.0
        counts = Counter(
            t for t in runtime.tokens(norm, hmm=self.hmm, ngrams=(2,)) if t in self.rows
        )
        scores = list(self.intercept)
        if counts:
            weights = {t: 1.0 + math.log(c) for t, c in counts.items()}
            norm2 = math.sqrt(sum((w * self.idf[t]) ** 2 for t, w in weights.items()))
            for t, w in weights.items():
                for j, x in enumerate(self.rows[t]):
                    scores[j] += w * x / norm2
        top = max(scores)
        exps = [math.exp((s - top) / self.temperature) for s in scores]
        best = max(range(len(scores)), key=scores.__getitem__)
        return self.classes[best], exps[best] / sum(exps)


def _coverage(words_known, texts: list[str], hmm: bool) -> float:
    shares = []
    for text in texts:
        words = runtime.tokens(runtime.normalise(text)[: runtime.SCORE_CHARS], hmm=hmm, ngrams=())
        if words:
            shares.append(sum(w in words_known for w in words) / len(words))
    return round(sum(shares) / len(shares), 4) if shares else 0.0


def evaluate_new(
    model: dict[str, Any],
    cases: list[dict[str, str]],
    threshold: float,
    classes: list[str] | None = None,
) -> dict:
    """Figures of a new-format model (leaf codes of the three-level tree)."""
    clf = runtime.Classifier(model)
    preds = [clf.predict(c["text"], top=1) for c in cases]
    codes = [p.code or "" for p in preds]
    return _figures(
        cases, codes, [p.level1 for p in preds], [p.confidence for p in preds], threshold, classes
    ) | {"coverage": _coverage(clf.index, [c["text"] for c in cases], clf.hmm)}


def evaluate_old(
    model: dict[str, Any],
    cases: list[dict[str, str]],
    threshold: float,
    taxonomy: Path,
    classes: list[str] | None = None,
) -> dict:
    """Figures of the old flat model, its codes mapped through ``replaces``."""
    _nodes, leaves = load_taxonomy(taxonomy)
    remap = replacements(leaves)
    old = OldModel(model)
    preds = [old.predict(c["text"]) for c in cases]
    codes = [remap.get(code or "", "") for code, _p in preds]
    return _figures(cases, codes, None, [p for _c, p in preds], threshold, classes) | {
        "coverage": _coverage(old.index, [c["text"] for c in cases], old.hmm)
    }


def restricted(truth: list[str], pred: list[str | None], classes: list[str]) -> dict[str, Any]:
    """大类 figures over ``classes`` only: messages of those 大类, macro mean over them; a
    prediction of another 大类 is simply wrong (a miss, no false positive counted)."""
    keep = [i for i, t in enumerate(truth) if t in classes]
    return learning.report([truth[i] for i in keep], [pred[i] for i in keep])


def _figures(
    cases,
    codes: list[str],
    summed: list[str | None] | None,
    confidences,
    threshold,
    classes: list[str] | None = None,
) -> dict:
    truth1 = [c["level1"].strip()[:2] for c in cases]
    pred1 = [c[:2] or None for c in codes]
    out: dict[str, Any] = {"n": len(cases), "level1": learning.report(truth1, pred1)}
    if classes:
        out["classes"] = restricted(truth1, pred1, classes)
    if summed is not None:
        out["level1_summed"] = learning.report(truth1, summed)
    with_l2 = [
        (c["level2"].strip()[:4], code)
        for c, code in zip(cases, codes, strict=True)
        if (c.get("level2") or "").strip()
    ]
    if with_l2:
        out["level2"] = learning.report(
            [t for t, _ in with_l2], [p[:4] or None for _, p in with_l2]
        )
    sure = [i for i, p in enumerate(confidences) if p >= threshold]
    out["threshold"] = threshold
    out["abstain_rate"] = round(1 - len(sure) / len(cases), 4) if cases else 0.0
    out["level1_accuracy_when_sure"] = (
        round(sum(codes[i][:2] == truth1[i] for i in sure) / len(sure), 4) if sure else None
    )
    return out


def markdown(name: str, figures: dict[str, Any], names: dict[str, str]) -> str:
    """A Markdown section: headline numbers and the per-大类 table."""
    l1 = figures["level1"]
    lines = [
        f"### {name}",
        "",
        f"- messages: {figures['n']}",
        f"- 大类 macro-F1 **{l1['macro_f1']:.3f}**, accuracy {l1['accuracy']:.3f}",
    ]
    if "level1_summed" in figures:
        s = figures["level1_summed"]
        lines.append(
            f"- 大类 by summed probability: macro-F1 {s['macro_f1']:.3f}, accuracy {s['accuracy']:.3f}"
        )
    if "classes" in figures:
        r = figures["classes"]
        lines.append(
            f"- 大类 {', '.join(r['per_class'])} only ({r['n']} messages): macro-F1 "
            f"**{r['macro_f1']:.3f}**, accuracy {r['accuracy']:.3f}"
        )
    if "level2" in figures:
        l2 = figures["level2"]
        lines.append(
            f"- 中类 macro-F1 {l2['macro_f1']:.3f}, accuracy {l2['accuracy']:.3f} ({l2['n']} messages)"
        )
    lines.append(
        f"- abstain rate (top leaf < {figures['threshold']}): {figures['abstain_rate']:.1%}; "
        f"大类 accuracy of the rest: {figures['level1_accuracy_when_sure']}"
    )
    lines.append(f"- coverage of features (share of words known): {figures['coverage']:.1%}")
    lines += ["", "| 大类 | precision | recall | F1 | messages |", "|---|---|---|---|---|"]
    for code, m in l1["per_class"].items():
        lines.append(
            f"| {code} {names.get(code, '')} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hotline_classifier.evaluate")
    parser.add_argument("cases", type=Path)
    parser.add_argument("--model", type=Path, default=runtime.MODEL_PATH)
    parser.add_argument("--old-model", type=Path)
    parser.add_argument("--taxonomy", type=Path, default=TAXONOMY)
    parser.add_argument("--threshold", type=float, default=THRESHOLD)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--classes", help="大类 codes, comma-separated: figure over those only")
    args = parser.parse_args(argv)
    classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
    cases = read_cases(args.cases)
    nodes, _leaves = load_taxonomy(args.taxonomy)
    names = {c: n["name"] for c, n in nodes.items() if len(c) == 2}
    model = runtime.load_model(args.model)
    result = {"model": evaluate_new(model, cases, args.threshold, classes)}
    print(markdown(f"model {model.get('version', '')}", result["model"], names))
    if args.old_model:
        old = json.loads(args.old_model.read_text(encoding="utf-8"))
        result["old_model"] = evaluate_old(old, cases, args.threshold, args.taxonomy, classes)
        print(
            markdown(f"old model {old.get('version', '')} (baseline)", result["old_model"], names)
        )
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
