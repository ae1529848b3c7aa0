"""Web shell: base layout, portal homes, workbench, static assets."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from yiwang.core.rooms import Manifest


class WebConfig(AppConfig):
    name = "yiwang.web"
    label = "web"
    verbose_name = "门户"
    manifest = Manifest(key="web", label=_("门户"), urls=(("", "yiwang.web.urls"),))
