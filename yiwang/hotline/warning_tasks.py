"""Background jobs of 预警信息发布 (django-tasks, run by ``yiwang worker``): sending a
large warning batch by batch, and telling its recipients when it is lifted (解除)."""

from __future__ import annotations

from django_tasks import task


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
