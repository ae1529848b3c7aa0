"""访问令牌权限范围: a bearer token without the scope an operation needs is refused with
403 while authenticating — before the body is read, so never a 422 describing the body —
walked over every operation of the API that takes a body."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from yiwang.api import api
from yiwang.core.identity.tokens import BearerAuth, declared_scope

pytestmark = pytest.mark.django_db

BODY_METHODS = {"POST", "PUT", "PATCH"}
PARAM = re.compile(r"\{(?:\w+:)?(\w+)\}")
SAMPLE = {"registry": "person", "registryname": "person", "versionnumber": "1.0"}


def _body_operations():
    out = []
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                if BODY_METHODS & set(op.methods):
                    out.append((prefix, path, op))
    return out


def _url(prefix: str, path: str) -> str:
    filled = PARAM.sub(lambda m: SAMPLE.get(m.group(1), "1"), path).strip("/")
    return "/api/v1" + prefix.rstrip("/") + ("/" + filled if filled else "")


def _bearer(user, scope: str) -> dict:
    raw = secrets.token_urlsafe(30)
    token = get_access_token_model()(
        user=user, scope=scope, expires=timezone.now() + dt.timedelta(hours=1)
    )
    token._raw_token, token.token = raw, ""
    token.save()
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_every_body_operation_checks_its_scope_while_authenticating():
    """Each operation that reads a body and accepts bearer tokens knows its scope at the
    authentication step (a new endpoint that forgets is caught here)."""
    unscoped = []
    for prefix, path, op in _body_operations():
        bearers = [cb for cb in op.auth_callbacks if isinstance(cb, BearerAuth)]
        if bearers and not all(cb.scope for cb in bearers):
            unscoped.append(f"{op.methods} {prefix}{path}")
        if bearers:
            assert bearers[0].scope == declared_scope(op.view_func), (prefix, path)
    assert unscoped == []


def test_wrong_scope_gets_403_before_the_body_is_validated(client, make_staff):
    user = make_staff("bureau_admin", "410800", "big_data")
    headers = _bearer(user, "openid")
    checked = 0
    for prefix, path, op in _body_operations():
        bearers = [cb for cb in op.auth_callbacks if isinstance(cb, BearerAuth)]
        if not bearers:
            continue
        url = _url(prefix, path)
        method = sorted(BODY_METHODS & set(op.methods))[0].lower()
        response = getattr(client, method)(
            url, data='{"not": "the expected body"', content_type="application/json", **headers
        )
        assert response.status_code == 403, (method, url, response.content[:200])
        assert response.json()["error"]["code"] in ("forbidden", "no_grant"), url
        checked += 1
    assert checked >= 30


def test_right_scope_reaches_body_validation(client, make_staff):
    """The early check does not get in the way: the right scope with a bad body is 422."""
    user = make_staff("dept_admin", "410823", "market")
    response = client.post(
        f"/api/v1/org/staff/{user.pk}/roles",
        data="{}",
        content_type="application/json",
        **_bearer(user, "write"),
    )
    assert response.status_code == 422
