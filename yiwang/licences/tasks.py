"""Background jobs of the licences room (django-tasks): 到期失效 — licences past their
validity are marked 05 失效 and their holders told."""

from __future__ import annotations

from django_tasks import task


@task()
def expire_licences() -> int:
    """Mark every 有效/暂扣 licence whose validity has ended 05 失效; returns how many."""
    from yiwang.licences.actions import do_expire_licences

    return do_expire_licences(actor=None)
