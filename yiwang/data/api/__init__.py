"""Data room API routers, mounted under /api/v1/ (one module per area)."""

from __future__ import annotations


def register(api) -> None:
    from yiwang.data.api import (
        catalogue,
        gateway,
        govstack,
        govstack_db,
        ingest,
        mediator,
        objections,
        quality,
        registries,
        sharing,
    )

    api.add_router("/data/catalogue", catalogue.router, tags=["数据目录 catalogue"])
    api.add_router("/data/ingest", ingest.router, tags=["数据归集 ingest"])
    api.add_router("/data/quality", quality.router, tags=["数据质量 quality"])
    api.add_router("/data/sharing", sharing.router, tags=["共享申请 sharing"])
    api.add_router("/data/registries", registries.router, tags=["基础库 registries"])
    api.add_router("/data/objections", objections.router, tags=["数据异议 objections"])
    api.add_router("/exchange", gateway.router, tags=["共享交换 exchange"])
    api.add_router("/registries", govstack_db.router, tags=["GovStack digital registries"])
    api.add_router("/registries", govstack.router, tags=["GovStack digital registries"])
    api.add_router("/im", mediator.router, tags=["信息中介 information mediator"])
