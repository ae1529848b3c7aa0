"""OIDC provider for relying government systems: authorization code + PKCE (S256), ID token
RS256 checked against JWKS, userinfo claims."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from jwcrypto import jwk, jwt
from oauth2_provider.models import get_application_model

REDIRECT = "http://rp.example/cb"


@pytest.fixture
def relying_party(db):
    """A registered relying party (接入系统): confidential, authorization code, RS256."""
    Application = get_application_model()
    secret = secrets.token_urlsafe(32)
    app = Application.objects.create(
        name="焦作市公积金中心",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
        algorithm=Application.RS256_ALGORITHM,
        client_secret=secret,
    )
    return app, secret


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(app, challenge: str, state: str = "st-123", **extra) -> dict:
    return {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": state,
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


class _HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.values[a["name"]] = a.get("value") or ""


def hidden_inputs(html: str) -> dict[str, str]:
    """What a browser would post back from the consent form (its hidden fields)."""
    parser = _HiddenInputs()
    parser.feed(html.split('id="authorizationForm"', 1)[1].split("</form>", 1)[0])
    return parser.values


def get_code(client, app, challenge: str) -> str:
    """Show the consent page, approve it, return the code from the redirect."""
    params = authorize_params(app, challenge)
    page = client.get("/o/authorize/?" + urlencode(params))
    assert page.status_code == 200
    html = page.content.decode()
    assert "焦作市公积金中心" in html and "同意授权" in html and "基本资料" in html
    data = hidden_inputs(html)
    assert data["code_challenge"] == challenge and data["state"] == "st-123"
    data["allow"] = "Authorize"
    approved = client.post("/o/authorize/?" + urlencode(params), data)
    assert approved.status_code == 302, approved.content[:500]
    location = urlparse(approved["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    return query["code"][0]


def exchange(client, app, secret: str, code: str, verifier: str):
    return client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": app.client_id,
            "client_secret": secret,
            "code_verifier": verifier,
        },
    )


def test_discovery_document_points_at_our_endpoints(client, db):
    doc = client.get("/o/.well-known/openid-configuration").json()
    assert doc["issuer"] == "http://testserver/o"
    assert doc["authorization_endpoint"] == "http://testserver/o/authorize/"
    assert doc["token_endpoint"] == "http://testserver/o/token/"
    assert doc["userinfo_endpoint"] == "http://testserver/o/userinfo/"
    assert doc["jwks_uri"] == "http://testserver/o/.well-known/jwks.json"
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert {"sub", "name", "preferred_username", "kind", "org_unit"} <= set(doc["claims_supported"])
    assert "id_number" not in doc["claims_supported"]
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert keys and keys[0]["kty"] == "RSA"


def test_authorize_sends_anonymous_users_to_our_login(client, relying_party):
    app, _secret = relying_party
    _verifier, challenge = pkce_pair()
    response = client.get("/o/authorize/?" + urlencode(authorize_params(app, challenge)))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/o/authorize/")


def test_code_flow_with_pkce_end_to_end(client, citizen, relying_party):
    app, secret = relying_party
    client.force_login(citizen)
    verifier, challenge = pkce_pair()
    code = get_code(client, app, challenge)

    token_response = exchange(client, app, secret, code, verifier)
    assert token_response.status_code == 200, token_response.content
    tokens = token_response.json()
    assert tokens["token_type"] == "Bearer" and tokens["access_token"]

    keyset = jwk.JWKSet.from_json(client.get("/o/.well-known/jwks.json").content)
    id_token = jwt.JWT(jwt=tokens["id_token"], key=keyset, expected_type="JWS")
    assert json.loads(id_token.header)["alg"] == "RS256"
    claims = json.loads(id_token.claims)
    assert claims["sub"] == str(citizen.pk)
    assert claims["aud"] == app.client_id
    assert claims["iss"] == "http://testserver/o"
    assert claims["nonce"] == "n-456"
    assert claims["name"] == "张三" and claims["kind"] == "citizen"
    assert "id_number" not in claims

    client.logout()  # userinfo works with the bearer token alone
    info = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert info["sub"] == str(citizen.pk)
    assert info["name"] == "张三" and info["kind"] == "citizen"
    assert info["preferred_username"] == "zhangsan"


def test_wrong_code_verifier_is_refused(client, citizen, relying_party):
    app, secret = relying_party
    client.force_login(citizen)
    _verifier, challenge = pkce_pair()
    code = get_code(client, app, challenge)
    response = exchange(client, app, secret, code, secrets.token_urlsafe(48))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_authorize_without_pkce_is_refused(client, citizen, relying_party):
    app, _secret = relying_party
    client.force_login(citizen)
    params = authorize_params(app, "x")
    del params["code_challenge"], params["code_challenge_method"]
    response = client.get("/o/authorize/?" + urlencode(params))
    assert response.status_code == 302
    assert "error=invalid_request" in response["Location"]


def test_denied_consent_returns_access_denied(client, citizen, relying_party):
    app, _secret = relying_party
    client.force_login(citizen)
    _verifier, challenge = pkce_pair()
    params = authorize_params(app, challenge)
    page = client.get("/o/authorize/?" + urlencode(params))
    data = hidden_inputs(page.content.decode())
    response = client.post("/o/authorize/?" + urlencode(params), data)
    assert response.status_code == 302 and "error=access_denied" in response["Location"]


def test_unknown_client_shows_a_chinese_error_page(client, citizen):
    client.force_login(citizen)
    response = client.get(
        "/o/authorize/?" + urlencode({"client_id": "nope", "response_type": "code"})
    )
    assert "授权请求无效" in response.content.decode()


def test_self_service_application_registration_is_not_exposed(client, citizen):
    client.force_login(citizen)
    assert client.get("/o/applications/register/").status_code == 404
    assert client.get("/o/applications/").status_code == 404
