"""Public services room (一网通办): service items, applications, bundles, ratings."""

from django.apps import AppConfig


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

    def ready(self) -> None:
        from yiwang.core.subjects import register

        register("services.application", _application_page)
