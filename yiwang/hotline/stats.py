"""12345 考核指标 over any set of tickets: 按时办结率 (on-time concluded / concluded), 办结率
(concluded or archived / all but merged and handed-off), 满意率 (satisfied + basically
satisfied / rated), overdue and counts by state, type and channel. Pure functions over a
queryset, each one aggregate query, so the API and the supervisor's overview share them."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from yiwang.core.models import Department
from yiwang.hotline.models import Channel, Kind, Satisfaction, Ticket, TicketReturn

WORKFLOW_FILE = Path(__file__).resolve().parent / "workflows" / "hotline_ticket.json"
CONCLUDED_STATES = ("concluded", "archived")
LEFT_LOOP_STATES = ("merged", "handed_off")
DONE_STATES = (*CONCLUDED_STATES, *LEFT_LOOP_STATES)
FINAL_STATES = ("archived", *LEFT_LOOP_STATES)  # the case is closed
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASIC)


@lru_cache(maxsize=1)
def states() -> tuple[tuple[str, str], ...]:
    """(code, name) of the ticket workflow's states (环节), in the workflow's order."""
    data = json.loads(WORKFLOW_FILE.read_text(encoding="utf-8"))
    return tuple((s["code"], s["name"]) for s in data["states"])


def overdue_q(today: dt.date | None = None) -> Q:
    """超期: an open ticket past its step limit, or past its whole-ticket limit before it
    was concluded (a concluded ticket waiting for its callback counts only its step)."""
    today = today or timezone.localdate()
    return (
        Q(case__closed_at__isnull=True)
        & ~Q(case__state__in=LEFT_LOOP_STATES)
        & (
            Q(case__state_due__lt=today)
            | (Q(case__case_due__lt=today) & ~Q(case__state__in=CONCLUDED_STATES))
        )
    )


def listed_overdue_q(today: dt.date | None = None) -> Q:
    """``overdue_q`` over the ticket's own copy of its case's step and deadlines
    (``CaseListed``): the same 超期 rule for lists, read on the ticket table alone. An
    open case is one not in a final step (archived, merged, handed off)."""
    today = today or timezone.localdate()
    return ~Q(case_state__in=FINAL_STATES) & (
        Q(state_due_key__lt=today)
        | (Q(case_due_key__lt=today) & ~Q(case_state__in=CONCLUDED_STATES))
    )


def is_overdue(case, today: dt.date | None = None) -> bool:
    """The same 超期 rule as ``overdue_q``, for one case already in hand."""
    today = today or timezone.localdate()
    if case is None or case.closed_at is not None or case.state in LEFT_LOOP_STATES:
        return False
    if case.state_due is not None and case.state_due < today:
        return True
    return (
        case.case_due is not None and case.case_due < today and case.state not in CONCLUDED_STATES
    )


def _base(qs: QuerySet) -> QuerySet:
    """A queryset safe to aggregate: one row per ticket even when access rules joined
    (e.g. a grid worker's grids) and made it DISTINCT."""
    if qs.query.distinct or qs.query.combinator:
        return Ticket.objects.filter(pk__in=qs.values("pk"))
    return qs.order_by()


def _measures(today: dt.date) -> dict:
    concluded = Q(case__state__in=CONCLUDED_STATES)
    return {
        "total": Count("pk"),
        "open": Count("pk", filter=~Q(case__state__in=DONE_STATES)),
        "concluded": Count("pk", filter=concluded),
        "on_time": Count("pk", filter=concluded & Q(on_time=True)),
        "closable": Count("pk", filter=~Q(case__state__in=LEFT_LOOP_STATES)),
        "rated": Count("pk", filter=~Q(satisfaction="")),
        "satisfied": Count("pk", filter=Q(satisfaction__in=SATISFIED)),
        "overdue": Count("pk", filter=overdue_q(today)),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def percent(rate: float | None) -> str:
    """A rate as pages show it: 0.6667 → "66.7%", nothing to divide by → "—"."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _with_rates(row: dict) -> dict:
    row["on_time_rate"] = _rate(row["on_time"], row["concluded"])
    row["closure_rate"] = _rate(row["concluded"], row["closable"])
    row["satisfaction_rate"] = _rate(row["satisfied"], row["rated"])
    for key in ("on_time_rate", "closure_rate", "satisfaction_rate"):
        row[f"{key}_text"] = percent(row[key])
    return row


def kpis(qs: QuerySet) -> dict:
    """考核指标 of the tickets in ``qs`` in one aggregate query: counts, the three rates
    (None when nothing to divide by) and counts by state, kind and channel."""
    today = timezone.localdate()
    measures = _measures(today)
    for code, _name in states():
        measures[f"state:{code}"] = Count("pk", filter=Q(case__state=code))
    for code in Kind.values:
        measures[f"kind:{code}"] = Count("pk", filter=Q(kind=code))
    for code in Channel.values:
        measures[f"channel:{code}"] = Count("pk", filter=Q(channel=code))
    raw = _base(qs).aggregate(**measures)
    out = {k: v for k, v in raw.items() if ":" not in k}
    for group in ("state", "kind", "channel"):
        out[f"by_{group}"] = {
            k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith(f"{group}:")
        }
    return _with_rates(out)


def by_department(qs: QuerySet) -> list[dict]:
    """考核指标 per handling department (承办部门; tickets not yet dispatched left out), most
    tickets first, with the 退单 each department made (a department that returned all it
    got still has its row) — one GROUP BY on the key for the tickets, one for the
    returns, names looked up after."""
    base = _base(qs)
    rows = list(
        base.filter(department__isnull=False)
        .values("department_id")
        .annotate(**_measures(timezone.localdate()))
        .order_by("-total", "department_id")
    )
    returns = dict(
        TicketReturn.objects.filter(ticket__in=base.values("pk"))
        .values("department_id")
        .annotate(n=Count("pk"))
        .values_list("department_id", "n")
        .order_by()
    )
    seen = {r["department_id"] for r in rows}
    zero = dict.fromkeys(_measures(timezone.localdate()), 0)
    rows += [{"department_id": k, **zero} for k in sorted(returns) if k not in seen]
    names = Department.objects.in_bulk([r["department_id"] for r in rows])
    out = []
    for r in rows:
        key = r.pop("department_id")
        dept = names.get(key)
        name = dept.name if dept else ""
        out.append(
            _with_rates(
                {
                    "department": dept.code if dept else "",
                    "department_name": name,
                    "name": name,
                    **r,
                    "returns": returns.get(key, 0),
                }
            )
        )
    return out


def daily_counts(qs: QuerySet, days: int) -> dict[str, list]:
    """Tickets taken in and concluded per day (local dates) over the last ``days`` days,
    today included, days without tickets as zeros, as chart series: ``{"days": [ISO
    dates], "taken": [...], "concluded": [...]}``."""
    days = max(1, min(int(days), 366))
    today = timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    base = _base(qs)
    received = dict(
        base.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
        .order_by()
    )
    concluded = dict(
        base.filter(concluded_at__gte=since, case__state__in=CONCLUDED_STATES)
        .annotate(day=TruncDate("concluded_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
        .order_by()
    )
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    return {
        "days": [d.isoformat() for d in dates],
        "taken": [received.get(d, 0) for d in dates],
        "concluded": [concluded.get(d, 0) for d in dates],
    }
