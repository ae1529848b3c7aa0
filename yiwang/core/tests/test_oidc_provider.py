"""OpenID provider rules checked with the test client (the live-server conformance run is
``test_oidc_conformance``): interaction_required for accounts that must first enrol in
动态口令, a relying party's allowed claims, prompt=login signing in once, and the
sign-in time and session id kept per browser session."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from yiwang.core.actions.oidc import do_register_relying_party
from yiwang.core.identity import sessions
from yiwang.core.tests.test_identity_oidc import (
    REDIRECT,
    authorize_params,
    exchange,
    hidden_inputs,
    pkce_pair,
)


@pytest.fixture
def party(db):
    return do_register_relying_party(
        actor=None,
        name="焦作市公积金中心",
        redirect_uris=REDIRECT,
        scopes=["openid", "profile"],
        claims=["name"],
    )


def code_for(client, party, challenge: str, **extra) -> str:
    params = authorize_params(party.party.application, challenge, **extra)
    page = client.get("/o/authorize/?" + urlencode(params))
    assert page.status_code == 200, page.get("Location")
    data = hidden_inputs(page.content.decode())
    data["allow"] = "Authorize"
    approved = client.post("/o/authorize/?" + urlencode(params), data)
    return parse_qs(urlsplit(approved["Location"]).query)["code"][0]


def test_staff_who_must_enrol_get_interaction_required(client, settings, make_staff, party):
    settings.YIWANG = {**settings.YIWANG, "STAFF_TOTP_REQUIRED": True}
    staff = make_staff("bureau_admin")
    client.force_login(staff)
    _verifier, challenge = pkce_pair()
    params = authorize_params(party.party.application, challenge, prompt="none")
    response = client.get("/o/authorize/?" + urlencode(params))
    assert response.status_code == 302 and response["Location"].startswith(REDIRECT)
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["interaction_required"]


def test_allowed_claims_narrow_what_the_relying_party_gets(client, citizen, party):
    client.force_login(citizen)
    verifier, challenge = pkce_pair()
    code = code_for(client, party, challenge)
    app = party.party.application
    app.client_secret = party.client_secret  # exchange() reads the secret from the app
    tokens = exchange(client, app, party.client_secret, code, verifier).json()
    info = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    claims = info.json()
    assert claims["name"] == "张三" and claims["sub"] == str(citizen.pk)
    assert "kind" not in claims and "preferred_username" not in claims


def test_prompt_login_signs_in_once(client, citizen, party):
    _verifier, challenge = pkce_pair()
    params = authorize_params(party.party.application, challenge, prompt="login")
    response = client.get("/o/authorize/?" + urlencode(params))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "prompt" not in parse_qs(urlsplit(response["Location"]).query)["next"][0]


def test_each_sign_in_gets_a_new_session_id_and_time(client, citizen):
    client.force_login(citizen)
    first = client.session[sessions.SID_KEY], client.session[sessions.AUTH_TIME_KEY]
    client.logout()
    client.force_login(citizen)
    assert client.session[sessions.SID_KEY] != first[0]
    assert client.session[sessions.AUTH_TIME_KEY] >= first[1]


def test_discovery_leaves_out_implicit_and_hybrid(client, db):
    doc = client.get("/o/.well-known/openid-configuration").json()
    assert doc["response_types_supported"] == ["code"]
    assert doc["end_session_endpoint"] == "http://testserver/o/logout/"
