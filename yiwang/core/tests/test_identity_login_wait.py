"""登录失败延时 instead of lockout: growing, capped waits per username; an address spraying
many usernames is paused instead of the accounts it names; the owner lifts a wait with an
SMS code or a 动态口令; the same answers whether or not a username exists; the login
page, Django admin's login and the OIDC sign-in share it all."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import time
from urllib.parse import urlencode

import pyotp
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_application_model

from yiwang.core.identity import lockout
from yiwang.core.models import AuditEntry, User
from yiwang.core.tests.test_identity_oidc import REDIRECT, authorize_params, pkce_pair

PASSWORD = "Jz-test-pass-2026"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.20"
TIME = re.compile(r"\d\d:\d\d:\d\d")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def waits(settings):
    """Short waits: none after the first failure, then 10 s, 20 s, 40 s (the cap)."""
    settings.YIWANG = {
        **settings.YIWANG,
        "LOGIN_DELAY_FREE_FAILURES": 1,
        "LOGIN_DELAY_BASE_SECONDS": 10,
        "LOGIN_DELAY_MAX_SECONDS": 40,
        "LOGIN_IP_FAILURES": 100,
        "LOGIN_IP_USERNAMES": 5,
    }


@pytest.fixture
def rp(db):
    """A relying party (接入系统) using the authorization code flow."""
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


def at(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def post_login(client, username, password, next_url="", path=None):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(path or reverse("web:login"), data)


def page_text(response, name: str) -> str:
    """The page's main content with the username, times and CSRF token made neutral."""
    html = response.content.decode().split("<main", 1)[1]
    return TIME.sub("T", CSRF.sub("CSRF", html)).replace(name, "NAME")


def shown_time(response) -> dt.datetime:
    """The time the page says to come back (today, local time)."""
    found = re.search(r"等待至 (\d\d:\d\d:\d\d)", response.content.decode())
    assert found is not None
    hhmmss = found.group(1)
    now = timezone.localtime()
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return now.replace(hour=h, minute=m, second=s, microsecond=0)


def test_each_failure_makes_the_next_attempt_wait_longer_up_to_a_cap(citizen, waits, clock):
    client = at(OWNER)
    first = post_login(client, "zhangsan", "wrong-1")
    assert first.status_code == 200 and "用户名或密码不正确。" in first.content.decode()
    waited = []
    for n in range(4):
        response = post_login(client, "zhangsan", f"wrong-{n + 2}")
        assert response.status_code == 429
        html = response.content.decode()
        assert "用户名或密码不正确。为保护账号安全，该用户名需等待至" in html
        seconds = (shown_time(response) - timezone.localtime()).total_seconds()
        waited.append(round(seconds / 10) * 10)
        # During the wait even the right password is refused, before it is checked.
        early = post_login(client, "zhangsan", PASSWORD)
        assert early.status_code == 429 and "_auth_user_id" not in client.session
        assert "该用户名近期登录失败较多，为保护账号安全，请于" in early.content.decode()
        clock.shift(dt.timedelta(seconds=seconds + 1))
    assert waited == [10, 20, 40, 40]  # doubling, capped
    assert post_login(client, "zhangsan", PASSWORD).status_code == 302


def test_an_unknown_username_waits_and_reads_exactly_like_a_real_one(citizen, waits, clock):
    pages = {}
    for name in ("zhangsan", "nobody-here"):
        client = at(OWNER)
        pages[name] = [
            (response.status_code, page_text(response, name))
            for response in (post_login(client, name, p) for p in ("wrong-1", "wrong-2", PASSWORD))
        ]
    assert [s for s, _ in pages["zhangsan"]] == [200, 429, 429]
    assert pages["zhangsan"] == pages["nobody-here"]


def test_an_address_spraying_usernames_is_paused_instead_of_the_accounts(
    citizen, make_staff, waits
):
    admin = make_staff("sysadmin", username="admin1")
    attacker = at(ATTACKER)
    for name in ("u1", "u2", "u3", "u4"):
        assert post_login(attacker, name, "guess").status_code == 200
    fifth = post_login(attacker, "zhangsan", "guess")  # the fifth different username
    assert fifth.status_code == 429 and "此网络地址登录失败次数过多" in fifth.content.decode()
    for _ in range(10):
        refused = post_login(attacker, admin.username, "guess")
        assert refused.status_code == 429
        assert "此网络地址登录失败次数过多，已暂停从该地址登录" in refused.content.decode()
    # The accounts the sprayer named are not slowed down at all.
    assert post_login(at(OWNER), "zhangsan", PASSWORD).status_code == 302
    assert post_login(at("198.51.100.21"), admin.username, PASSWORD).status_code == 302


def _sms_code(caplog) -> str:
    sent = [r.getMessage() for r in caplog.records if r.name == "yiwang.notify"]
    assert sent, "no SMS was sent"
    assert "138****5678" in sent[-1] and "13812345678" not in sent[-1]
    found = re.search(r"验证码 (\d{6})", sent[-1])
    assert found is not None
    return found.group(1)


