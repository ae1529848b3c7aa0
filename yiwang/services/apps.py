"""Public services room (一网通办): service items, applications, bundles, ratings."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yiwang.core.rooms import DemoSeeder, Manifest, NavEntry, PortalPanel


def _application_page(case, user) -> str | None:
    """办件 pages: the applicant's own view, or the staff view."""
    from django.urls import reverse

    number = case.number
    if case.applicant_id is not None and case.applicant_id == user.pk:
        return reverse("services:my-application", args=[number])
    return reverse("services:staff-application", args=[number])


class ServicesConfig(AppConfig):
    name = "yiwang.services"
    label = "services"
    verbose_name = "一网通办"
    manifest = Manifest(
        key="services",
        label=_("办事服务"),
        permissions={
            "service.manage": "keep the service item list and bundles (事项管理)",
            "service.hall": "work a 政务服务中心: the day's bookings, 取号 and 叫号",
        },
        grants={
            "dept_admin": frozenset({"service.manage"}),
            "bureau_admin": frozenset({"service.manage"}),
            "window_clerk": frozenset({"service.hall"}),
        },
        nav=(
            NavEntry(
                "services",
                _("办事服务"),
                _("在线申请、查询办件进度"),
                ("services:home", "services:index", "services:portal"),
                portal=True,
                order=10,
            ),
        ),
        urls=(("services/", "yiwang.services.urls"),),
        api="yiwang.services.api.register",
        demo=DemoSeeder("yiwang.services.demo.seed_for_demo", order=30),
        # 门户首页: search over items and 一件事, and the most used services.
        portal=(PortalPanel("services/_portal.html", "yiwang.services.portal.panel", order=10),),
    )

    def ready(self) -> None:
        from yiwang.core.subjects import register

        register("services.application", _application_page)
