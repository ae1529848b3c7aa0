"""政务服务中心 (service halls) of the city and each county: 预约 (appointments for items
that need a window visit, in time slots with a capacity), 取号 (queue tickets per window
type) and the citizen's choice of 办件进度短信 (progress notices by SMS).

A hall's opening hours, slot length, capacity and window types are data on the hall;
days it is closed come from the platform's working-day calendar (``core.calendar``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.models import Department, Division
from yiwang.services.models.items import ServiceItem

# 办公时间 on working days: ISO weekday ("1" = Monday) → [[start, end], …] as "HH:MM".
DEFAULT_HOURS = {str(day): [["09:00", "12:00"], ["13:00", "17:00"]] for day in range(1, 6)}
# 窗口类型 of a hall's queue: a letter (the ticket's prefix), a name, minutes per visit.
DEFAULT_WINDOWS = [
    {"code": "A", "name": "综合受理", "minutes": 10},
    {"code": "B", "name": "企业开办", "minutes": 15},
    {"code": "C", "name": "不动产登记", "minutes": 20},
]


class ServiceHall(models.Model):
    """政务服务中心: one per division (the city's and each county's), kept by the
    division's 政务服务 department, whose window staff see its bookings and queue."""

    code = models.SlugField(_("大厅编码"), max_length=40, unique=True)
    name = models.CharField(_("大厅名称"), max_length=100)
    division = models.ForeignKey(
        Division, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("管理部门"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    hours = models.JSONField(_("办公时间"), default=dict)
    slot_minutes = models.PositiveSmallIntegerField(_("每个时段（分钟）"), default=30)
    slot_capacity = models.PositiveSmallIntegerField(_("每个时段可预约人数"), default=4)
    booking_days = models.PositiveSmallIntegerField(_("可提前预约的工作日数"), default=5)
    windows = models.JSONField(_("窗口类型"), default=list)
    active = models.BooleanField(_("开放预约"), default=True)

    class Meta:
        ordering = ["division_id", "code"]
        verbose_name = _("政务服务中心")
        verbose_name_plural = _("政务服务中心")

    def __str__(self) -> str:
        return self.name

    def window(self, code: str) -> dict | None:
        """The window type with this letter, or None."""
        return next((w for w in self.windows or [] if w.get("code") == code), None)


class BookingSlot(models.Model):
    """预约时段 of one hall on one day that has been booked at least once: how many
    places are taken. Taking one is a single conditional ``UPDATE`` (``booked <
    capacity``), so two requests for the last place cannot both get it."""

    hall = models.ForeignKey(ServiceHall, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    start = models.TimeField(_("开始时间"))
    booked = models.PositiveSmallIntegerField(_("已预约"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hall", "day", "start"], name="one_slot_row"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.start:%H:%M} ({self.booked})"


class Booking(models.Model):
    """预约: a citizen's visit to a hall in one slot for one item."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("已预约")
        CANCELLED = "cancelled", _("已取消")
        ARRIVED = "arrived", _("已到达取号")

    hall = models.ForeignKey(
        ServiceHall, verbose_name=_("政务服务中心"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("预约人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The hall's place, copied for jurisdiction (staff see their halls' bookings).
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("预约日期"))
    start = models.TimeField(_("开始时间"))
    end = models.TimeField(_("结束时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.BOOKED
    )
    created_at = models.DateTimeField(_("预约时间"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        ordering = ["day", "start", "id"]
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        constraints = [
            models.UniqueConstraint(
                fields=["citizen", "item", "day"],
                condition=Q(status="booked"),
                name="one_open_booking_per_item_day",
            ),
        ]
        indexes = [models.Index(fields=["hall", "day", "start", "id"], name="booking_hall_day")]

    def __str__(self) -> str:
        return f"{self.hall} {self.day} {self.start:%H:%M}"


class QueueTicket(models.Model):
    """取号: a number at one window type of a hall on one day (A001, A002 …), unique
    per hall, day and window type; staff call the waiting numbers in order."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("等候中")
        CALLED = "called", _("已叫号")
        DONE = "done", _("已办理")

    hall = models.ForeignKey(
        ServiceHall, verbose_name=_("政务服务中心"), on_delete=models.PROTECT, related_name="+"
    )
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("日期"))
    window = models.CharField(_("窗口类型"), max_length=4)
    seq = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("排队号"), max_length=12)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("取号人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    booking = models.OneToOneField(
        Booking,
        verbose_name=_("预约"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.WAITING
    )
    taken_at = models.DateTimeField(_("取号时间"), auto_now_add=True)
    called_at = models.DateTimeField(_("叫号时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("办理完毕时间"), null=True, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("叫号人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["day", "window", "seq"]
        verbose_name = _("排队号")
        verbose_name_plural = _("排队号")
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "day", "window", "seq"], name="one_ticket_number"
            ),
        ]
        indexes = [
            models.Index(
                fields=["hall", "day", "window", "seq"],
                condition=Q(status="waiting"),
                name="ticket_waiting",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class NoticeSetting(models.Model):
    """个人中心 notice choices of one account: 办件进度短信 on (default) or off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    progress_sms = models.BooleanField(_("办件进度短信提醒"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")

    def __str__(self) -> str:
        return f"{self.user_id}: sms={'on' if self.progress_sms else 'off'}"
