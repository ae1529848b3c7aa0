"""政务服务中心 pages: 预约 a slot for an item that needs a window visit, 我的预约 (cancel,
取号 on arrival), a 排队号 with how many are ahead and the estimated wait, 短信通知 in
个人中心, and for the hall's staff the day's bookings, 取号 for a visitor and 叫号."""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.errors import refused
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.masking import mask_name
from yiwang.services import access, halls
from yiwang.services.actions.halls import (
    do_book,
    do_call_next,
    do_cancel_booking,
    do_set_progress_sms,
    do_take_ticket,
)
from yiwang.services.models import QueueTicket, ServiceHall, ServiceItem
from yiwang.services.notices import wants_sms


def _slot_groups(slots: list[halls.Slot]) -> list[dict]:
    """The slots by day for the booking page: each day with its slots and how many still
    have places; the first day with a free place is shown open, the others folded, so a
    phone (and elder mode's larger tiles) need not scroll through a week of tiles."""
    days = [
        {"day": day, "slots": rows, "free": sum(1 for s in rows if s.free)}
        for day, grouped in groupby(slots, key=lambda s: s.day)
        for rows in [list(grouped)]
    ]
    first = next((d for d in days if d["free"]), days[0] if days else None)
    for d in days:
        d["open"] = d is first
    return days


