"""诉求自动分类 learning from operation, through the public surface: agents' corrections
become labels (分类标注) in the dispatch action; retraining promotes a candidate only
when it beats the version in use on held-out labels, rejects one that does not, and a
supervisor rolls back; new leaves count through their keywords at once; unsure tickets
wait for an agent; the classifier page is for 值班长 and 大数据局管理员 only."""

from __future__ import annotations

import pytest

from yiwang.core.models import AuditEntry
from yiwang.hotline import classify as runtime
from yiwang.hotline import learning, scoring
from yiwang.hotline.actions.classifier import (
    do_rollback,
    do_start_retrain,
    do_train_candidate,
)
from yiwang.hotline.actions.handling import do_dispatch
from yiwang.hotline.models import Category, ClassificationLabel, ClassifierVersion

# Made-up words the shipped model has never seen: only labels can teach them.
NEW_WORDS = ["咘啵咔嗒", "叽咕哩哒", "嘀嗒咚锵"]
UNSURE = "你好，我想反映一个情况，麻烦尽快处理一下"
TINY = {"c": 20.0, "min_df": 1, "max_features": 2000}


@pytest.fixture
def tiny_base(taxonomy):
    """A small base corpus (one row per leaf: its name and a few keywords) so
    retraining takes a moment."""
    rows = [learning.Row(c.name, c.code) for c in taxonomy]
    rows += [learning.Row(" ".join(c.keywords[:5]) or c.name, c.code) for c in taxonomy]
    return rows, []


def _labelled_tickets(take, agent, city, leaves, per_leaf: int = 12):
    """Tickets taken without a category, then dispatched by the agent to the leaf
    their made-up word stands for (a correction of whatever the model guessed)."""
    dept = city.department("410823", "market")
    for word, leaf in zip(NEW_WORDS, leaves, strict=True):
        for i in range(per_leaf):
            ticket = take(f"{word}的问题又出现了，第{i}次反映，请处理", category=None)
            do_dispatch(actor=agent, ticket=ticket, category=leaf.code, department=dept)


def test_corrections_retrain_promote_reject_and_roll_back(
    taxonomy, tiny_base, take, agent, supervisor, city
):
    leaves = [taxonomy[0], taxonomy[len(taxonomy) // 2], taxonomy[-1]]
    _labelled_tickets(take, agent, city, leaves)
    labels = ClassificationLabel.objects.all()
    assert labels.count() == 36
    assert set(labels.values_list("verdict", flat=True)) <= {"corrected", "confirmed"}
    assert labels.filter(by=agent, model_version=1).count() == 36
    assert AuditEntry.objects.filter(action="hotline.classifier.label").count() == 36

    v2 = do_start_retrain(actor=supervisor)
    v2 = do_train_candidate(
        actor=supervisor, version=v2, base=tiny_base, options=TINY, min_heldout=3
    )
    m = v2.metrics
    print(
        f"\nheld-out {m['heldout']}: candidate {m['candidate']['leaf']['macro_f1']} "
        f"vs shipped {m['active']['leaf']['macro_f1']}"
    )
    assert v2.status == "active", m
    assert m["candidate"]["leaf"]["macro_f1"] > m["active"]["leaf"]["macro_f1"]
    assert scoring.current()[1] == 2
    assert scoring.classify(f"{NEW_WORDS[1]}的问题又出现了")[0].code == leaves[1].code
    # the stored model is JSON and serves predictions after a reload from the row
    assert runtime.Classifier(ClassifierVersion.objects.get(number=2).model).classes

    # the same data again is not better by the margin: rejected, v2 stays in use
    v3 = do_train_candidate(
        actor=supervisor,
        version=do_start_retrain(actor=supervisor),
        base=tiny_base,
        options=TINY,
        min_heldout=3,
    )
    assert v3.status == "rejected"
    assert v3.metrics["candidate"] is not None
    assert scoring.current()[1] == 2

    # too few held-out labels never promote, however good
    v4 = do_train_candidate(
        actor=supervisor,
        version=do_start_retrain(actor=supervisor),
        base=tiny_base,
        options=TINY,
        min_heldout=10_000,
        margin=-1.0,
    )
    assert v4.status == "rejected"

    assert do_rollback(actor=supervisor).number == 1
    assert scoring.current()[1] == 1
    assert ClassifierVersion.objects.get(number=2).status == "retired"
    assert AuditEntry.objects.filter(action="hotline.classifier.rollback").exists()
    assert AuditEntry.objects.filter(action="hotline.classifier.promote").exists()
    assert AuditEntry.objects.filter(action="hotline.classifier.reject").count() == 2
    with pytest.raises(Exception, match="回退"):
        do_rollback(actor=supervisor)


def test_only_supervisors_keep_the_classifier(taxonomy, agent):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        do_start_retrain(actor=agent)
    with pytest.raises(PermissionDenied):
        do_rollback(actor=agent)


def test_new_leaf_counts_through_its_keywords_without_retraining(taxonomy):
    parent = taxonomy[0].parent
    text = "小区旁边新开的蹦床馆，蹦床公园押金不退，跳跳床设施老旧"
    assert scoring.classify(text)[0].code != f"{parent.code}99"
    Category.objects.create(
        code=f"{parent.code}99",
        name="蹦床场所",
        parent=parent,
        line=parent.line,
        keywords=["蹦床馆", "蹦床公园", "跳跳床"],
    )
    assert scoring.classify(text)[0].code == f"{parent.code}99"


def test_unsure_tickets_wait_for_an_agent(taxonomy, take, agent):
    ticket = take("啊啊啊 哈哈哈 随便说说", category=None)
    assert ticket.needs_review is True
    assert ticket.department_id is None
    assert ticket.classifier_version == 1
    assert ticket.confidence is None or ticket.confidence < 0.8


def test_sure_tickets_go_out_and_unsure_ones_are_confirmed_by_the_agent(
    taxonomy, take, agent, city
):
    sure = take("武陟县城关镇一家饭店后厨卫生太差，吃完拉肚子", category=None)
    assert sure.needs_review is False and sure.confidence >= 0.8
    assert sure.category == sure.predicted_category and sure.department_id is not None
    assert not ClassificationLabel.objects.filter(ticket=sure).exists()  # the platform's
    ticket = take(UNSURE, category=None)
    assert ticket.needs_review is True and ticket.predicted_category is not None
    do_dispatch(
        actor=agent,
        ticket=ticket,
        category=ticket.predicted_category.code,
        department=city.department("410823", "market"),
    )
    label = ClassificationLabel.objects.get(ticket=ticket)
    assert (label.verdict, label.leaf_id) == ("confirmed", ticket.predicted_category_id)


@pytest.fixture
def bureau_admin(make_staff):
    return make_staff("bureau_admin", "410800", "big_data")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("supervisor", 200),
        ("bureau_admin", 200),
        ("agent", 403),
        ("wuzhi_market", 403),
        ("county_admin", 403),
        ("county_supervisor", 403),  # one model for the whole city: a county's 值班长 no
        ("county_bureau_admin", 403),
        ("citizen", 403),
    ],
)
def test_classifier_page_is_for_supervisors_and_the_bureau(
    client, request, make_staff, taxonomy, who, status
):
    counties = {
        "county_admin": ("dept_admin", "410823", "market"),
        "county_supervisor": ("hotline_supervisor", "410823", "big_data"),
        "county_bureau_admin": ("bureau_admin", "410823", "big_data"),
    }
    if who in counties:
        user = make_staff(*counties[who])
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get("/hotline/classifier/")
    assert response.status_code == status
    if status == 200:
        assert "v1" in response.content.decode()
    assert client.post("/hotline/classifier/rollback/").status_code in (
        (302,) if status == 200 else (403,)
    )


