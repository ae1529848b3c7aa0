"""Workflow engine: transitions per second against a bare row update in the same run;
case numbers per second; working-day deadlines per second; inbox query time."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from bench.common import rate, result

LOOP = {
    "states": [
        {"code": "a", "name": "甲", "initial": True, "time_limit_days": 5},
        {"code": "b", "name": "乙", "time_limit_days": 5},
        {"code": "end", "name": "办结", "final": True},
    ],
    "actions": [
        {"code": "go", "name": "前进", "from": ["a"], "to": "b", "roles": ["window_clerk"]},
        {"code": "back", "name": "退回", "from": ["b"], "to": "a", "roles": ["window_clerk"]},
        {"code": "close", "name": "办结", "from": ["b"], "to": "end", "roles": ["approver"]},
    ],
    "escalations": [{"state": "*", "overdue_days": 1, "notify_roles": ["dept_admin"]}],
}


def _setup() -> tuple[Any, Any, Any]:
    from yiwang.core.actions.org import do_seed_org
    from yiwang.core.actions.users import do_create_staff
    from yiwang.core.actions.workflow import do_define_workflow, do_start_case
    from yiwang.core.models import OrgUnit, User

    do_seed_org(actor=None, townships=False)
    unit = OrgUnit.objects.get(department__code="410823-market", division="410823")
    clerk = User.objects.filter(username="bench-wf-clerk").first() or do_create_staff(
        actor=None,
        username="bench-wf-clerk",
        full_name="基准",
        org_unit=unit,
        roles=["window_clerk"],
        validate=False,
    )
    do_define_workflow(actor=None, code="bench_loop", name="基准流程", definition=LOOP)
    case = do_start_case(
        actor=clerk,
        workflow_code="bench_loop",
        title="基准案件",
        division=unit.division,
        department=unit.department,
    )
    return clerk, case, unit


def run(quick: bool = False) -> list[dict]:
    from yiwang.core import calendar
    from yiwang.core.actions.workflow import do_escalate_overdue, do_start_case, do_transition
    from yiwang.core.inbox import inbox_for
    from yiwang.core.models import Case
    from yiwang.core.numbering import next_number

    seconds = 0.5 if quick else 2.0
    clerk, case, unit = _setup()
    state = {"next": "go"}

    def transitions() -> int:
        do_transition(actor=clerk, case=case, action_code=state["next"])
        state["next"] = "back" if state["next"] == "go" else "go"
        return 1

    flip = {"s": "a"}

    def bare_update() -> int:
        flip["s"] = "b" if flip["s"] == "a" else "a"
        Case.objects.filter(pk=case.pk).update(state=flip["s"])
        return 1

    bare = rate(bare_update, seconds)
    Case.objects.filter(pk=case.pk).update(state="a")
    engine = rate(transitions, seconds)
    numbers = rate(lambda: bool(next_number("410823", "BM", date(2026, 1, 5))), seconds)
    deadlines = rate(lambda: bool(calendar.add_working_days(date(2025, 9, 30), 20)), seconds)

    n_cases = 200 if quick else 2000
    for i in range(n_cases):
        do_start_case(
            actor=clerk,
            workflow_code="bench_loop",
            title=f"待办 {i}",
            division=unit.division,
            department=unit.department,
        )
    start = time.perf_counter()
    rows = len(list(inbox_for(clerk)[:50]))
    inbox_ms = (time.perf_counter() - start) * 1000

    # Escalation pass over overdue cases whose rules have all fired: a read-only scan.
    later = calendar.add_working_days(date.today(), 30)[0]
    do_escalate_overdue(today=later)
    start = time.perf_counter()
    do_escalate_overdue(today=later)
    scan_ms = (time.perf_counter() - start) * 1000

    return [
        result(
            "transition",
            engine,
            "ops/s",
            baseline=bare,
            baseline_name="bare Case row update",
            note="checks, lock, deadline, event, audit entry per transition",
        ),
        result(
            "case_number", numbers, "ops/s", baseline=bare, baseline_name="bare Case row update"
        ),
        result("add_working_days_20", deadlines, "ops/s"),
        result("inbox_first_page", inbox_ms, "ms", open_cases=n_cases, rows=rows),
        result("escalation_noop_scan", scan_ms, "ms", overdue_cases=n_cases + 1),
    ]
