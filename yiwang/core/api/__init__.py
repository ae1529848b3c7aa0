"""Core API routers, mounted under /api/v1/."""

from __future__ import annotations


def register(api) -> None:
    from yiwang.core.api import identity, inbox, ledger, me, org

    api.add_router("/org", org.router, tags=["组织机构 org"])
    api.add_router("/me", me.router, tags=["当前用户 me"])
    api.add_router("/inbox", inbox.router, tags=["待办 inbox"])
    api.add_router("/ledger", ledger.router, tags=["审计账本 ledger"])
    api.add_router("/identity", identity.router, tags=["窗口实名核验 identity"])
