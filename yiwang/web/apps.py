"""Web shell: base layout, portal homes, workbench, static assets."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "yiwang.web"
    label = "web"
    verbose_name = "门户"
