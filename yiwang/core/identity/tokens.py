"""Bearer tokens for system-to-system calls: OAuth2 access tokens issued by the platform's
provider (client credentials for API clients, authorization code for users)."""

from __future__ import annotations

import hashlib

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from oauth2_provider.models import get_access_token_model


def find_access_token(token: str):
    """Look a bearer token up by its SHA-256 checksum (indexed; the clear token need not be
    stored at rest), with its user and application."""
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    return (
        get_access_token_model()
        .objects.select_related("user", "application__user")
        .filter(token_checksum=checksum)
        .first()
    )


class BearerAuth(HttpBearer):
    """Accept a valid, unexpired access token; the request user becomes the token's user
    or, for client credentials, the API client's system user. Scopes land on
    ``request.auth_scopes`` for ``require_scope``."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        if not token or len(token) > 512:
            return None
        at = find_access_token(token)
        if at is None or at.expires <= timezone.now():
            return None
        user = at.user or (at.application.user if at.application else None)
        if user is None or not user.is_active:
            return None
        request.user = user
        request.auth_scopes = set(at.scope.split())
        request.access_token = at
        return user


def require_scope(request, scope: str) -> None:
    """For bearer calls, the token must carry ``scope``; sessions pass (their access
    rules apply as for pages)."""
    scopes = getattr(request, "auth_scopes", None)
    if scopes is not None and scope not in scopes:
        raise PermissionDenied(_("访问令牌缺少所需权限范围：%(scope)s") % {"scope": scope})
