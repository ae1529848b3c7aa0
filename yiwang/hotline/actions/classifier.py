"""诉求自动分类 learns from operation: each agent's confirmation or correction of a
ticket's category is a label (分类标注); retraining makes a candidate version from the
shipped corpus plus the labels, and promotes it only if it beats the version in use on
labels it never saw (held out by a hash of the ticket id), by ``margin`` and on at least
``min_heldout`` of them — otherwise it is kept as rejected with its figures. A supervisor
may promote a version by hand or roll back to the previous one. Every step is audited."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.errors import Conflict, NotFound
from yiwang.hotline import access, learning, scoring
from yiwang.hotline import classify as runtime
from yiwang.hotline.models import (
    Category,
    ClassificationLabel,
    ClassifierVersion,
    LabelVerdict,
    Ticket,
    VersionStatus,
)

LABEL_WEIGHT = 3.0  # a labelled ticket counts as much as a taxonomy example


def record_label(*, actor, ticket: Ticket, leaf: Category) -> ClassificationLabel | None:
    """分类标注, inside the agent's own action (派单): the leaf the agent settled on,
    confirming or correcting the suggestion. The platform's own choices (自动派单) and
    non-leaf categories teach nothing and are not recorded."""
    if getattr(actor, "pk", None) is None or leaf.children.filter(active=True).exists():
        return None
    verdict = (
        LabelVerdict.CONFIRMED
        if ticket.predicted_category_id == leaf.pk
        else LabelVerdict.CORRECTED
    )
    label = ClassificationLabel.objects.create(
        ticket=ticket,
        leaf=leaf,
        predicted_id=ticket.predicted_category_id,
        model_version=ticket.classifier_version,
        verdict=verdict,
        by=actor,
        at=timezone.now(),
    )
    audit.record(
        actor=actor,
        action="hotline.classifier.label",
        obj=label,
        change={"ticket": ticket.number, "leaf": leaf.code, "verdict": verdict},
    )
    return label


def ensure_shipped() -> ClassifierVersion:
    """Version 1 — the model shipped with the platform — recorded once as active when no
    version is recorded yet (its JSON stays in the file)."""
    first = ClassifierVersion.objects.order_by("number").first()
    if first is not None:
        return first
    model = runtime.load_model()
    return ClassifierVersion.objects.create(
        number=scoring.SHIPPED_VERSION,
        status=VersionStatus.ACTIVE,
        note=f"shipped model {model.get('version', '')}"[:300],
        counts={"base_rows": model.get("training", {}).get("rows", 0), "labels": 0},
        promoted_at=timezone.now(),
    )


@transaction.atomic
def do_start_retrain(*, actor, note: str = "") -> ClassifierVersion:
    """重新训练: record a candidate version (its number taken now) to be trained in the
    background; the platform's periodic job and the command line call it too."""
    access.require_classifier(actor)
    ensure_shipped()
    busy = ClassifierVersion.objects.filter(
        status=VersionStatus.CANDIDATE, created_at__gte=timezone.now() - timedelta(hours=2)
    )
    if busy.exists():
        raise Conflict(_("已有一个模型正在训练，请等它完成。"), code="training_running")
    number = (ClassifierVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ClassifierVersion.objects.create(
        number=number,
        status=VersionStatus.CANDIDATE,
        metrics={"stage": "queued"},
        note=note[:300],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor, action="hotline.classifier.retrain", obj=version, change={"number": number}
    )
    return version


def enqueue_retrain(version: ClassifierVersion) -> None:
    """Train ``version`` in the worker once the transaction that recorded it commits."""
    from yiwang.hotline.tasks import train_classifier

    transaction.on_commit(partial(train_classifier.enqueue, version.pk))


def _stage(version: ClassifierVersion, stage: str) -> None:
    ClassifierVersion.objects.filter(pk=version.pk).update(metrics={"stage": stage})


def labelled() -> list[tuple[int, str, str]]:
    """(ticket id, text, leaf code) of every labelled ticket, its latest label only, on
    leaves still in force."""
    rows = (
        ClassificationLabel.objects.filter(leaf__active=True)
        .order_by("ticket_id", "-at", "-pk")
        .values_list("ticket_id", "ticket__title", "ticket__content", "leaf__code")
    )
    out: dict[int, tuple[int, str, str]] = {}
    for ticket_id, title, content, code in rows.iterator():
        out.setdefault(ticket_id, (ticket_id, f"{title} {content}", code))
    return list(out.values())


def base_corpus() -> tuple[list[learning.Row], list[tuple[str, str]]]:
    """(rows, development pairs) of the shipped corpus (``model/corpus.csv``)."""
    rows, dev = [], []
    for r in runtime.read_corpus():
        if r["split"] == "dev":
            dev.append((r["text"], r["leaf"]))
        else:
            rows.append(learning.Row(r["text"], r["leaf"], float(r["weight"]), r["source"]))
    return rows, dev


def do_train_candidate(
    *,
    actor,
    version: ClassifierVersion,
    base: tuple[list[learning.Row], list[tuple[str, str]]] | None = None,
    options: dict[str, Any] | None = None,
    min_heldout: int | None = None,
    margin: float | None = None,
) -> ClassifierVersion:
    """Train the candidate ``version`` on the base corpus plus the training labels,
    score it and the active version on the held-out labels, and promote it only if it
    is better by ``margin`` (leaf macro-F1) on at least ``min_heldout`` labels; else
    reject it. Training runs outside any transaction; the decision is one atomic write."""
    access.require_classifier(actor)
    if min_heldout is None:
        min_heldout = settings.YIWANG["HOTLINE_CLASSIFIER_MIN_HELDOUT"]
    if margin is None:
        margin = settings.YIWANG["HOTLINE_CLASSIFIER_MARGIN"]
    _stage(version, "training")
    labels = labelled()
    train = [(t, c) for i, t, c in labels if not learning.held_out(i)]
    held = [(t, c) for i, t, c in labels if learning.held_out(i)]
    rows, dev = base if base is not None else base_corpus()
    rows = list(rows) + [learning.Row(t, c, LABEL_WEIGHT, "label") for t, c in train]
    keywords = scoring.leaf_keywords()
    model = learning.fit(rows, keywords=keywords, dev=dev, **(options or {}))
    model["version"] = f"v{version.number}"
    _stage(version, "evaluating")
    threshold = settings.YIWANG["HOTLINE_AUTO_DISPATCH_CONFIDENCE"]
    active = ClassifierVersion.objects.filter(status=VersionStatus.ACTIVE).first()
    active_clf = scoring.version_classifier(active.number if active else 1).rebind(keywords)
    mine = learning.evaluate(runtime.Classifier(model, keywords), held, threshold) if held else None
    theirs = learning.evaluate(active_clf, held, threshold) if held else None
    better = bool(
        mine
        and theirs
        and len(held) >= min_heldout
        and mine["leaf"]["macro_f1"] >= theirs["leaf"]["macro_f1"] + margin
    )
    metrics = {
        "stage": "done",
        "heldout": len(held),
        "min_heldout": min_heldout,
        "margin": margin,
        "candidate": mine,
        "active": theirs,
        "active_number": active.number if active else None,
    }
    counts = {"base_rows": len(rows) - len(train), "labels": len(train), "heldout": len(held)}
    return _decide(actor, version, model, metrics, counts, better)


@transaction.atomic
def _decide(actor, version, model, metrics, counts, better: bool) -> ClassifierVersion:
    row = ClassifierVersion.objects.select_for_update().get(pk=version.pk)
    row.model, row.metrics, row.counts = model, metrics, counts
    row.status = VersionStatus.REJECTED
    row.save(update_fields=["model", "metrics", "counts", "status"])
    verdict = "promote" if better else "reject"
    audit.record(
        actor=actor,
        action=f"hotline.classifier.{verdict}",
        obj=row,
        change={
            "number": row.number,
            "heldout": metrics["heldout"],
            "candidate_f1": (metrics["candidate"] or {}).get("leaf", {}).get("macro_f1"),
            "active_f1": (metrics["active"] or {}).get("leaf", {}).get("macro_f1"),
        },
    )
    if better:
        _activate(actor, row)
    return row


def _activate(actor, row: ClassifierVersion, *, stamp: bool = True) -> None:
    """Make ``row`` the version in use; the one in use before retires. A rollback keeps
    the version's first promotion time (``stamp=False``), so rolling back again goes
    further back instead of to and fro."""
    ClassifierVersion.objects.filter(status=VersionStatus.ACTIVE).exclude(pk=row.pk).update(
        status=VersionStatus.RETIRED
    )
    row.status = VersionStatus.ACTIVE
    if stamp or row.promoted_at is None:
        row.promoted_at = timezone.now()
        row.promoted_by = actor if getattr(actor, "pk", None) else None
    row.save(update_fields=["status", "promoted_at", "promoted_by"])
    scoring.invalidate()


@transaction.atomic
def do_promote_version(*, actor, number: int) -> ClassifierVersion:
    """启用 a version by hand (a supervisor's decision, e.g. a retired one again)."""
    access.require_classifier(actor)
    ensure_shipped()
    row = ClassifierVersion.objects.select_for_update().filter(number=number).first()
    if row is None:
        raise NotFound(_("没有这个模型版本：%s") % number)
    if row.status == VersionStatus.CANDIDATE:
        raise Conflict(_("该版本尚未训练完成。"), code="training_running")
    if row.number != scoring.SHIPPED_VERSION and not row.model:
        raise Conflict(_("该版本没有模型数据。"), code="no_model")
    before = (
        ClassifierVersion.objects.filter(status=VersionStatus.ACTIVE)
        .values_list("number", flat=True)
        .first()
    )
    _activate(actor, row)
    audit.record(
        actor=actor,
        action="hotline.classifier.promote",
        obj=row,
        change={"number": row.number, "before": before, "by_hand": True},
    )
    return row


@transaction.atomic
def do_rollback(*, actor) -> ClassifierVersion:
    """回退: put back the version that was in use before the active one (the most
    recently promoted retired version, else the shipped one); the active one retires."""
    access.require_classifier(actor)
    ensure_shipped()
    active = (
        ClassifierVersion.objects.select_for_update().filter(status=VersionStatus.ACTIVE).first()
    )
    earlier = ClassifierVersion.objects.filter(
        status=VersionStatus.RETIRED, promoted_at__isnull=False
    )
    if active is not None:
        earlier = earlier.exclude(pk=active.pk)
        if active.promoted_at is not None:
            earlier = earlier.filter(promoted_at__lt=active.promoted_at)
    previous = earlier.order_by("-promoted_at", "-number").first()
    if previous is None:
        raise Conflict(_("没有可以回退到的模型版本。"), code="nothing_to_roll_back")
    _activate(actor, previous, stamp=False)
    audit.record(
        actor=actor,
        action="hotline.classifier.rollback",
        obj=previous,
        change={"number": previous.number, "from": getattr(active, "number", None)},
    )
    return previous


def do_scheduled_retrain() -> str:
    """The weekly job: retrain when agents gave labels since the last version was
    trained; returns what happened (``skipped`` or the new version's status)."""
    ensure_shipped()
    last = ClassifierVersion.objects.aggregate(at=Max("created_at"))["at"]
    fresh = ClassificationLabel.objects.filter(at__gt=last) if last else ClassificationLabel.objects
    if not fresh.exists():
        return "skipped"
    version = do_start_retrain(actor=None, note="scheduled")
    return do_train_candidate(actor=None, version=version).status