def _make_wait(username: str, times: int = 4) -> None:
    attacker = at(ATTACKER)
    for n in range(times):
        post_login(attacker, username, f"guess-{n}")
        attacker = at(f"203.0.113.{70 + n}")  # many addresses, one account each


def test_the_owner_lifts_the_wait_with_an_sms_code(citizen, waits, caplog):
    caplog.set_level(logging.INFO, logger="yiwang.notify")
    _make_wait("zhangsan")
    owner = at(OWNER)
    assert post_login(owner, "zhangsan", PASSWORD).status_code == 429

    page = owner.get(reverse("web:login")).content.decode()
    assert reverse("core:login_unlock") in page
    asked = owner.post(reverse("core:login_unlock"), {"username": "zhangsan"})
    assert asked.status_code == 302 and asked["Location"] == reverse("core:login_unlock_verify")
    code = _sms_code(caplog)

    wrong = owner.post(reverse("core:login_unlock_verify"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "验证码不正确或已过期" in wrong.content.decode()
    done = owner.post(reverse("core:login_unlock_verify"), {"code": code})
    assert done.status_code == 302 and done["Location"] == reverse("web:login")

    # The attacker keeps failing from elsewhere; the owner's browser signs in regardless.
    _make_wait("zhangsan")
    assert post_login(at("198.51.100.99"), "zhangsan", PASSWORD).status_code == 429
    assert post_login(owner, "zhangsan", PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action="core.session.unlock_code", actor=None).exists()
    assert AuditEntry.objects.filter(
        action="core.session.unlock", actor=citizen, change__method="sms"
    ).exists()


def test_an_unlock_code_is_spent_once(db):
    code = lockout.new_unlock_code("zhangsan")
    assert not lockout.take_unlock_code("lisi", code)
    assert lockout.take_unlock_code("zhangsan", code)
    assert not lockout.take_unlock_code("zhangsan", code)


def test_the_owner_with_totp_lifts_the_wait_with_a_current_code(make_staff, waits):
    from yiwang.core.actions.identity import do_enable_totp

    staff = make_staff("approver", username="staff-totp")
    secret = pyotp.random_base32()
    do_enable_totp(actor=staff, user=staff, secret=secret, code=pyotp.TOTP(secret).now())
    _make_wait(staff.username)
    owner = at(OWNER)
    owner.post(reverse("core:login_unlock"), {"username": staff.username})
    code = pyotp.TOTP(secret).at(time.time() + 30)
    assert owner.post(reverse("core:login_unlock_verify"), {"code": code}).status_code == 302
    first = post_login(owner, staff.username, PASSWORD)
    assert first.status_code == 302 and first["Location"] == reverse("core:login_totp")
    assert AuditEntry.objects.filter(action="core.session.unlock", change__method="totp").exists()


def test_asking_for_a_code_answers_the_same_for_any_username(citizen, waits, caplog):
    caplog.set_level(logging.INFO, logger="yiwang.notify")
    pages = []
    for name in ("zhangsan", "nobody-here"):
        client = at(OWNER)
        asked = client.post(reverse("core:login_unlock"), {"username": name})
        assert asked.status_code == 302
        pages.append(page_text(client.get(asked["Location"]), name))
    assert pages[0] == pages[1]
    assert len([r for r in caplog.records if r.name == "yiwang.notify"]) == 1  # one real SMS


def test_codes_are_rate_limited(citizen, waits, caplog, clock):
    caplog.set_level(logging.INFO, logger="yiwang.notify")
    owner = at(OWNER)
    owner.post(reverse("core:login_unlock"), {"username": "zhangsan"})
    again = owner.post(reverse("core:login_unlock"), {"username": "zhangsan"})
    assert again.status_code == 429
    assert "获取验证码过于频繁，请于" in again.content.decode()
    assert 'role="alert"' in again.content.decode()  # the error summary

    code = _sms_code(caplog)
    for n in range(5):
        assert owner.post(reverse("core:login_unlock_verify"), {"code": f"00000{n}"}).status_code
    refused = owner.post(reverse("core:login_unlock_verify"), {"code": code})
    assert refused.status_code == 429 and "验证码错误次数过多" in refused.content.decode()
    clock.shift(dt.timedelta(minutes=11))
    late = owner.post(reverse("core:login_unlock_verify"), {"code": code})
    assert late.status_code == 400  # the code was dropped after the wrong ones


def test_wait_messages_in_english(citizen, waits):
    client = at(OWNER)
    client.cookies["django_language"] = "en"
    post_login(client, "zhangsan", "wrong-1")
    failed = post_login(client, "zhangsan", "wrong-2").content.decode()
    assert "Wrong username or password. To protect the account, this username cannot" in failed
    waiting = post_login(client, "zhangsan", PASSWORD).content.decode()
    assert "There have been several failed sign-ins for this username." in waiting
    assert "Lift the wait with an SMS code or your authenticator code" in waiting


def test_admin_login_is_behind_the_same_address_throttle(make_staff, settings):
    settings.YIWANG = {**settings.YIWANG, "LOGIN_IP_FAILURES": 3, "LOGIN_DELAY_FREE_FAILURES": 99}
    admin = make_staff("sysadmin", username="admin2")
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    assert at(OWNER).login(username=admin.username, password=PASSWORD)  # admin may sign in
    client = at(ATTACKER)
    for n in range(3):
        post_login(client, admin.username, f"guess-{n}", path="/admin/login/")
    post_login(client, admin.username, PASSWORD, path="/admin/login/")
    assert "_auth_user_id" not in client.session


def test_oidc_sign_in_shares_the_wait(citizen, waits, rp, clock):
    app, _secret = rp
    _verifier, challenge = pkce_pair()
    authorize = "/o/authorize/?" + urlencode(authorize_params(app, challenge))
    client = at(OWNER)
    sent = client.get(authorize)
    assert sent.status_code == 302 and sent["Location"].startswith(reverse("web:login"))
    post_login(client, "zhangsan", "wrong-1", next_url=authorize)
    paused = post_login(client, "zhangsan", "wrong-2", next_url=authorize)
    assert paused.status_code == 429
    assert post_login(client, "zhangsan", PASSWORD, next_url=authorize).status_code == 429
    clock.shift(dt.timedelta(seconds=11))
    back = post_login(client, "zhangsan", PASSWORD, next_url=authorize)
    assert back.status_code == 302 and back["Location"] == authorize


def test_the_token_endpoint_has_no_password_path_around_the_wait(citizen, rp):
    app, secret = rp
    response = Client().post(
        "/o/token/",
        {
            "grant_type": "password",
            "username": "zhangsan",
            "password": PASSWORD,
            "client_id": app.client_id,
            "client_secret": secret,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] in {"unsupported_grant_type", "unauthorized_client"}


# ---- 受信任设备: the browser the owner signs in with never waits on strangers ---------


def test_a_stranger_failing_slowly_never_keeps_the_owner_out_of_their_browser(citizen, waits):
    owner = at(OWNER)
    assert post_login(owner, "zhangsan", PASSWORD).status_code == 302
    assert lockout.DEVICE_COOKIE in owner.cookies
    owner.post(reverse("web:logout"))
    _make_wait("zhangsan", times=6)
    # A new browser must wait (and could lift the wait by SMS); the owner's does not.
    assert post_login(at("198.51.100.99"), "zhangsan", PASSWORD).status_code == 429
    assert post_login(owner, "zhangsan", PASSWORD).status_code == 302


def test_a_device_cookie_counts_its_own_failures_and_names_one_username(citizen, waits):
    owner = at(OWNER)
    assert post_login(owner, "zhangsan", PASSWORD).status_code == 302
    owner.post(reverse("web:logout"))
    _make_wait("zhangsan", times=6)
    # The cookie is for zhangsan only: another username from this browser still waits.
    _make_wait("lisi", times=6)
    assert post_login(owner, "lisi", "whatever").status_code == 429
    # Its own wrong passwords end the trust; then it waits like everyone else.
    for n in range(lockout.DEVICE_FAILURES):
        post_login(owner, "zhangsan", f"wrong-{n}")
    assert post_login(owner, "zhangsan", PASSWORD).status_code == 429
    # A forged cookie is no device.
    forged = at(OWNER)
    forged.cookies[lockout.DEVICE_COOKIE] = "eyJ1IjoiYWJjIn0:forged:sig"
    assert post_login(forged, "zhangsan", PASSWORD).status_code == 429


def test_one_stranger_cannot_use_up_the_owners_unlock_codes(citizen, waits, clock, caplog):
    caplog.set_level(logging.INFO, logger="yiwang.notify")
    stranger = at(ATTACKER)
    for _n in range(lockout.UNLOCK_SENDS_PER_USERNAME_ADDRESS[0]):
        assert stranger.post(reverse("core:login_unlock"), {"username": "zhangsan"}).status_code
        clock.shift(dt.timedelta(seconds=lockout.UNLOCK_RESEND_SECONDS + 1))
    refused = stranger.post(reverse("core:login_unlock"), {"username": "zhangsan"})
    assert refused.status_code == 429
    owner = at(OWNER)
    asked = owner.post(reverse("core:login_unlock"), {"username": "zhangsan"})
    assert asked.status_code == 302


def test_a_wait_past_midnight_names_its_day(db, clock):
    now = timezone.localtime()
    tomorrow = now + dt.timedelta(days=1)
    assert lockout.when(now + dt.timedelta(seconds=5)) == (now + dt.timedelta(seconds=5)).strftime(
        "%H:%M:%S"
    )
    assert lockout.when(tomorrow).startswith(f"{tomorrow.month}月{tomorrow.day}日 ")
