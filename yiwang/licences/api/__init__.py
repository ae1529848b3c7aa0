"""API routers of the licences room, mounted under /api/v1/ (one module per area)."""

from __future__ import annotations


def register(api) -> None:
    """Mount this room's routers on the platform API."""
    from yiwang.licences.api import licences

    api.add_router("/licences", licences.router, tags=["电子证照 licences"])
