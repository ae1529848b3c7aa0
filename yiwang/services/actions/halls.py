"""Writes of the 政务服务中心: 预约 (book and cancel a slot), 取号 (take a number at a
window type) and 叫号 (call the next number), and the account's choice of 办件进度短信.

A slot's places are taken by one conditional ``UPDATE … SET booked = booked + 1 WHERE
booked < capacity`` on its counter row, so two bookings for the last place cannot both
succeed; one open booking per person, item and day is a unique constraint as well.
Queue numbers come from ``core.numbering.next_value`` (one counter per hall, day and
window type, safe under concurrent callers) and are unique by constraint."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.actions.notify import do_notify
from yiwang.core.errors import Conflict, Invalid, NotFound
from yiwang.core.notify.text import bilingual
from yiwang.core.numbering import next_value
from yiwang.services import access, halls
from yiwang.services.models import (
    Booking,
    BookingSlot,
    NoticeSetting,
    QueueTicket,
    ServiceHall,
    ServiceItem,
)
from yiwang.services.notices import channels_for

CALL_RETRIES = 5


def _check_item(item: ServiceItem, hall: ServiceHall) -> None:
    if item.status != ServiceItem.Status.PUBLISHED or item.level != ServiceItem.Level.HANDLING:
        raise Invalid({"item": [_("事项「%s」不可预约。") % item.name]}, code="not_bookable")
    if not halls.needs_visit(item):
        raise Invalid(
            {"item": [_("事项「%s」可全程网上办理，无需预约到窗口。") % item.name]},
            code="no_visit_needed",
        )
    if not hall.active or hall.division_id != item.division_id:
        raise Invalid(
            {"hall": [_("事项「%(item)s」不在%(hall)s办理。") % {"item": item.name, "hall": hall}]},
            code="wrong_hall",
        )


def _check_slot(hall: ServiceHall, day: dt.date, start: dt.time) -> dt.time:
    """The slot's end; refuses a day the hall is closed, a time that is not a slot, a
    slot already begun or beyond the booking window."""
    if day not in halls.booking_days(hall):
        raise Invalid(
            {"slot": [_("%s不可预约：只能预约近期的工作日。") % day.isoformat()]},
            code="closed_day",
        )
    for slot_start, slot_end in halls.slot_times(hall, day):
        if slot_start == start:
            if halls.is_past(day, start):
                raise Invalid({"slot": [_("该时段已经开始，请选择之后的时段。")]}, code="past")
            return slot_end
    raise Invalid({"slot": [_("所选时间不是该大厅的预约时段。")]}, code="no_such_slot")


def _take_place(hall: ServiceHall, day: dt.date, start: dt.time) -> None:
    """Count one place of the slot, or refuse when it is full (one conditional update)."""
    try:
        with transaction.atomic():
            BookingSlot.objects.get_or_create(hall=hall, day=day, start=start)
    except IntegrityError:
        pass  # another booking made the row first
    taken = BookingSlot.objects.filter(
        hall=hall, day=day, start=start, booked__lt=hall.slot_capacity
    ).update(booked=F("booked") + 1)
    if not taken:
        raise Conflict(_("该时段已约满，请选择其他时段。"), code="slot_full")


@transaction.atomic
def do_book(
    *, actor, item: ServiceItem, hall: ServiceHall, day: dt.date, start: dt.time
) -> Booking:
    """预约: book one place in a slot of the hall for an item that needs a window visit.
    Refused: not a citizen or enterprise, the item not bookable there, the slot closed or
    full, or an open booking of the same item (or the same slot) already held."""
    access.require_booker(actor)
    _check_item(item, hall)
    end = _check_slot(hall, day, start)
    mine = Booking.objects.filter(citizen=actor, status=Booking.Status.BOOKED)
    held = mine.filter(item=item, day__gte=timezone.localdate()).first()
    if held is not None:
        raise Conflict(
            _("您已预约了该事项（%(day)s %(time)s），如需改期请先取消原预约。")
            % {"day": held.day.isoformat(), "time": f"{held.start:%H:%M}"},
            code="already_booked",
        )
    if mine.filter(day=day, start=start).exists():
        raise Conflict(_("您在该时段已有其他预约，请选择其他时段。"), code="slot_taken_by_you")
    _take_place(hall, day, start)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                hall=hall,
                item=item,
                citizen=actor,
                division_id=hall.division_id,
                department_id=hall.department_id,
                day=day,
                start=start,
                end=end,
            )
    except IntegrityError:
        raise Conflict(
            _("您已预约了该事项，如需改期请先取消原预约。"), code="already_booked"
        ) from None
    audit.record(
        actor=actor,
        action="services.booking.create",
        obj=booking,
        change={
            "hall": hall.code,
            "item": item.code,
            "day": day.isoformat(),
            "start": f"{start:%H:%M}",
        },
    )
    do_notify(
        actor=actor,
        user=actor,
        title=bilingual(
            lambda: (
                _("预约成功：%(hall)s %(day)s %(start)s—%(end)s")
                % {
                    "hall": hall.name,
                    "day": day.isoformat(),
                    "start": f"{start:%H:%M}",
                    "end": f"{end:%H:%M}",
                }
            )
        ),
        body=bilingual(
            lambda: _("办理事项：%s。请携带所需材料按时到达，到达后凭预约取号。") % item.name
        ),
        channels=channels_for(actor),
    )
    return booking


@transaction.atomic
def do_cancel_booking(*, actor, booking: Booking) -> Booking:
    """取消预约: the booker's own open booking, before its slot begins; the place is
    given back."""
    locked = access.own_booking(actor).select_for_update().filter(pk=booking.pk).first()
    if locked is None:
        raise NotFound(_("未找到该预约。"))
    booking = locked
    if booking.status != Booking.Status.BOOKED:
        raise Conflict(_("该预约%s，不能取消。") % booking.get_status_display(), code="not_open")
    if halls.is_past(booking.day, booking.start):
        raise Conflict(_("预约时段已经开始，不能再取消。"), code="past")
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = timezone.now()
    booking.save(update_fields=["status", "cancelled_at"])
    BookingSlot.objects.filter(
        hall_id=booking.hall_id, day=booking.day, start=booking.start, booked__gt=0
    ).update(booked=F("booked") - 1)
    audit.record(
        actor=actor,
        action="services.booking.cancel",
        obj=booking,
        change={"day": booking.day.isoformat(), "start": f"{booking.start:%H:%M}"},
    )
    return booking


def _window_of(hall: ServiceHall, window: str) -> str:
    window = str(window or "").strip().upper()
    if hall.window(window) is None:
        raise Invalid({"window": [_("请选择窗口类型。")]}, code="no_such_window")
    return window


@transaction.atomic
def do_take_ticket(
    *, actor, hall: ServiceHall, window: str = "", booking: Booking | None = None
) -> QueueTicket:
    """取号: a number at one window type of the hall for today. A citizen takes it on
    arrival with their booking of today (the booking is then 已到达); the hall's staff
    take one for a visitor at the desk."""
    today = timezone.localdate()
    if not halls.slot_times(hall, today):
        raise Conflict(_("%s今天不办公。") % hall.name, code="closed_today")
    citizen = None
    if booking is not None:
        booking = access.own_booking(actor).select_for_update().filter(pk=booking.pk).first()
        if booking is None or booking.hall_id != hall.pk:
            raise NotFound(_("未找到该预约。"))
        if booking.status != Booking.Status.BOOKED or booking.day != today:
            raise Conflict(_("只能凭当天有效的预约取号。"), code="not_today")
        citizen = actor
        window = window or (hall.windows or [{}])[0].get("code", "")
    else:
        access.require_hall_staff(actor, hall)
    window = _window_of(hall, window)
    seq = next_value(f"QH-{hall.pk}-{today:%Y%m%d}-{window}")
    ticket = QueueTicket.objects.create(
        hall=hall,
        division_id=hall.division_id,
        department_id=hall.department_id,
        day=today,
        window=window,
        seq=seq,
        number=f"{window}{seq:03d}",
        citizen=citizen,
        booking=booking,
    )
    if booking is not None:
        booking.status = Booking.Status.ARRIVED
        booking.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="services.ticket.take",
        obj=ticket,
        change={
            "hall": hall.code,
            "number": ticket.number,
            "booking": getattr(booking, "pk", None),
        },
    )
    return ticket


@transaction.atomic
def do_call_next(*, actor, hall: ServiceHall, window: str) -> QueueTicket | None:
    """叫号: the staff member's number in service at this window type is done, and the
    first waiting number is called (a conditional update, so two windows calling at
    once never call the same number); None when nobody is waiting."""
    access.require_hall_staff(actor, hall)
    window = _window_of(hall, window)
    today = timezone.localdate()
    now = timezone.now()
    queue = QueueTicket.objects.filter(hall=hall, day=today, window=window)
    queue.filter(status=QueueTicket.Status.CALLED, called_by=actor).update(
        status=QueueTicket.Status.DONE, finished_at=now
    )
    for _attempt in range(CALL_RETRIES):
        first = (
            queue.filter(status=QueueTicket.Status.WAITING)
            .order_by("seq")
            .values_list("pk", flat=True)
            .first()
        )
        if first is None:
            return None  # the number in service is still finished
        called = QueueTicket.objects.filter(pk=first, status=QueueTicket.Status.WAITING).update(
            status=QueueTicket.Status.CALLED, called_at=now, called_by=actor
        )
        if called:
            ticket = QueueTicket.objects.get(pk=first)
            audit.record(
                actor=actor,
                action="services.ticket.call",
                obj=ticket,
                change={"hall": hall.code, "number": ticket.number},
            )
            return ticket
    raise Conflict(_("叫号繁忙，请再试一次。"), code="busy")


def queue_empty() -> Conflict:
    """What 叫号 answers when nobody is waiting."""
    return Conflict(_("当前没有等候的号。"), code="queue_empty")


@transaction.atomic
def do_set_progress_sms(*, actor, on: bool) -> NoticeSetting:
    """个人中心: switch 办件进度短信 on or off for one's own account."""
    access.require_booker(actor)
    setting, _created = NoticeSetting.objects.update_or_create(
        user=actor, defaults={"progress_sms": bool(on)}
    )
    audit.record(
        actor=actor,
        action="services.notice_setting.update",
        obj=setting,
        change={"progress_sms": setting.progress_sms},
    )
    return setting


@transaction.atomic
def do_define_hall(*, actor, code: str, **values) -> ServiceHall:
    """Create or update a 政务服务中心 (the platform seeds them; opening hours, slots and
    window types are data on the hall)."""
    hall, created = ServiceHall.objects.update_or_create(code=code, defaults=values)
    audit.record(
        actor=actor,
        action="services.hall.define",
        obj=hall,
        change={"code": code, "created": created, "division": hall.division_id},
    )
    return hall
