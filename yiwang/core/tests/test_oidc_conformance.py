"""The OpenID provider seen by an independent client library (authlib) over HTTP against
a live server: discovery, authorization code + PKCE (S256), the ID token checked with
the JWKS (signature, iss, aud, nonce, at_hash, auth_time, sid), prompt=none, max_age,
refresh, revocation, introspection, RP-initiated logout, back-channel logout received by
a stub relying party, and implicit and hybrid response types refused.

OpenID Connect Core 1.0, Discovery 1.0, RP-Initiated Logout 1.0, Back-Channel Logout 1.0,
RFC 9700."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import warnings
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

with warnings.catch_warnings():
    # authlib's jose module announces its successor (joserfc); it stays until 2.0.
    warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
    from authlib.jose import JsonWebKey, JWTClaims, jwt
    from authlib.oidc.core import CodeIDToken

pytestmark = pytest.mark.filterwarnings("ignore:authlib.jose module is deprecated")

REDIRECT = "http://rp.example/cb"
AFTER_LOGOUT = "http://rp.example/bye"
PASSWORD = "Jz-test-pass-2026"
BCL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class _Hidden(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif self.inside and tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.values[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def hidden(html: str, form_id: str) -> dict[str, str]:
    parser = _Hidden(form_id)
    parser.feed(html)
    return parser.values


class StubRP:
    """A relying party's back-channel logout endpoint: records every POSTed form."""

    def __init__(self):
        received: list[dict] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                received.append({k: v[0] for k, v in form.items()})
                self.send_response(200)
                self.send_header("Cache-Control", "no-store")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/backchannel-logout"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_rp():
    rp = StubRP()
    yield rp
    rp.close()


@pytest.fixture
def live(live_server, settings):
    settings.TASKS = IMMEDIATE
    return live_server.url


@pytest.fixture
def party(live, citizen, stub_rp):
    """A registered relying party (接入系统) with a back-channel logout URI."""
    from yiwang.core.actions.oidc import do_register_relying_party

    return do_register_relying_party(
        actor=None,
        name="焦作市公积金中心",
        redirect_uris=REDIRECT,
        post_logout_redirect_uris=AFTER_LOGOUT,
        backchannel_logout_uri=stub_rp.url,
        scopes=["openid", "profile"],
    )


@pytest.fixture
def ua():
    """The user's browser (cookies kept), closed before the live server stops."""
    with requests.Session() as session:
        yield session


def discovery(live: str) -> dict:
    return requests.get(f"{live}/o/.well-known/openid-configuration", timeout=10).json()


def sign_in(ua: requests.Session, live: str, next_url: str = "") -> requests.Response:
    """Sign in through the login page, as a browser would."""
    page = ua.get(f"{live}/login/", params={"next": next_url} if next_url else None, timeout=10)
    token = hidden(page.text, "login-form").get("csrfmiddlewaretoken") or ua.cookies["csrftoken"]
    data = {"csrfmiddlewaretoken": token, "username": "zhangsan", "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    answer = ua.post(
        f"{live}/login/", data=data, allow_redirects=False, timeout=10,
        headers={"Referer": f"{live}/login/"},
    )  # fmt: skip
    assert answer.status_code == 302, answer.text[:500]
    return answer


def rp_client(party) -> OAuth2Session:
    return OAuth2Session(
        party.client_id,
        party.client_secret,
        scope="openid profile",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )


