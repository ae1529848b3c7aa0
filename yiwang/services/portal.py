"""The service hall's section of the portal home page (门户首页): a search box over the
hall's items and 一件事, and the most used services (常用服务)."""

from __future__ import annotations

from django.http import HttpRequest

from yiwang.services import hall


def panel(request: HttpRequest) -> dict:
    """Context of ``services/_portal.html``."""
    return {"popular": hall.popular()}
