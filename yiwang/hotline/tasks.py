"""Background jobs of the 12345 room (django-tasks, run by ``yiwang worker``): 热点发现 —
hourly detection of clusters of tickets, raising one alert per burst — and 预警信息发布:
sending a large warning batch by batch, and telling its recipients when it is lifted."""

from __future__ import annotations

from django_tasks import task


@task()
def raise_hotspot_alerts() -> int:
    """Detect hotspots in the window ending now and raise or update their alerts;
    scheduled hourly by the worker. Returns how many alerts were raised or updated."""
    from yiwang.hotline.actions.hotspots import do_raise_hotspot_alerts

    return len(do_raise_hotspot_alerts(actor=None))


@task()
def deliver_warning(warning_id: int) -> int:
    """Send a published warning to everyone not yet reached; returns the reached count."""
    from yiwang.hotline.actions.warnings import deliver_in_batches

    return deliver_in_batches(warning_id)


@task()
def tell_cancelled(warning_id: int, reason: str = "") -> int:
    """Tell everyone a lifted warning reached that it is lifted; returns how many."""
    from yiwang.hotline.actions.warnings import tell_cancelled_in_batches

    return tell_cancelled_in_batches(warning_id, reason)


@task()
def train_classifier(version_id: int) -> str:
    """Train a candidate classifier version recorded by the retrain button, then promote
    or reject it; returns its final status."""
    from yiwang.hotline.actions.classifier import do_train_candidate
    from yiwang.hotline.models import ClassifierVersion

    version = ClassifierVersion.objects.get(pk=version_id)
    return do_train_candidate(actor=None, version=version).status


@task()
def retrain_classifier() -> str:
    """分类模型再训练, scheduled weekly: a new candidate from the corpus and the agents'
    labels, promoted only when it beats the version in use (skipped without new labels)."""
    from yiwang.hotline.actions.classifier import do_scheduled_retrain

    return do_scheduled_retrain()
