"""12345 热线 room."""

from django.apps import AppConfig


def _seed_categories(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: a new database gets the shipped matter tree (诉求分类) once."""
    if using != "default":
        return
    from yiwang.hotline.actions.categories import do_load_categories
    from yiwang.hotline.models import Category

    if not Category.objects.exists():
        do_load_categories(actor=None)


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

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from yiwang.core.subjects import register

        post_migrate.connect(_seed_categories, sender=self)
        register("hotline.ticket", _ticket_page)
