"""政务服务中心 API under /api/v1/services/halls: the halls and their free 预约时段 (public),
book and cancel (citizens and enterprises), my bookings, 取号 (on arrival with today's
booking, or by the hall's staff for a visitor), where a number stands, the day's
bookings and 叫号 (the hall's staff)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from ninja.security import django_auth
from pydantic import Field

from yiwang.core.errors import Invalid, NotFound
from yiwang.core.identity.tokens import BearerAuth, require_scope
from yiwang.services import access, halls
from yiwang.services.actions.halls import (
    do_book,
    do_call_next,
    do_cancel_booking,
    do_take_ticket,
    queue_empty,
)
from yiwang.services.models import Booking, QueueTicket, ServiceHall, ServiceItem

router = Router()


def _anyone(request):
    """Public calls: no credentials needed (a bearer token or session still counts)."""
    return "anonymous"


PUBLIC = [BearerAuth(), django_auth, _anyone]


class WindowOut(Schema):
    code: str
    name: str


class HallOut(Schema):
    code: str
    name: str
    division: str
    address: str
    slot_minutes: int
    slot_capacity: int
    windows: list[WindowOut]


class SlotOut(Schema):
    slot: str = Field(..., description="时段标识，预约时提交，如 2026-03-10T09:00")
    day: dt.date
    start: str
    end: str
    free: int


class BookIn(Schema):
    hall: str = Field(..., max_length=40, description="大厅编码")
    item: str = Field(..., max_length=40, description="事项编码")
    slot: str = Field(..., max_length=20, description="时段标识，如 2026-03-10T09:00")


class BookingOut(Schema):
    id: int
    hall: str
    hall_name: str
    item: str
    item_name: str
    day: dt.date
    start: str
    end: str
    status: str
    status_name: str


class StaffBookingOut(BookingOut):
    citizen: str


class TicketIn(Schema):
    window: str = Field("", max_length=4, description="窗口类型（如 A）")
    booking: int | None = Field(None, description="当天的预约（群众到达取号时）")


class TicketOut(Schema):
    id: int
    hall: str
    number: str
    window: str
    window_name: str
    status: str
    status_name: str
    ahead: int
    wait_minutes: int
    average_minutes: int


class DayIn(Schema):
    day: dt.date | None = Field(None, description="日期（默认今天）")


def _hall(code: str) -> ServiceHall:
    hall = ServiceHall.objects.filter(code=code).select_related("division", "department").first()
    if hall is None:
        raise NotFound(_("未找到该政务服务中心。"))
    return hall


def _hall_row(hall: ServiceHall) -> dict:
    return {
        "code": hall.code,
        "name": hall.name,
        "division": hall.division.name,
        "address": hall.address,
        "slot_minutes": hall.slot_minutes,
        "slot_capacity": hall.slot_capacity,
        "windows": [{"code": w["code"], "name": w["name"]} for w in hall.windows or []],
    }


def booking_row(b: Booking) -> dict:
    return {
        "id": b.pk,
        "hall": b.hall.code,
        "hall_name": b.hall.name,
        "item": b.item.code,
        "item_name": b.item.name,
        "day": b.day,
        "start": f"{b.start:%H:%M}",
        "end": f"{b.end:%H:%M}",
        "status": b.status,
        "status_name": str(b.get_status_display()),
    }


def ticket_row(t: QueueTicket) -> dict:
    place = halls.queue_place(t)
    return {
        "id": t.pk,
        "hall": t.hall.code,
        "number": t.number,
        "window": t.window,
        "window_name": (t.hall.window(t.window) or {}).get("name", ""),
        "status": t.status,
        "status_name": str(t.get_status_display()),
        "ahead": place.ahead,
        "wait_minutes": place.wait_minutes,
        "average_minutes": place.average_minutes,
    }


@router.get("/", response=list[HallOut], auth=PUBLIC)
def hall_list(request):
    """政务服务中心 taking bookings."""
    return [_hall_row(h) for h in halls.public_halls().select_related("division")]


@router.get("/{code}/slots", response=list[SlotOut], auth=PUBLIC)
def slots(request, code: str):
    """The hall's bookable slots (working days only) with the places left."""
    hall = _hall(code)
    return [
        {
            "slot": s.key,
            "day": s.day,
            "start": f"{s.start:%H:%M}",
            "end": f"{s.end:%H:%M}",
            "free": s.free,
        }
        for s in halls.availability(hall)
    ]


