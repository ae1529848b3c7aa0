"""后端通道退出 (OpenID Connect Back-Channel Logout 1.0): when a user's session at the
platform ends, each relying party that took part in it and registered a back-channel
logout URI gets a logout token by a direct POST, sent by the worker
(``yiwang.core.tasks.send_backchannel_logouts``) so a slow relying party never holds up
a sign-out.

The logout token (2.4) is a JWT signed with the ID tokens' key: ``iss``, ``aud`` (the
client id), ``iat``, ``exp`` (two minutes), ``jti``, ``sub`` and ``sid`` and the
back-channel logout event; header ``typ`` is ``logout+jwt``; never a ``nonce``."""

from __future__ import annotations

import json
import logging
import time
import uuid

import httpx
from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem

logger = logging.getLogger("yiwang.oidc")

EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_SECONDS = 120
TIMEOUT_SECONDS = 5.0


def logout_token(*, issuer: str, client_id: str, sub: str, sid: str) -> str:
    """A signed logout token for one relying party (Back-Channel Logout 1.0, 2.4)."""
    key = jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY)
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + TOKEN_SECONDS,
        "jti": uuid.uuid4().hex,
        "sub": sub,
        "events": {EVENT: {}},
    }
    if sid:
        claims["sid"] = sid
    header = {"alg": "RS256", "typ": "logout+jwt", "kid": key.thumbprint()}
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
    token.make_signed_token(key)
    return token.serialize()


def send(notice: dict) -> bool:
    """POST one logout token to its relying party; True when it answered 200 or 204
    (2.8: anything else is a failure, and redirects are not followed)."""
    token = logout_token(
        issuer=notice["issuer"], client_id=notice["client_id"], sub=notice["sub"],
        sid=notice.get("sid", ""),
    )  # fmt: skip
    try:
        response = httpx.post(
            notice["uri"],
            data={"logout_token": token},
            timeout=TIMEOUT_SECONDS,
            follow_redirects=False,
            headers={"Cache-Control": "no-store"},
        )
    except httpx.HTTPError as exc:
        logger.warning("back-channel logout to %s failed: %s", notice["client_id"], exc)
        return False
    if response.status_code not in (200, 204):
        logger.warning(
            "back-channel logout to %s answered %s", notice["client_id"], response.status_code
        )
        return False
    return True