class Flow:
    """One sign-in at the relying party: the authorization URL and what it needs later."""

    def __init__(self, live: str, party, **extra):
        self.live, self.party = live, party
        self.oauth = rp_client(party)
        self.verifier = secrets.token_urlsafe(48)
        self.nonce = secrets.token_urlsafe(16)
        self.url, self.state = self.oauth.create_authorization_url(
            f"{live}/o/authorize/", code_verifier=self.verifier, nonce=self.nonce, **extra
        )

    def approve(self, ua: requests.Session, page: requests.Response) -> str:
        """Agree on the consent page; returns the redirect back to the relying party."""
        assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
        data = hidden(page.text, "authorizationForm")
        data["allow"] = "Authorize"
        answer = ua.post(
            self.url, data=data, allow_redirects=False, timeout=10, headers={"Referer": self.url}
        )
        assert answer.status_code == 302, answer.text[:300]
        return answer.headers["Location"]

    def code_redirect(self, ua: requests.Session) -> str:
        return self.approve(ua, ua.get(self.url, allow_redirects=False, timeout=10))

    def tokens(self, location: str) -> dict:
        query = parse_qs(urlsplit(location).query)
        assert query["iss"] == [f"{self.live}/o"]  # RFC 9207
        return self.oauth.fetch_token(
            f"{self.live}/o/token/", authorization_response=location, code_verifier=self.verifier
        )


def jwks(live: str):
    return JsonWebKey.import_key_set(
        requests.get(f"{live}/o/.well-known/jwks.json", timeout=10).json()
    )


def id_token_claims(live: str, party, tokens: dict, nonce: str | None, **params):
    """The ID token checked as a relying party does: signature by the JWKS, iss, aud,
    exp, iat, nonce, at_hash (and auth_time with ``max_age``)."""
    claims = jwt.decode(
        tokens["id_token"],
        jwks(live),
        claims_cls=CodeIDToken,
        claims_options={
            "iss": {"essential": True, "value": f"{live}/o"},
            "aud": {"essential": True, "value": party.client_id},
        },
        claims_params={
            "nonce": nonce,
            "client_id": party.client_id,
            "access_token": tokens["access_token"],
            **params,
        },
    )
    claims.validate(leeway=5)
    assert "at_hash" in claims
    return claims


def logout_token_claims(live: str, party, token: str):
    """A logout token checked as Back-Channel Logout 1.0 2.6 says."""
    claims = jwt.decode(
        token,
        jwks(live),
        claims_cls=JWTClaims,
        claims_options={
            "iss": {"essential": True, "value": f"{live}/o"},
            "aud": {"essential": True, "value": party.client_id},
            "iat": {"essential": True},
            "jti": {"essential": True},
            "events": {"essential": True},
        },
    )
    claims.validate(leeway=5)
    assert claims["events"] == {BCL_EVENT: {}}
    assert "nonce" not in claims
    assert claims.get("sub") or claims.get("sid")
    return claims


def _token_header(token: str) -> dict:
    import base64

    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