@router.post("/bookings", response={201: BookingOut})
def book(request, payload: BookIn):
    """预约 a slot for an item that needs a window visit: a full slot or a second open
    booking of the same item answers 409."""
    require_scope(request, "write")
    access.require_booker(request.user)
    hall = _hall(payload.hall)
    item = ServiceItem.objects.filter(code=payload.item).first()
    if item is None:
        raise Invalid({"item": [_("未找到该事项。")]}, code="no_such_item")
    parsed = halls.parse_slot_key(payload.slot)
    if parsed is None:
        raise Invalid({"slot": [_("时段标识格式不正确。")]}, code="bad_slot")
    booking = do_book(actor=request.user, item=item, hall=hall, day=parsed[0], start=parsed[1])
    return Status(201, booking_row(booking))


@router.get("/bookings", response=list[BookingOut])
def my_bookings(request):
    """My bookings, latest day first (the most recent 50)."""
    require_scope(request, "read")
    return [booking_row(b) for b in halls.own_bookings(request.user)[:50]]


@router.post("/bookings/{booking_id}/cancel", response=BookingOut)
def cancel(request, booking_id: int):
    """取消预约 (one's own, before the slot begins)."""
    require_scope(request, "write")
    booking = access.own_booking(request.user).filter(pk=booking_id).first()
    if booking is None:
        raise NotFound(_("未找到该预约。"))
    booking = do_cancel_booking(actor=request.user, booking=booking)
    return booking_row(booking)


@router.get("/{code}/bookings", response=list[StaffBookingOut])
def day_bookings(request, code: str, params: Query[DayIn]):
    """The day's bookings of the hall (its staff only; names masked)."""
    from yiwang.core.masking import mask_name

    require_scope(request, "read")
    hall = _hall(code)
    access.require_hall_staff(request.user, hall)
    day = params.day or timezone.localdate()
    return [
        {**booking_row(b), "citizen": mask_name(b.citizen.full_name or "")}
        for b in halls.day_bookings(hall, day)
    ]


@router.post("/{code}/tickets", response={201: TicketOut})
def take_ticket(request, code: str, payload: TicketIn):
    """取号 at a window type: a citizen with today's booking, or the hall's staff."""
    require_scope(request, "write")
    hall = _hall(code)
    booking = None
    if payload.booking is not None:
        booking = access.own_booking(request.user).filter(pk=payload.booking).first()
        if booking is None:
            raise NotFound(_("未找到该预约。"))
    ticket = do_take_ticket(actor=request.user, hall=hall, window=payload.window, booking=booking)
    return Status(201, ticket_row(ticket))


@router.get("/tickets/{ticket_id}", response=TicketOut)
def ticket(request, ticket_id: int):
    """Where a number stands: numbers ahead and the estimated wait."""
    require_scope(request, "read")
    found = QueueTicket.objects.select_related("hall").filter(pk=ticket_id).first()
    if found is None or not access.may_see_ticket(request.user, found):
        raise NotFound(_("未找到该排队号。"))
    return ticket_row(found)


@router.post("/{code}/windows/{window}/call", response=TicketOut)
def call_next(request, code: str, window: str):
    """叫号: the next waiting number at this window type (409 when none is waiting)."""
    require_scope(request, "write")
    hall = _hall(code)
    called = do_call_next(actor=request.user, hall=hall, window=window)
    if called is None:
        raise queue_empty()
    return ticket_row(called)
