"""Unified identity costs: a bearer-token API call (token looked up by checksum among many)
against the same call on a session; a full password login (Argon2) against the bare hash
check; TOTP verification."""

from __future__ import annotations

import datetime as dt
import secrets

from bench.common import rate, result


def _setup(n_tokens: int):
    from django.utils import timezone
    from oauth2_provider.models import get_access_token_model

    from yiwang.core.actions.identity import do_create_api_client
    from yiwang.core.actions.users import do_create_citizen

    citizen = do_create_citizen(
        actor=None,
        username="bench-citizen",
        full_name="基准用户",
        id_number="11010519491231002X",
        password="Bench-Pass-2026",
        validate=False,
    )
    creds = do_create_api_client(actor=None, name="基准客户端", scopes=["read"])
    AccessToken = get_access_token_model()
    expires = timezone.now() + dt.timedelta(hours=1)
    filler = [
        AccessToken(
            application=creds.client.application,
            token=secrets.token_urlsafe(30),
            scope="read",
            expires=expires,
        )
        for _ in range(n_tokens)
    ]
    AccessToken.objects.bulk_create(filler, batch_size=1000)
    return citizen, creds


def run(quick: bool = False) -> list[dict]:
    import base64

    import pyotp
    from django.contrib.auth.hashers import check_password
    from django.core.cache import cache
    from django.test import Client

    from yiwang.core.identity import totp

    n_tokens = 2_000 if quick else 20_000
    seconds = 0.5 if quick else 2.0
    citizen, creds = _setup(n_tokens)

    token_client = Client()
    basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
    token = token_client.post(
        "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
    ).json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    session_client = Client()
    session_client.force_login(citizen)

    def session_me():
        assert session_client.get("/api/v1/me").status_code == 200
        return 1

    def bearer_me():
        assert token_client.get("/api/v1/me", **auth).status_code == 200
        return 1

    encoded = citizen.password

    def bare_hash():
        assert check_password("Bench-Pass-2026", encoded)
        return 1

    login_client = Client()

    def full_login():
        response = login_client.post(
            "/login/", {"username": "bench-citizen", "password": "Bench-Pass-2026"}
        )
        assert response.status_code == 302
        login_client.post("/logout/")
        return 1

    secret = pyotp.random_base32()
    code = pyotp.TOTP(secret).now()

    def totp_check():
        assert totp.verify(secret, code)
        return 1

    session_me()
    bearer_me()
    session_rate = rate(session_me, seconds)
    bearer_rate = rate(bearer_me, seconds)
    hash_rate = rate(bare_hash, seconds)
    login_rate = rate(full_login, seconds)
    totp_rate = rate(totp_check, seconds)
    cache.clear()
    return [
        result("api_me_session", session_rate, "req/s"),
        result(
            "api_me_bearer",
            bearer_rate,
            "req/s",
            session_rate,
            "api_me_session",
            tokens_in_table=n_tokens + 1,
        ),
        result("argon2_check_password", hash_rate, "checks/s"),
        result(
            "login_password_full",
            login_rate,
            "logins/s",
            hash_rate,
            "argon2_check_password",
            note="login + logout pages, audit entries, session",
        ),
        result("totp_verify", totp_rate, "checks/s"),
    ]
