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


class HotlineConfig(AppConfig):
    name = "yiwang.hotline"
    label = "hotline"
    verbose_name = "12345 热线"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_seed_categories, sender=self)
