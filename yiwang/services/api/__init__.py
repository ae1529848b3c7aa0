"""API routers of the services room, mounted under /api/v1/ (one module per area)."""

from __future__ import annotations


def register(api) -> None:
    """Mount this room's routers on the platform API."""
    from yiwang.services.api import applications, bundles, halls, items, ratings

    api.add_router("/services", items.router, tags=["政务服务事项 service items"])
    api.add_router("/services/applications", applications.router, tags=["办件 applications"])
    api.add_router("/services/bundles", bundles.router, tags=["一件事一次办 bundles"])
    api.add_router("/services/ratings", ratings.router, tags=["好差评 ratings"])
    api.add_router("/services/halls", halls.router, tags=["预约取号 bookings and queue"])
