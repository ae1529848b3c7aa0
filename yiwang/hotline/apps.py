"""12345 热线 room."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yiwang.core.rooms import DemoSeeder, Manifest, NavEntry, PeriodicJob


def _seed_categories(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: a new database gets the shipped three-level matter tree (诉求分类)
    once, recorded as its version 1."""
    if using != "default":
        return
    from yiwang.hotline.actions.taxonomy import do_load_taxonomy, do_publish_taxonomy
    from yiwang.hotline.models import Category

    if not Category.objects.exists():
        do_load_taxonomy(actor=None)
        do_publish_taxonomy(actor=None, note=str(FIRST_VERSION_NOTE))


FIRST_VERSION_NOTE = _("按 GB/T 39666-2020 及省级 12345 诉求分类标准建立的三级分类")


def _ticket_page(case, user) -> str | None:
    """工单 pages: the citizen's or grid worker's own view, or the staff ticket page."""
    from django.urls import reverse

    ticket_id = int(case.subject_id)
    if case.applicant_id is not None and case.applicant_id == user.pk:
        if getattr(user, "kind", "") == "staff":
            return reverse("hotline:grid-event", args=[ticket_id])
        return reverse("hotline:my_ticket", args=[ticket_id])
    return reverse("hotline:ticket", args=[ticket_id])


class HotlineConfig(AppConfig):
    name = "yiwang.hotline"
    label = "hotline"
    verbose_name = "12345 热线"
    manifest = Manifest(
        key="hotline",
        label=_("12345 诉求"),
        permissions={
            "hotline.view": "see 12345 tickets in scope (工单)",
            "hotline.intake": "take calls and register tickets (话务受理)",
            "hotline.handle": "handle tickets sent to the department (承办)",
            "hotline.supervise": "dispatch, merge and supervise tickets (值班长)",
            "knowledge.manage": "keep the department's knowledge answers (知识库)",
            "warning.publish": "draft, publish and lift warnings (预警发布)",
            "grid.report": "report events from the grid (网格上报)",
            "classifier.manage": "keep the ticket classifier: versions, retraining (分类模型)",
        },
        grants={
            "dept_admin": frozenset({"hotline.view", "hotline.handle", "knowledge.manage"}),
            "hotline_agent": frozenset({"hotline.view", "hotline.intake"}),
            "hotline_supervisor": frozenset(
                {
                    "hotline.view",
                    "hotline.intake",
                    "hotline.supervise",
                    "warning.publish",
                    "classifier.manage",
                }
            ),
            "bureau_admin": frozenset({"classifier.manage"}),
            "hotline_handler": frozenset({"hotline.view", "hotline.handle", "knowledge.manage"}),
            "grid_worker": frozenset({"grid.report"}),
            "leader": frozenset({"hotline.view"}),
        },
        nav=(
            NavEntry(
                "hotline",
                _("12345 诉求"),
                _("咨询、求助、投诉、举报、建议"),
                ("hotline:home", "hotline:index", "hotline:portal"),
                portal=True,
                order=20,
            ),
        ),
        urls=(
            ("hotline/", "yiwang.hotline.urls"),
            ("open311/v2/", "yiwang.hotline.open311.urls"),
        ),
        api="yiwang.hotline.api.register",
        # The 12345 ticket API documents the step's reason as the error code.
        api_reason_codes=("hotline/tickets/",),
        demo=DemoSeeder("yiwang.hotline.demo.seed_for_demo", order=40),
        periodic=(
            PeriodicJob(3600, "yiwang.hotline.tasks.raise_hotspot_alerts"),  # 热点发现
            PeriodicJob(7 * 86400, "yiwang.hotline.tasks.retrain_classifier"),  # 分类模型再训练
        ),
    )

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from yiwang.core.subjects import register
        from yiwang.hotline import scoring

        post_migrate.connect(_seed_categories, sender=self)
        scoring.connect_signals()
        register("hotline.ticket", _ticket_page)
