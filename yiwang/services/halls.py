"""政务服务中心 reads shared by pages and API: a hall's 预约时段 (from its opening hours,
slot length and capacity, on the working days of ``core.calendar``), what is still free,
the day's bookings, and where a 排队号 stands in the queue (how many are ahead, the
estimated wait from the window's recent service times). Nothing here writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from yiwang.core import calendar
from yiwang.services.models import Booking, BookingSlot, QueueTicket, ServiceHall, ServiceItem

# Minutes per visit when a window type names none and has no recent history.
DEFAULT_SERVICE_MINUTES = 10
# How many recent visits the estimated wait averages over, and how far back.
RECENT_VISITS = 20
RECENT_DAYS = 14


@dataclass(frozen=True)
class Slot:
    """One 预约时段: its day, start and end, and the places still free."""

    day: dt.date
    start: dt.time
    end: dt.time
    free: int

    @property
    def key(self) -> str:
        """How a form or API names the slot: ``2026-03-10T09:00``."""
        return f"{self.day.isoformat()}T{self.start:%H:%M}"


def parse_slot_key(text: str) -> tuple[dt.date, dt.time] | None:
    """``2026-03-10T09:00`` → (day, start); None for anything else."""
    try:
        day, start = str(text or "").strip().split("T", 1)
        return dt.date.fromisoformat(day), dt.time.fromisoformat(start)
    except ValueError:
        return None


def _minutes(text: str) -> int:
    hours, minutes = str(text).split(":", 1)
    return int(hours) * 60 + int(minutes)


def slot_times(hall: ServiceHall, day: dt.date) -> list[tuple[dt.time, dt.time]]:
    """The slots of ``day`` (start, end): none on a day the calendar says is not a
    working day (weekends, holidays; 调休 workdays are open with Monday's hours)."""
    if not calendar.is_workday(day):
        return []
    weekday = str(day.isoweekday()) if day.isoweekday() <= 5 else "1"
    length = max(int(hall.slot_minutes or 30), 5)
    out = []
    for start_text, end_text in (hall.hours or {}).get(weekday, []):
        start, end = _minutes(start_text), _minutes(end_text)
        while start + length <= end:
            out.append((dt.time(start // 60, start % 60), _time_of(start + length)))
            start += length
    return out


def _time_of(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def booking_days(hall: ServiceHall, today: dt.date | None = None) -> list[dt.date]:
    """The days one may book: today and the next ``booking_days`` working days."""
    today = today or timezone.localdate()
    days = [today] if calendar.is_workday(today) else []
    day = today
    for _n in range(int(hall.booking_days)):
        day, _estimated = calendar.add_working_days(day, 1)
        days.append(day)
    return days


def is_past(day: dt.date, start: dt.time) -> bool:
    """Whether the slot has already begun."""
    now = timezone.localtime()
    return (day, start) <= (now.date(), now.time().replace(second=0, microsecond=0))


def availability(hall: ServiceHall, days: Iterable[dt.date] | None = None) -> list[Slot]:
    """Every bookable slot of the hall's booking days that has not begun, with the places
    left (one query for what is taken)."""
    days = list(days if days is not None else booking_days(hall))
    if not days:
        return []
    taken = {
        (d, s): n
        for d, s, n in BookingSlot.objects.filter(hall=hall, day__in=days).values_list(
            "day", "start", "booked"
        )
    }
    capacity = int(hall.slot_capacity)
    return [
        Slot(day, start, end, max(capacity - taken.get((day, start), 0), 0))
        for day in days
        for start, end in slot_times(hall, day)
        if not is_past(day, start)
    ]


def needs_visit(item: ServiceItem) -> bool:
    """An item one must come to a window for (到现场次数 ≥ 1, or not online at all)."""
    return item.visits > 0 or not item.online


def hall_for_item(item: ServiceItem) -> ServiceHall | None:
    """The 政务服务中心 of the item's division that takes bookings, if there is one."""
    return (
        ServiceHall.objects.filter(division_id=item.division_id, active=True)
        .order_by("code")
        .first()
    )


def public_halls() -> QuerySet:
    """Halls taking bookings (anyone may see them)."""
    return ServiceHall.objects.filter(active=True).select_related("division")


def day_bookings(hall: ServiceHall, day: dt.date) -> QuerySet:
    """The day's bookings of a hall in slot order (staff page and API)."""
    return (
        Booking.objects.filter(hall=hall, day=day)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("item", "citizen")
        .order_by("start", "id")
    )


def own_bookings(user) -> QuerySet:
    """A citizen's own bookings, latest day first."""
    return (
        Booking.objects.filter(citizen=user)
        .select_related("hall", "item")
        .order_by("-day", "-start", "-id")
    )


@dataclass(frozen=True)
class QueuePlace:
    """Where a ticket stands: numbers ahead, average minutes per visit at that window,
    estimated minutes to wait."""

    ahead: int
    average_minutes: int
    wait_minutes: int


def average_minutes(hall: ServiceHall, window: str) -> int:
    """Recent average service time at a window type (叫号 to 办理完毕) over its last
    visits; the window's own figure (or 10 minutes) while there is no history."""
    since = timezone.now() - dt.timedelta(days=RECENT_DAYS)
    rows = list(
        QueueTicket.objects.filter(
            hall=hall,
            window=window,
            status=QueueTicket.Status.DONE,
            finished_at__gte=since,
            called_at__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("called_at", "finished_at")[:RECENT_VISITS]
    )
    if not rows:
        declared = (hall.window(window) or {}).get("minutes")
        return int(declared or DEFAULT_SERVICE_MINUTES)
    spans = [(end - start).total_seconds() for start, end in rows if start and end]
    seconds = sum(spans) / max(len(spans), 1)
    return min(max(round(seconds / 60), 1), 120)


def queue_place(ticket: QueueTicket) -> QueuePlace:
    """How many waiting numbers are ahead of ``ticket`` and the estimated wait."""
    average = average_minutes(ticket.hall, ticket.window)
    if ticket.status != QueueTicket.Status.WAITING:
        return QueuePlace(0, average, 0)
    ahead = QueueTicket.objects.filter(
        hall_id=ticket.hall_id,
        day=ticket.day,
        window=ticket.window,
        status=QueueTicket.Status.WAITING,
        seq__lt=ticket.seq,
    ).count()
    return QueuePlace(ahead, average, ahead * average)


def waiting(hall: ServiceHall, day: dt.date) -> dict[str, list[dict]]:
    """The day's queue per window type: waiting and called numbers, in order."""
    rows = (
        QueueTicket.objects.filter(hall=hall, day=day)
        .exclude(status=QueueTicket.Status.DONE)
        .order_by("window", "seq")
        .values("pk", "window", "number", "status")
    )
    out: dict[str, list[dict]] = {w["code"]: [] for w in hall.windows or []}
    for row in rows:
        out.setdefault(row["window"], []).append(dict(row))
    return out
