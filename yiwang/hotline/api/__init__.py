"""API of the hotline room under /api/v1/hotline/ (one router per area)."""

from __future__ import annotations

from ninja import NinjaAPI


def register(api: NinjaAPI) -> None:
    """Mount the hotline routers on the platform API."""
    from yiwang.hotline.api import grid, knowledge, tickets, warnings

    api.add_router("/hotline/", tickets.router)
    api.add_router("/hotline/", knowledge.router)
    api.add_router("/hotline/", grid.router)
    api.add_router("/hotline/", warnings.router)
