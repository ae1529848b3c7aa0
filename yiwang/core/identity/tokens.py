"""Bearer tokens for system-to-system calls: OAuth2 access tokens issued by the platform's
provider (client credentials for API clients, authorization code for users). A token,
its user and the user's grants come from ``yiwang.core.authcache`` (one read of the
shared versions per call; a revoked token is refused at once)."""

from __future__ import annotations

import inspect
import re

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from oauth2_provider.models import get_access_token_model

from yiwang.core import authcache


def find_access_token(token: str):
    """Look a bearer token up by its SHA-256 checksum (indexed; the clear token need not be
    stored at rest), with its user and application."""
    checksum = authcache.checksum(token)
    return (
        get_access_token_model()
        .objects.select_related("user", "application__user")
        .filter(token_checksum=checksum)
        .first()
    )


class BearerAuth(HttpBearer):
    """Accept a valid, unexpired access token; the request user becomes the token's user
    or, for client credentials, the API client's system user. Scopes land on
    ``request.auth_scopes`` for ``require_scope``.

    With ``scope`` (set per operation by ``enforce_scopes_first``), a token without that
    scope is refused here, while authenticating — so the caller gets 403 before the
    request body is even read, never a 422 that reveals what the endpoint expects."""

    openapi_scheme = "bearer"

    def __init__(self, scope: str | None = None) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request, token: str):
        if not token or len(token) > 512:
            return None
        found = authcache.bearer(token)
        if found is None:
            return None
        user = found.user
        request.user = user
        request.auth_scopes = set(found.token.scope.split())
        request.access_token = found.token
        if self.scope is not None:
            require_scope(request, self.scope)
        return user


def require_scope(request, scope: str) -> None:
    """For bearer calls, the token must carry ``scope``; sessions pass (their access
    rules apply as for pages)."""
    scopes = getattr(request, "auth_scopes", None)
    if scopes is not None and scope not in scopes:
        raise PermissionDenied(_("访问令牌缺少所需权限范围：%(scope)s") % {"scope": scope})


_SCOPE_CALL = re.compile(r"""require_scope\(\s*request\s*,\s*["'](\w+)["']""")


def api_scope(scope: str):
    """Declare the scope an endpoint needs when it checks it through a helper of its
    module rather than a direct ``require_scope`` call (``@api_scope("write")`` under the
    router's decorator), so ``enforce_scopes_first`` finds it."""

    def mark(func):
        func.api_scope = scope
        return func

    return mark


def declared_scope(func) -> str | None:
    """The scope an endpoint needs: its ``api_scope`` declaration, else the scope of its
    ``require_scope(request, "…")`` call read from its source (None when neither)."""
    if getattr(func, "api_scope", None):
        return func.api_scope
    try:
        source = inspect.getsource(inspect.unwrap(func))
    except (OSError, TypeError):
        return None
    found = _SCOPE_CALL.search(source)
    return found.group(1) if found else None


def enforce_scopes_first(api) -> list:
    """Give every operation whose endpoint calls ``require_scope`` a bearer check for that
    scope in its authentication step, which django-ninja runs before parsing the body:
    a token with the wrong scope gets 403, not a 422 about the body. The endpoint's own
    call stays (sessions pass it). Run after the routers are added and before the URLs
    are built (django-ninja binds operations lazily). Returns the operations changed."""
    from ninja.constants import NOT_SET

    changed = []
    for op in _operations(api._routers):
        scope = declared_scope(op.view_func)
        auth = api.auth if op.auth_param is NOT_SET else op.auth_param
        if scope is None or not isinstance(auth, list | tuple):
            continue
        scoped = [BearerAuth(scope) if isinstance(cb, BearerAuth) else cb for cb in auth]
        op.auth_param = scoped
        op._set_auth(scoped)
        changed.append(op)
    return changed


def _operations(routers):
    """Every operation of ``routers`` and the routers nested in them."""
    for entry in routers:
        router = entry[1]
        for view in router.path_operations.values():
            yield from view.operations
        yield from _operations(getattr(router, "_routers", []))
