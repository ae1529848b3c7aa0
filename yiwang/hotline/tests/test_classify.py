"""诉求自动分类 (no database): the shipped model against the taxonomy it was built from —
every leaf reachable from its own description — calibrated confidences against the
auto-dispatch threshold, the 中类/大类 suggestion when no leaf is sure, keyword evidence
for a leaf added after training, folding, long texts, and JSON (never pickle) models."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from django.conf import settings

from yiwang.hotline import classify as clf
from yiwang.hotline import learning

TAXONOMY = clf.MODEL_DIR.parent / "fixtures" / "taxonomy.json"
# Share of leaves allowed to miss their own name and description (measured and printed).
LEAF_MISS_CEILING = 0.10
GIBBERISH = ["asdfgh qwerty", "啊啊啊啊啊", "哈哈哈 随便说说", "。。。？？？", "12345"]


@pytest.fixture(scope="module")
def nodes() -> dict[str, dict]:
    return {n["code"]: n for n in json.loads(TAXONOMY.read_text(encoding="utf-8"))["nodes"]}


@pytest.fixture(scope="module")
def leaves(nodes) -> list[dict]:
    return [n for code, n in sorted(nodes.items()) if len(code) == 6]


def test_model_classes_are_the_taxonomy_leaves(leaves):
    """The shipped model knows exactly the leaves (小类) of the taxonomy fixture."""
    assert clf.classifier().classes == [n["code"] for n in leaves]


def test_every_leaf_is_predicted_from_its_own_description(leaves):
    """Systematic walk: each leaf's name and description lead back to it (大类 too)."""
    misses, level1_misses = [], []
    for n in leaves:
        p = clf.classify(f"{n['name']}：{n.get('description', '')}")
        if p.code != n["code"]:
            misses.append((n["code"], p.code))
        if p.level1 != n["code"][:2]:
            level1_misses.append(n["code"])
    rate = len(misses) / len(leaves)
    print(f"\nleaf misses {len(misses)}/{len(leaves)} ({rate:.1%}): {misses[:10]}")
    print(f"大类 misses {len(level1_misses)}: {level1_misses[:10]}")
    assert rate <= LEAF_MISS_CEILING
    assert len(level1_misses) / len(leaves) <= LEAF_MISS_CEILING


def test_gibberish_is_left_for_an_agent():
    threshold = settings.YIWANG["HOTLINE_AUTO_DISPATCH_CONFIDENCE"]
    for text in GIBBERISH:
        p = clf.classify(text)
        assert p.confidence < threshold, text
        assert p.suggestion(threshold)[1] is False


def test_prediction_adds_up_to_upper_levels():
    p = clf.classify("小区物业不给修电梯已经两个月了，物业费照收")
    assert p.ranked[0] == (p.code, round(p.confidence, 4))
    assert [x for _, x in p.ranked] == sorted((x for _, x in p.ranked), reverse=True)
    assert p.level1 is not None and p.level2 is not None
    assert p.level1_confidence >= p.level2_confidence - 1e-9
    assert p.level2_confidence >= p.confidence - 1e-9 or p.level2 != p.code[:4]


def test_suggestion_falls_back_to_the_dominating_upper_level():
    p = clf.Prediction("010101", 0.4, [], "0101", 0.6, "01", 0.9)
    assert p.suggestion(0.8) == ("01", False)
    assert p.suggestion(0.55) == ("0101", False)
    assert p.suggestion(0.3) == ("010101", True)
    assert clf.Prediction("010101", 0.2, [], "0101", 0.3, "01", 0.4).suggestion(0.8) == (
        "010101",
        False,
    )


def test_keywords_make_a_new_leaf_reachable_without_retraining(leaves):
    """A leaf added after training has no weights; its keywords alone can win."""
    model = clf.classifier()
    parent = leaves[0]["code"][:4]
    new = f"{parent}99"
    words = ["蹦床馆", "蹦床公园", "跳跳床"]
    text = "小区旁边新开的蹦床馆，蹦床公园押金不退，跳跳床设施老旧"
    assert model.predict(text).code != new
    bound = model.rebind({**model.model["keywords"], new: words})
    assert bound.predict(text).code == new
    assert sorted(bound.keywords.matches(clf.normalise(text))[new]) == sorted(words)


def test_retired_leaf_is_not_suggested(leaves):
    model = clf.classifier()
    p = model.predict("小区物业不给修电梯")
    kept = {k: v for k, v in model.model["keywords"].items() if k != p.code}
    assert model.rebind(kept).predict("小区物业不给修电梯").code != p.code


def test_traditional_and_full_width_fold():
    simplified = clf.classify("小区物业不给修电梯已经两个月了")
    traditional = clf.classify("小區物業不給修電梯已經兩個月了")
    assert traditional.code == simplified.code
    assert traditional.confidence == pytest.approx(simplified.confidence)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None, "\x00"])
def test_empty_text_has_no_code(text):
    p = clf.classify(text)
    assert (p.code, p.confidence, p.ranked) == (None, 0.0, [])


def test_long_letters_are_read_from_their_opening():
    """A 10,000-character letter is accepted; its opening decides, quickly."""
    opening = "小区物业不给修电梯已经两个月了，物业费照收。"
    text = opening + "我们一家人都很着急。" * 1000
    start = time.perf_counter()
    p = clf.classify(text)
    assert time.perf_counter() - start < 1.0
    assert p.code == clf.classify(opening + "我们一家人都很着急。" * 50).code