@login_required
def book(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """预约到窗口办理: the item's hall, its free slots by day; posting one books it."""
    access.require_booker(request.user)
    item = access.public_items().filter(code=code).select_related("division").first()
    if item is None:
        raise Http404(_("未找到该事项。"))
    hall = halls.hall_for_item(item)
    errors: list[str] = []
    status = 200
    if hall is not None and request.method == "POST":
        parsed = halls.parse_slot_key(request.POST.get("slot", ""))
        try:
            if parsed is None:
                raise ValidationError({"slot": [_("请选择预约时段。")]})
            do_book(actor=request.user, item=item, hall=hall, day=parsed[0], start=parsed[1])
        except ValidationError as exc:
            refusal = refused(exc)
            errors, status = refusal.summary, refusal.status
        else:
            messages.success(request, _("预约成功。"))
            return redirect("services:my-bookings")
    slots = halls.availability(hall) if hall is not None else []
    return render(
        request,
        "services/halls/book.html",
        {"item": item, "hall": hall, "days": _slot_groups(slots), "errors": errors},
        status=status,
    )


@login_required
def my_bookings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """我的预约: open and past bookings, with cancel and (on the day) 到达取号."""
    access.require_booker(request.user)
    today = timezone.localdate()
    rows = list(halls.own_bookings(request.user)[:50])
    tickets = {
        t.booking_id: t
        for t in access.own_tickets(request.user).filter(booking_id__in=[b.pk for b in rows])
    }
    for b in rows:
        b.queue_ticket = tickets.get(b.pk)
    return render(request, "services/halls/mine.html", {"bookings": rows, "today": today})


@login_required
@require_POST
def cancel_booking(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """取消预约 (POST)."""
    booking = get_object_or_404(access.own_booking(request.user), pk=pk)
    try:
        do_cancel_booking(actor=request.user, booking=booking)
    except ValidationError as exc:
        _tell_refusal(request, exc)
    else:
        messages.success(request, _("预约已取消。"))
    return redirect("services:my-bookings")


def _tell_refusal(request: HttpRequest, exc: ValidationError) -> None:
    """A refused button press: its message on the page it returns to."""
    for message in refused(exc).summary or exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def arrive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """到达取号 with today's booking (POST); shows the number."""
    booking = get_object_or_404(access.own_booking(request.user).select_related("hall"), pk=pk)
    try:
        taken = do_take_ticket(
            actor=request.user,
            hall=booking.hall,
            window=request.POST.get("window", ""),
            booking=booking,
        )
    except ValidationError as exc:
        _tell_refusal(request, exc)
        return redirect("services:my-bookings")
    return redirect("services:ticket", taken.pk)


@login_required
def ticket(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """排队号: the number, how many are ahead and the estimated wait (the page reloads
    itself every 30 seconds)."""
    found = QueueTicket.objects.select_related("hall").filter(pk=pk).first()
    if found is None or not access.may_see_ticket(request.user, found):
        raise Http404(_("未找到该排队号。"))
    return render(
        request,
        "services/halls/ticket.html",
        {
            "ticket": found,
            "place": halls.queue_place(found),
            "window": found.hall.window(found.window) or {},
        },
    )


@login_required
def notice_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    """短信通知: switch 办件进度短信 on or off (个人中心)."""
    access.require_booker(request.user)
    if request.method == "POST":
        on = request.POST.get("progress_sms") == "on"
        do_set_progress_sms(actor=request.user, on=on)
        messages.success(
            request, _("已开启办件进度短信提醒。") if on else _("已关闭办件进度短信提醒。")
        )
        return redirect("services:notice-settings")
    return render(request, "services/halls/notices.html", {"progress_sms": wants_sms(request.user)})


# --- the hall's staff ---


@login_required
def staff_halls(request: AuthenticatedHttpRequest) -> HttpResponse:
    """预约取号: the halls the staff member works (one goes straight to its page)."""
    rows = list(access.staffed_halls(request.user).select_related("division"))
    access.deny_unless(request.user, bool(rows), _("预约取号仅对政务服务中心的工作人员开放。"))
    if len(rows) == 1:
        return redirect("services:hall-desk", rows[0].code)
    return render(request, "services/halls/staff_halls.html", {"halls": rows})


def _staff_hall(request: HttpRequest, code: str) -> ServiceHall:
    hall = get_object_or_404(ServiceHall.objects.select_related("division"), code=code)
    if not access.may_staff_hall(request.user, hall):
        raise Http404(_("未找到该政务服务中心。"))
    return hall


@login_required
def hall_desk(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """The hall's day: bookings in slot order (names masked), the queue per window type
    with 叫号, and 取号 for a visitor at the desk."""
    hall = _staff_hall(request, code)
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    bookings = [
        {"b": b, "name": mask_name(b.citizen.full_name or "")}
        for b in halls.day_bookings(hall, day)
    ]
    queue = halls.waiting(hall, timezone.localdate())
    windows = [{**w, "queue": queue.get(w["code"], [])} for w in hall.windows or []]
    return render(
        request,
        "services/halls/desk.html",
        {"hall": hall, "day": day, "bookings": bookings, "windows": windows},
    )


@login_required
@require_POST
def desk_ticket(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """取号 for a visitor at the desk (POST)."""
    hall = _staff_hall(request, code)
    try:
        t = do_take_ticket(actor=request.user, hall=hall, window=request.POST.get("window", ""))
    except ValidationError as exc:
        _tell_refusal(request, exc)
    else:
        messages.success(request, _("已取号：%s") % t.number)
    return redirect("services:hall-desk", hall.code)


@login_required
@require_POST
def desk_call(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """叫号: the next waiting number at a window type (POST)."""
    hall = _staff_hall(request, code)
    try:
        t = do_call_next(actor=request.user, hall=hall, window=request.POST.get("window", ""))
    except ValidationError as exc:
        _tell_refusal(request, exc)
    else:
        if t is None:
            messages.info(request, _("当前没有等候的号。"))
        else:
            messages.success(request, _("请 %s 号到窗口办理。") % t.number)
    return redirect("services:hall-desk", hall.code)


urlpatterns = [
    path("items/<str:code>/book/", book, name="book"),
    path("me/bookings/", my_bookings, name="my-bookings"),
    path("me/bookings/<int:pk>/cancel/", cancel_booking, name="cancel-booking"),
    path("me/bookings/<int:pk>/arrive/", arrive, name="arrive"),
    path("me/tickets/<int:pk>/", ticket, name="ticket"),
    path("me/notices/", notice_settings, name="notice-settings"),
    path("hall/", staff_halls, name="halls"),
    path("hall/<slug:code>/", hall_desk, name="hall-desk"),
    path("hall/<slug:code>/ticket/", desk_ticket, name="desk-ticket"),
    path("hall/<slug:code>/call/", desk_call, name="desk-call"),
]

__all__ = ["ServiceItem", "urlpatterns"]
