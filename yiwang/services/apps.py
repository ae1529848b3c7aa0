"""Public services room (一网通办): service items, applications, bundles, ratings."""

from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "yiwang.services"
    label = "services"
    verbose_name = "一网通办"