@pytest.mark.django_db(transaction=True)
def test_discovery_advertises_what_is_served(live):
    doc = discovery(live)
    assert doc["issuer"] == f"{live}/o"
    assert doc["response_types_supported"] == ["code"]
    assert set(doc["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "refresh_token",
    }
    assert "implicit" not in doc["grant_types_supported"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["revocation_endpoint"] == f"{live}/o/revoke_token/"
    assert doc["introspection_endpoint"] == f"{live}/o/introspect/"
    assert doc["end_session_endpoint"] == f"{live}/o/logout/"
    assert doc["backchannel_logout_supported"] is True
    assert doc["backchannel_logout_session_supported"] is True
    assert {"none", "login"} <= set(doc["prompt_values_supported"])
    assert {"sub", "auth_time", "sid"} <= set(doc["claims_supported"])
    rfc8414 = requests.get(f"{live}/o/.well-known/oauth-authorization-server", timeout=10).json()
    assert rfc8414["response_types_supported"] == ["code"]


@pytest.mark.django_db(transaction=True)
def test_code_flow_pkce_id_token_refresh_introspect_revoke(live, ua, citizen, party):
    flow = Flow(live, party)
    login = ua.get(flow.url, allow_redirects=False, timeout=10)
    assert login.status_code == 302 and "/login/" in login.headers["Location"]
    sign_in(ua, live, next_url=flow.url.removeprefix(live))
    tokens = flow.tokens(flow.code_redirect(ua))

    claims = id_token_claims(live, party, tokens, flow.nonce)
    assert claims["sub"] == str(citizen.pk)
    assert claims["name"] == "张三" and "id_number" not in claims
    assert None not in claims.values()  # absent claims are omitted, never null
    assert claims["sid"] and isinstance(claims["auth_time"], int)
    assert _token_header(tokens["id_token"])["kid"]

    info = requests.get(
        f"{live}/o/userinfo/",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()
    assert info["sub"] == str(citizen.pk) and None not in info.values()

    refreshed = flow.oauth.refresh_token(f"{live}/o/token/", refresh_token=tokens["refresh_token"])
    assert refreshed["access_token"] != tokens["access_token"]
    again = id_token_claims(live, party, refreshed, None)
    assert again["sid"] == claims["sid"] and again["auth_time"] == claims["auth_time"]

    introspect = f"{live}/o/introspect/"
    active = flow.oauth.introspect_token(introspect, token=refreshed["access_token"]).json()
    assert active["active"] is True and "openid" in active["scope"].split()
    revoked = flow.oauth.revoke_token(f"{live}/o/revoke_token/", token=refreshed["access_token"])
    assert revoked.status_code == 200
    gone = flow.oauth.introspect_token(introspect, token=refreshed["access_token"]).json()
    assert gone["active"] is False


@pytest.mark.django_db(transaction=True)
def test_prompt_none(live, ua, citizen, party):
    silent = Flow(live, party, prompt="none")
    refused = ua.get(silent.url, allow_redirects=False, timeout=10)
    query = parse_qs(urlsplit(refused.headers["Location"]).query)
    assert refused.headers["Location"].startswith(REDIRECT)
    assert query["error"] == ["login_required"] and query["state"] == [silent.state]
    assert query["iss"] == [f"{live}/o"]

    sign_in(ua, live)
    no_consent = ua.get(Flow(live, party, prompt="none").url, allow_redirects=False, timeout=10)
    assert parse_qs(urlsplit(no_consent.headers["Location"]).query)["error"] == ["consent_required"]

    first = Flow(live, party)
    first_claims = id_token_claims(live, party, first.tokens(first.code_redirect(ua)), first.nonce)
    silent = Flow(live, party, prompt="none")
    answer = ua.get(silent.url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302 and "code=" in answer.headers["Location"]
    tokens = silent.tokens(answer.headers["Location"])
    claims = id_token_claims(live, party, tokens, silent.nonce)
    assert claims["sid"] == first_claims["sid"] and claims["sub"] == str(citizen.pk)

    hinted = Flow(live, party, prompt="none", id_token_hint=tokens["id_token"])
    answer = ua.get(hinted.url, allow_redirects=False, timeout=10)
    assert "code=" in answer.headers["Location"]
    other = Flow(live, party, prompt="none", id_token_hint=tokens["id_token"][:-4] + "AAAA")
    answer = ua.get(other.url, allow_redirects=False, timeout=10)
    assert "error=login_required" in answer.headers["Location"]

    mixed = ua.get(Flow(live, party, prompt="none login").url, allow_redirects=False, timeout=10)
    assert "error=invalid_request" in mixed.headers["Location"]


@pytest.mark.django_db(transaction=True)
def test_max_age_forces_a_new_sign_in_and_auth_time_says_when(live, ua, citizen, party, clock):
    sign_in(ua, live)
    first = Flow(live, party)
    first_claims = id_token_claims(live, party, first.tokens(first.code_redirect(ua)), first.nonce)

    clock.shift(dt.timedelta(minutes=10))
    silent = ua.get(Flow(live, party, prompt="none", max_age="60").url, allow_redirects=False)
    assert "error=login_required" in silent.headers["Location"]

    flow = Flow(live, party, max_age="60")
    sent = ua.get(flow.url, allow_redirects=False, timeout=10)
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/login/")
    back = sign_in(ua, live, next_url=flow.url.removeprefix(live))
    assert back.headers["Location"] == flow.url.removeprefix(live)
    tokens = flow.tokens(flow.code_redirect(ua))
    claims = id_token_claims(live, party, tokens, flow.nonce, max_age=60)
    assert claims["auth_time"] >= first_claims["auth_time"] + 600
    assert abs(claims["auth_time"] - claims["iat"]) <= 5


@pytest.mark.django_db(transaction=True)
def test_rp_initiated_logout(live, ua, citizen, party):
    sign_in(ua, live)
    flow = Flow(live, party)
    tokens = flow.tokens(flow.code_redirect(ua))
    end_session = discovery(live)["end_session_endpoint"]

    wrong = ua.get(
        end_session,
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://evil.example/",
            "state": "s1",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert wrong.status_code == 400
    assert ua.get(f"{live}/account/", allow_redirects=False, timeout=10).status_code == 200

    done = ua.get(
        end_session,
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": AFTER_LOGOUT,
            "state": "s2",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert done.status_code == 302
    assert done.headers["Location"] == f"{AFTER_LOGOUT}?state=s2"
    assert ua.get(f"{live}/account/", allow_redirects=False, timeout=10).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_back_channel_logout_reaches_the_relying_party(live, ua, citizen, party, stub_rp):
    sign_in(ua, live)
    flow = Flow(live, party)
    tokens = flow.tokens(flow.code_redirect(ua))
    claims = id_token_claims(live, party, tokens, flow.nonce)

    page = ua.get(f"{live}/account/", timeout=10)
    token = ua.cookies["csrftoken"]
    assert page.status_code == 200
    out = ua.post(
        f"{live}/logout/",
        data={"csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
        headers={"Referer": f"{live}/account/"},
    )
    assert out.status_code == 302
    assert len(stub_rp.received) == 1
    logout_token = stub_rp.received[0]["logout_token"]
    assert _token_header(logout_token)["typ"] == "logout+jwt"
    logout = logout_token_claims(live, party, logout_token)
    assert logout["sub"] == claims["sub"] and logout["sid"] == claims["sid"]

    with pytest.raises(Exception, match="invalid_grant"):
        flow.oauth.refresh_token(f"{live}/o/token/", refresh_token=tokens["refresh_token"])


@pytest.mark.django_db(transaction=True)
def test_logout_everywhere_tells_the_relying_party(live, ua, citizen, party, stub_rp):
    sign_in(ua, live)
    flow = Flow(live, party)
    claims = id_token_claims(live, party, flow.tokens(flow.code_redirect(ua)), flow.nonce)
    ua.get(f"{live}/account/", timeout=10)
    ua.post(
        f"{live}/account/logout-everywhere/",
        data={"csrfmiddlewaretoken": ua.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=10,
        headers={"Referer": f"{live}/account/"},
    )
    sids = {logout_token_claims(live, party, r["logout_token"])["sid"] for r in stub_rp.received}
    assert sids == {claims["sid"]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code id_token"])
def test_implicit_and_hybrid_response_types_are_refused(live, ua, citizen, party, response_type):
    from oauth2_provider.models import get_application_model

    sign_in(ua, live)
    # Even a client registered for them (by hand, in the admin) is refused.
    Application = get_application_model()
    Application.objects.filter(client_id=party.client_id).update(
        authorization_grant_type=Application.GRANT_OPENID_HYBRID
    )
    params = {
        "response_type": response_type,
        "client_id": party.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid",
        "state": "st",
        "nonce": "n",
        "code_challenge": "x" * 43,
        "code_challenge_method": "S256",
    }
    answer = ua.get(f"{live}/o/authorize/?{urlencode(params)}", allow_redirects=False, timeout=10)
    location = answer.headers.get("Location", "")
    assert "code=" not in location and "access_token" not in location
    assert "id_token=" not in location
    assert answer.status_code == 302 and "error=unsupported_response_type" in location


@pytest.mark.django_db(transaction=True)
def test_disabled_relying_party_is_refused(live, ua, citizen, party):
    from yiwang.core.actions.oidc import do_set_relying_party_disabled

    do_set_relying_party_disabled(actor=None, party=party.party, disabled=True)
    sign_in(ua, live)
    answer = ua.get(Flow(live, party).url, allow_redirects=False, timeout=10)
    assert answer.status_code == 400 and "Location" not in answer.headers