def test_classifier_page_shows_accuracy_over_time(client, supervisor, taxonomy, take, agent, city):
    ticket = take(UNSURE, category=None)
    do_dispatch(
        actor=agent,
        ticket=ticket,
        category=taxonomy[0].code,
        department=city.department("410823", "market"),
    )
    client.force_login(supervisor)
    page = client.get("/hotline/classifier/").content.decode()
    assert 'id="accuracy-chart"' in page and "accuracy-data" in page
    assert taxonomy[0].code in page


def test_retrain_button_queues_a_candidate(client, supervisor, taxonomy, monkeypatch):
    queued = []
    monkeypatch.setattr(
        "yiwang.hotline.actions.classifier.enqueue_retrain", queued.append, raising=True
    )
    monkeypatch.setattr("yiwang.hotline.views.classifier.enqueue_retrain", queued.append)
    client.force_login(supervisor)
    assert client.post("/hotline/classifier/retrain/").status_code == 302
    assert [v.number for v in queued] == [2]
    assert ClassifierVersion.objects.get(number=2).status == "candidate"
    assert "v2" in client.get("/hotline/classifier/").content.decode()


def test_command_line_lists_versions_and_refuses_a_pointless_rollback(taxonomy):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("classifier", "list", stdout=out)
    assert out.getvalue().startswith("v1\tactive")
    with pytest.raises(CommandError, match="回退"):
        call_command("classifier", "rollback")


def test_weekly_retrain_waits_for_new_labels(taxonomy):
    from yiwang.hotline.actions.classifier import do_scheduled_retrain

    assert do_scheduled_retrain() == "skipped"


def test_unsure_leaf_but_sure_middle_class_suggests_the_middle_class(taxonomy, take, monkeypatch):
    """No leaf reaches the dispatch confidence but their 中类 does: the ticket waits for
    an agent with the 中类 as its category and the top leaf as the model's guess."""
    leaf = taxonomy[0]
    guess = runtime.Prediction(
        leaf.code, 0.45, [(leaf.code, 0.45)], leaf.code[:4], 0.9, leaf.code[:2], 0.95
    )
    monkeypatch.setattr(scoring, "classify", lambda text: (guess, 1))
    ticket = take(UNSURE, category=None)
    assert ticket.needs_review is True and ticket.department_id is None
    assert ticket.category.code == leaf.code[:4]
    assert ticket.predicted_category == leaf
    assert ticket.confidence == pytest.approx(0.45)


def test_agents_choice_at_intake_is_a_label_but_a_citizens_is_not(taxonomy, take, agent, citizen):
    leaf = next(c for c in taxonomy if c.line == "market")
    ticket = take("武陟县城关镇一家饭店后厨卫生太差，吃完拉肚子", category=leaf.code)
    assert ticket.category == leaf and ticket.predicted_category is not None
    label = ClassificationLabel.objects.get(ticket=ticket)
    assert label.by == agent and label.model_version == 1
    assert label.verdict == ("confirmed" if ticket.predicted_category == leaf else "corrected")
    mine = take("小区楼道灯坏了，物业不来修", category=leaf.code, actor=citizen, channel="web")
    assert not ClassificationLabel.objects.filter(ticket=mine).exists()
