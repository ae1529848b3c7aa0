"""Worker and periodic jobs: each job is enqueued once per period, never piled up, and
``yiwang worker`` runs queued tasks (escalation included)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command, get_commands
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from yiwang import cli
from yiwang.core.schedule import PERIODIC, Scheduler

ESCALATE = "yiwang.core.tasks.escalate_overdue"


def test_worker_command_is_ours_and_schedule_lists_the_jobs():
    assert "worker" not in cli.ALIASES
    assert get_commands()["worker"] == "yiwang.core"
    periods = {path: seconds for seconds, path in PERIODIC}
    assert periods == {
        ESCALATE: 300,
        "yiwang.core.tasks.seal_ledger": 10,  # YIWANG["LEDGER_SEAL_EVERY_SECONDS"]
        "yiwang.core.tasks.prune_task_results": 6 * 3600,
        "yiwang.core.tasks.purge_rate_counters": 3600,
        "yiwang.data.tasks.pull_due_sources": 300,
        "yiwang.licences.tasks.expire_licences": 3600,
        "yiwang.hotline.tasks.raise_hotspot_alerts": 3600,
        "yiwang.hotline.tasks.retrain_classifier": 7 * 24 * 3600,  # weekly, when labels are new
    }


@pytest.mark.django_db
def test_prune_task_results_removes_only_old_finished_results():
    from yiwang.core.tasks import prune_task_results, seal_ledger

    old = seal_ledger.enqueue()
    fresh = seal_ledger.enqueue()
    DBTaskResult.objects.filter(id=old.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=3)
    )
    DBTaskResult.objects.filter(id=fresh.id).update(status="SUCCESSFUL", finished_at=timezone.now())
    prune_task_results.call()
    assert [str(i) for i in DBTaskResult.objects.values_list("id", flat=True)] == [str(fresh.id)]


@pytest.mark.django_db
def test_scheduler_enqueues_per_period_and_skips_while_queued():
    scheduler = Scheduler(jobs=[(60, ESCALATE)])
    due: dict[str, float] = {}
    scheduler.run_pending(due, now=1000.0)
    assert DBTaskResult.objects.filter(task_path=ESCALATE).count() == 1
    scheduler.run_pending(due, now=1010.0)  # not due yet
    scheduler.run_pending(due, now=1061.0)  # due, but the first run still waits
    assert DBTaskResult.objects.filter(task_path=ESCALATE).count() == 1
    DBTaskResult.objects.filter(task_path=ESCALATE).update(status="SUCCESSFUL")
    scheduler.run_pending(due, now=1122.0)
    assert DBTaskResult.objects.filter(task_path=ESCALATE).count() == 2
    assert scheduler.runs[ESCALATE] == 2


@pytest.mark.django_db(transaction=True)
def test_worker_runs_queued_escalation(city, make_staff):
    from yiwang.core.actions.workflow import do_start_case
    from yiwang.core.models import Case, Notification
    from yiwang.core.tasks import escalate_overdue

    clerk = make_staff("window_clerk", "410823", "market")
    admin = make_staff("dept_admin", "410823", "market")
    case = do_start_case(
        actor=clerk,
        workflow_code="generic_approval",
        title="超期案件",
        division=city.wuzhi,
        department=city.department("410823", "market"),
    )
    # Set-up: a deadline two weeks ago.
    Case.objects.filter(pk=case.pk).update(state_due=timezone.localdate() - timedelta(days=14))
    escalate_overdue.enqueue()
    call_command(
        "worker", "--batch", "--no-startup-delay", "--no-reload", "--no-schedule", verbosity=0
    )
    result = DBTaskResult.objects.get(task_path=ESCALATE)
    assert result.status == "SUCCESSFUL"
    assert result.return_value == 2  # ten working days overdue: both rules fire
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert Notification.objects.filter(user=admin).count() == 2
