"""API clients (接口客户端) with client-credentials tokens, /api/v1/me, the error envelope."""

from __future__ import annotations

import base64
import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from yiwang.core.actions.identity import do_create_api_client
from yiwang.core.identity.tokens import find_access_token
from yiwang.core.models import ApiClient, AuditEntry, User


def client_credentials(client, client_id: str, secret: str, scope: str | None = None):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    return client.post("/o/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def api_client(city):
    return do_create_api_client(
        actor=None,
        name="住房公积金系统",
        scopes=["read", "org"],
        org_unit=city.unit("410800", "big_data"),
    )


def test_create_api_client_makes_system_user_and_hashes_secret(api_client):
    client = api_client.client
    assert client.user.kind == User.Kind.SYSTEM and not client.user.has_usable_password()
    app = client.application
    assert app.user_id == client.user.pk
    assert app.authorization_grant_type == "client-credentials"
    assert app.client_type == "confidential"
    assert app.client_secret != api_client.client_secret  # stored hashed only
    assert client.scope_list == ["org", "read"]
    entry = AuditEntry.objects.get(action="core.api_client.create")
    assert entry.change["client_id"] == api_client.client_id


def test_unknown_scope_is_refused(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        do_create_api_client(actor=None, name="x", scopes=["read", "root"])
    assert "root" in str(exc.value)
    assert not ApiClient.objects.exists()


def test_client_credentials_token_works_on_me(client, api_client):
    response = client_credentials(client, api_client.client_id, api_client.client_secret)
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert set(response.json()["scope"].split()) == {"read", "org"}
    me = client.get("/api/v1/me", **bearer(token))
    assert me.status_code == 200, me.content
    body = me.json()
    assert body["kind"] == "system" and body["username"] == api_client.client.user.username
    assert body["org_unit"]["division"] == "410800"
    assert body["scopes"] == ["org", "read"]


def test_tokens_are_not_kept_in_clear(client, api_client):
    token = client_credentials(client, api_client.client_id, api_client.client_secret).json()[
        "access_token"
    ]
    stored = find_access_token(token)
    assert stored is not None and stored.token == ""


def test_client_cannot_obtain_more_than_its_scopes(client, api_client):
    response = client_credentials(
        client, api_client.client_id, api_client.client_secret, scope="read write"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_wrong_secret_gets_no_token(client, api_client):
    response = client_credentials(client, api_client.client_id, "guess")
    assert response.status_code == 401


def test_expired_token_gets_401_envelope(client, api_client):
    token = client_credentials(client, api_client.client_id, api_client.client_secret).json()[
        "access_token"
    ]
    get_access_token_model().objects.filter(pk=find_access_token(token).pk).update(
        expires=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get("/api/v1/me", **bearer(token))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_unknown_token_gets_401_envelope(client, db):
    response = client.get("/api/v1/me", **bearer("not-a-token"))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_token_without_needed_scope_gets_403(client, city):
    creds = do_create_api_client(actor=None, name="组织机构同步", scopes=["org"])
    token = client_credentials(client, creds.client_id, creds.client_secret).json()["access_token"]
    response = client.get("/api/v1/me", **bearer(token))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "forbidden" and "read" in error["message"]
    # …and the write endpoint wants "write", which this client lacks as well.
    assert client.post("/api/v1/me/logout-everywhere", **bearer(token)).status_code == 403


def test_me_for_a_citizen_session_masks_only_the_id_number(client, citizen):
    client.force_login(citizen)
    body = client.get("/api/v1/me").json()
    assert body["full_name"] == "张三"
    assert body["phone"] == "13812345678"
    assert body["id_number"] == "1101**********002X"
    assert body["roles"] == [] and body["scopes"] is None


def test_me_lists_staff_roles_and_org_unit(client, make_staff):
    staff = make_staff("approver", "410823", "market")
    client.force_login(staff)
    body = client.get("/api/v1/me").json()
    assert body["kind"] == "staff"
    assert body["roles"] == [
        {"code": "approver", "label": "审批人员", "org_unit": staff.org_unit_id}
    ]
    assert body["org_unit"]["division"] == "410823"


def test_me_needs_authentication(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_patch_me_changes_elder_mode(client, citizen):
    client.force_login(citizen)
    response = client.patch(
        "/api/v1/me", data='{"elder_mode": true}', content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["elder_mode"] is True
    citizen.refresh_from_db()
    assert citizen.elder_mode


@pytest.mark.parametrize(
    "body", ['{"elder_mode": tru', "[]", '{"elder_mode": "maybe"}', "\xff\xfe", ""]
)
def test_malformed_body_gets_4xx_envelope_not_500(client, citizen, body):
    client.force_login(citizen)
    response = client.patch("/api/v1/me", data=body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] in {"invalid", "bad_request"}
    citizen.refresh_from_db()
    assert not citizen.elder_mode


def test_logout_everywhere_by_api_revokes_the_token_itself(client, citizen):
    from yiwang.core.tests.test_identity_account import issue_user_token

    token = issue_user_token(citizen, "read write")
    response = client.post("/api/v1/me/logout-everywhere", **bearer(token))
    assert response.status_code == 200
    assert response.json()["access_tokens"] == 1
    assert client.get("/api/v1/me", **bearer(token)).status_code == 401


def test_apiclient_command_prints_credentials_once(city):
    out, err = StringIO(), StringIO()
    call_command(
        "apiclient", "create", "12345 热线系统", "--scopes", "read,org", stdout=out, stderr=err
    )
    lines = dict(line.split(": ", 1) for line in out.getvalue().strip().splitlines())
    client = ApiClient.objects.get(application__client_id=lines["client_id"])
    assert client.scopes == "org read"
    from django.contrib.auth.hashers import check_password

    assert check_password(lines["client_secret"], client.application.client_secret)
    listing = StringIO()
    call_command("apiclient", "list", stdout=listing)
    assert lines["client_id"] in listing.getvalue()
    assert lines["client_secret"] not in listing.getvalue()


def test_apiclient_command_rejects_bad_scopes(db):
    with pytest.raises(CommandError):
        call_command("apiclient", "create", "x", "--scopes", "everything", stdout=StringIO())
