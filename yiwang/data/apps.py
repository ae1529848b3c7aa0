"""Data resource room (数据资源体系)."""

from django.apps import AppConfig


class DataConfig(AppConfig):
    name = "yiwang.data"
    label = "data"
    verbose_name = "数据资源"
