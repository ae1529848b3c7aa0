"""API routers of the services room, mounted under /api/v1/ (one module per area)."""

from __future__ import annotations


def register(api) -> None:
    """Mount this room's routers on the platform API."""
    from yiwang.services.api import items

    api.add_router("/services", items.router, tags=["政务服务事项 service items"])