def test_classify_many_matches_classify():
    texts = ["暖气不热屋里才十四度", "孩子上学报名要什么材料", ""]
    assert clf.classify_many(texts) == [clf.classify(t) for t in texts]


def test_shipped_model_is_plain_json_and_round_trips(tmp_path):
    """The model is JSON (no pickle anywhere), and a tiny model trained here survives
    being written and read back with identical predictions."""
    pytest.importorskip("sklearn")
    from tools.hotline_classifier import train

    raw = clf.MODEL_PATH.read_bytes()
    assert raw.lstrip().startswith(b"{") and b"pickle" not in raw[:200]
    rows = [
        learning.Row("暖气不热 供暖 室温低", "010301"),
        learning.Row("暖气片不热 供热公司", "010301"),
        learning.Row("物业 电梯 物业费", "010201"),
        learning.Row("物业不作为 电梯坏了", "010201"),
    ]
    keywords = {"010301": ["暖气", "供暖"], "010201": ["物业", "电梯"]}
    model = learning.fit(rows, keywords=keywords, c=1.0, min_df=1)
    path = tmp_path / "m.json"
    train.write(model, path)
    again = clf.Classifier(json.loads(path.read_text(encoding="utf-8")))
    first = clf.Classifier(model)
    for text in ("暖气不热", "电梯坏了物业不管"):
        assert again.predict(text) == first.predict(text)
    assert again.predict("暖气不热").code == "010301"


def test_runtime_does_not_import_scikit_learn():
    code = (
        "import sys; from yiwang.hotline.classify import classify; "
        "p = classify('暖气不热屋里才十四度'); "
        "print(bool(p.code), any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["True", "False"]
    assert "Building prefix dict" not in done.stderr  # jieba initialises quietly


def test_report_counts_precision_recall_and_abstentions():
    rep = learning.report(["01", "01", "02", "02"], ["01", None, "01", "02"])
    assert rep["accuracy"] == 0.5
    assert rep["per_class"]["01"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert rep["per_class"]["02"]["precision"] == 1.0
    assert rep["macro_f1"] == pytest.approx((0.5 + 2 / 3) / 2, abs=1e-3)


def test_evaluation_tool_reports_per_level1_figures(tmp_path, capsys):
    """The evaluation script reads a cases file and reports per 大类 figures, abstain
    rate and coverage (here on three messages of our own, not the real-case file)."""
    from tools.hotline_classifier import evaluate

    cases = tmp_path / "cases.csv"
    cases.write_text(
        "id,text,level1,level2\n"
        "a,小区物业不给修电梯已经两个月了,01,0102\n"
        "b,工地晚上施工噪音太大吵得睡不着,02,0202\n"
        "c,孩子今年上小学一年级，入学报名需要准备什么材料,04,0402\n",
        encoding="utf-8",
    )
    out = tmp_path / "eval.json"
    assert evaluate.main([str(cases), "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))["model"]
    assert figures["n"] == 3 and figures["level1"]["accuracy"] == 1.0
    assert set(figures["level1"]["per_class"]) == {"01", "02", "04"}
    assert 0.0 <= figures["abstain_rate"] <= 1.0 and figures["coverage"] > 0.5
    assert "| 01 城乡建设 |" in capsys.readouterr().out


def test_boilerplate_is_cut_out_before_scoring():
    """A model listing 套话 (stop phrases) scores a message the same with or without the
    greetings and thanks every caller adds: they cannot vote for a leaf."""
    pytest.importorskip("sklearn")
    rows = [
        learning.Row("您好 暖气不热 供暖 室温低 谢谢", "010301"),
        learning.Row("暖气片不热 供热公司", "010301"),
        learning.Row("物业 电梯 物业费", "010201"),
        learning.Row("您好 物业不作为 电梯坏了 尽快处理", "010201"),
    ]
    keywords = {"010301": ["暖气", "供暖"], "010201": ["物业", "电梯"]}
    model = learning.fit(rows, keywords=keywords, c=1.0, min_df=1, stop_phrases=clf.BOILERPLATE)
    assert model["stop_phrases"] and "您好" not in model["vocabulary"]
    scorer = clf.Classifier(model)
    plain = scorer.scores("暖气不热")
    assert plain is not None
    assert (scorer.scores("您好，暖气不热，希望有关部门尽快处理，谢谢！") == plain).all()


def test_evaluation_tool_reports_a_figure_over_chosen_classes(tmp_path):
    """``--classes`` gives macro-F1 over the listed 大类 only: other messages are left
    out, a prediction outside the list is a miss."""
    from tools.hotline_classifier import evaluate

    rep = evaluate.restricted(["01", "02", "08"], ["01", "08", "08"], ["01", "02"])
    assert rep["n"] == 2 and rep["accuracy"] == 0.5
    assert set(rep["per_class"]) == {"01", "02"} and rep["macro_f1"] == 0.5
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "id,text,level1\na,小区物业不给修电梯已经两个月了,01\nb,工地晚上施工噪音太大,02\n",
        encoding="utf-8",
    )
    out = tmp_path / "eval.json"
    assert evaluate.main([str(cases), "--classes", "01,02", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))["model"]
    assert set(figures["classes"]["per_class"]) == {"01", "02"}
