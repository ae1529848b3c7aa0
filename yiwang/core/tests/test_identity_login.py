"""统一身份认证 login: generic errors, login waits, 动态口令 second step, redirects, ledger."""

from __future__ import annotations

import datetime as dt
import json
import time

import pyotp
import pytest
from django.urls import reverse

from yiwang.core.models import AuditEntry

PASSWORD = "Jz-test-pass-2026"


def post_login(client, username, password, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("web:login"), data)


def test_login_page_has_labelled_inputs_in_chinese(client, db):
    html = client.get(reverse("web:login")).content.decode()
    assert "统一身份认证登录" in html
    assert '<label for="id_username"' in html and '<label for="id_password"' in html
    assert reverse("core:register_citizen") in html


@pytest.mark.parametrize(
    ("fixture", "target"),
    [("citizen", "web:citizen"), ("enterprise_user", "web:enterprise")],
)
def test_login_redirects_by_kind_and_records_success(client, request, fixture, target):
    user = request.getfixturevalue(fixture)
    response = post_login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse(target)
    assert client.get(reverse(target)).status_code == 200
    entry = AuditEntry.objects.filter(action="core.session.login").latest("at")
    assert entry.actor_id == user.pk and entry.change["reason"] == "password"
    assert client.session["yiwang_epoch"] == user.session_epoch


def test_staff_lands_on_workbench(client, make_staff):
    staff = make_staff("approver")
    response = post_login(client, staff.username, PASSWORD)
    assert response["Location"] == reverse("web:workbench")


def test_safe_next_is_honoured_and_foreign_next_ignored(client, citizen):
    response = post_login(client, citizen.username, PASSWORD, next_url="/account/")
    assert response["Location"] == "/account/"
    client.post(reverse("web:logout"))
    response = post_login(client, citizen.username, PASSWORD, next_url="https://evil.example/x")
    assert response["Location"] == reverse("web:citizen")


def test_wrong_password_and_unknown_user_get_the_same_generic_message(client, citizen):
    wrong = post_login(client, citizen.username, "not-the-password")
    unknown = post_login(client, "nobody-here", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "用户名或密码不正确。" in response.content.decode()
        assert "_auth_user_id" not in client.session
    failed = AuditEntry.objects.filter(action="core.session.login_failed")
    assert failed.count() == 2
    # The attempt is nobody's act (a stranger may have typed it); the account is its object.
    assert failed.filter(
        actor__isnull=True, object_id=str(citizen.pk), change__reason="password"
    ).exists()
    # A name that is no account may be a password typed in the wrong box: only its digest.
    unknown_entry = failed.get(
        actor__isnull=True,
        object_type="core.user",
        change__reason="password",
        object_id__startswith="sha256:",
    )
    assert "nobody-here" not in json.dumps(unknown_entry.change)


def test_a_refused_login_keeps_where_to_go_next(client, citizen):
    # A refused login re-renders as it always has (200, one generic message); the
    # ``next`` the link or the form gave is kept for the next try.
    refused = post_login(client, citizen.username, "not-the-password", next_url="/account/")
    page = refused.content.decode()
    assert refused.status_code == 200 and "用户名或密码不正确。" in page
    assert '<input type="hidden" name="next" value="/account/">' in page
    linked = client.get(reverse("web:login"), {"next": "/messages/"}).content.decode()
    assert '<input type="hidden" name="next" value="/messages/">' in linked
    response = client.post(
        reverse("web:login") + "?next=/messages/",
        {"username": citizen.username, "password": PASSWORD},
    )
    assert response["Location"] == "/messages/"


def test_a_wait_refuses_even_the_right_password_and_ends_after_its_time(
    client, citizen, settings, clock
):
    settings.YIWANG = {**settings.YIWANG, "LOGIN_DELAY_FREE_FAILURES": 2}
    for _ in range(2):
        assert "用户名或密码不正确。" in post_login(client, "zhangsan", "bad").content.decode()
    third = post_login(client, "zhangsan", "bad")
    assert third.status_code == 429
    assert "该用户名需等待至" in third.content.decode()

    right = post_login(client, "zhangsan", PASSWORD)
    assert right.status_code == 429
    assert "该用户名近期登录失败较多" in right.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(
        action="core.session.login_failed", change__reason="paused"
    ).exists()

    clock.shift(dt.timedelta(seconds=settings.YIWANG["LOGIN_DELAY_BASE_SECONDS"] + 1))
    assert post_login(client, "zhangsan", PASSWORD).status_code == 302


def test_success_resets_failure_count(client, citizen, settings):
    settings.YIWANG = {**settings.YIWANG, "LOGIN_DELAY_FREE_FAILURES": 2}
    post_login(client, "zhangsan", "bad")
    post_login(client, "zhangsan", "bad")
    assert post_login(client, "zhangsan", PASSWORD).status_code == 302
    client.post(reverse("web:logout"))
    for _ in range(2):  # counted from zero again: no wait yet
        assert post_login(client, "zhangsan", "bad").status_code == 200


def test_logout_is_post_only_and_recorded(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="core.session.logout", actor=citizen).exists()


# --- 动态口令 (TOTP) ---


@pytest.fixture
def staff_with_totp(make_staff):
    from yiwang.core.actions.identity import do_enable_totp

    staff = make_staff("approver")
    secret = pyotp.random_base32()
    do_enable_totp(actor=staff, user=staff, secret=secret, code=pyotp.TOTP(secret).now())
    staff.refresh_from_db()
    return staff, secret


def next_code(secret: str) -> str:
    """A code the server accepts (one step ahead) but different from the enrolment code."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def test_totp_login_takes_two_steps(client, staff_with_totp):
    staff, secret = staff_with_totp
    first = post_login(client, staff.username, PASSWORD, next_url="/account/")
    assert first.status_code == 302 and first["Location"] == reverse("core:login_totp")
    assert "_auth_user_id" not in client.session  # not logged in after the password alone
    assert client.get(reverse("web:workbench")).status_code == 302

    page = client.get(reverse("core:login_totp")).content.decode()
    assert "动态口令" in page and 'autocomplete="one-time-code"' in page
    done = client.post(reverse("core:login_totp"), {"code": next_code(secret)})
    assert done.status_code == 302 and done["Location"] == "/account/"
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert AuditEntry.objects.filter(
        action="core.session.login", actor=staff, change__reason="totp"
    ).exists()


def test_wrong_totp_is_refused_and_counts_towards_the_wait(
    client, staff_with_totp, settings, clock
):
    settings.YIWANG = {**settings.YIWANG, "LOGIN_DELAY_FREE_FAILURES": 2}
    staff, secret = staff_with_totp
    post_login(client, staff.username, PASSWORD)
    wrong = client.post(reverse("core:login_totp"), {"code": "000000"})
    assert "动态口令不正确或已过期" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    # The right password again must not wipe the count of wrong codes.
    post_login(client, staff.username, PASSWORD)
    client.post(reverse("core:login_totp"), {"code": "000001"})
    post_login(client, staff.username, PASSWORD)
    paused = client.post(reverse("core:login_totp"), {"code": "000002"})
    assert paused.status_code == 429
    assert "该用户名近期登录失败较多" in paused.content.decode()
    # While the wait runs even a right code is not checked …
    refused = client.post(reverse("core:login_totp"), {"code": next_code(secret)})
    assert refused.status_code == 429 and "_auth_user_id" not in client.session
    # … and afterwards it is.
    clock.shift(dt.timedelta(seconds=settings.YIWANG["LOGIN_DELAY_BASE_SECONDS"] + 1))
    done = client.post(reverse("core:login_totp"), {"code": next_code(secret)})
    assert done.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)


def test_totp_code_cannot_be_replayed(client, staff_with_totp):
    staff, secret = staff_with_totp
    code = next_code(secret)
    post_login(client, staff.username, PASSWORD)
    client.post(reverse("core:login_totp"), {"code": code})
    client.post(reverse("web:logout"))
    post_login(client, staff.username, PASSWORD)
    again = client.post(reverse("core:login_totp"), {"code": code})
    assert again.status_code == 200
    assert "_auth_user_id" not in client.session


def test_totp_step_without_password_step_goes_back_to_login(client, db):
    response = client.get(reverse("core:login_totp"))
    assert response.status_code == 302 and response["Location"] == reverse("web:login")


def test_totp_enrolment_shows_qr_and_needs_a_code(client, make_staff):
    staff = make_staff("window_clerk")
    client.force_login(staff)
    page = client.get(reverse("core:totp"))
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html and 'alt="动态口令二维码' in html
    secret = client.session["yiwang_totp_enrol"]
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in html

    bad = client.post(reverse("core:totp"), {"code": "123456"})
    assert "动态口令不正确或已过期" in bad.content.decode()
    staff.refresh_from_db()
    assert not staff.totp_enabled

    good = client.post(reverse("core:totp"), {"code": pyotp.TOTP(secret).now()})
    assert good.status_code == 302
    staff.refresh_from_db()
    assert staff.totp_enabled and staff.totp_secret == secret
    assert AuditEntry.objects.filter(action="core.user.enable_totp", actor=staff).exists()


def test_totp_disable_needs_the_password(client, staff_with_totp):
    staff, _secret = staff_with_totp
    client.force_login(staff)
    wrong = client.post(reverse("core:totp_disable"), {"password": "nope"})
    assert wrong.status_code == 400 and "密码不正确。" in wrong.content.decode()
    staff.refresh_from_db()
    assert staff.totp_enabled
    client.post(reverse("core:totp_disable"), {"password": PASSWORD})
    staff.refresh_from_db()
    assert not staff.totp_enabled and staff.totp_secret == ""


def test_totp_enrolment_is_for_staff_only(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("core:totp")).status_code == 403


def test_many_failures_from_one_address_are_throttled_before_hashing(client, citizen, settings):
    settings.YIWANG = {**settings.YIWANG, "LOGIN_IP_FAILURES": 3}
    for name in ("a1", "a2"):  # spraying different accounts from one address
        assert post_login(client, name, "wrong-password").status_code == 200
    third = post_login(client, "a3", "wrong-password")  # reaches the limit: told at once
    assert third.status_code == 429 and "此网络地址登录失败次数过多" in third.content.decode()
    refused = post_login(client, "zhangsan", PASSWORD)
    assert refused.status_code == 429
    assert "此网络地址登录失败次数过多" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    other = post_login(client.__class__(REMOTE_ADDR="10.9.8.7"), "zhangsan", PASSWORD)
    assert other.status_code == 302  # another address is not affected


def test_throttle_counts_only_failures(client, citizen, settings):
    settings.YIWANG = {**settings.YIWANG, "LOGIN_IP_FAILURES": 2}
    for _ in range(3):
        assert post_login(client, "zhangsan", PASSWORD).status_code == 302
        client.post(reverse("web:logout"))
    assert post_login(client, "zhangsan", PASSWORD).status_code == 302


def test_throttle_message_in_english(client, citizen, settings):
    settings.YIWANG = {**settings.YIWANG, "LOGIN_IP_FAILURES": 1}
    post_login(client, "nobody", "wrong-password")
    client.cookies["django_language"] = "en"
    refused = post_login(client, "zhangsan", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this network address" in refused.content.decode()


def test_throttle_reads_the_client_address_behind_a_trusted_proxy(client, citizen, settings):
    settings.YIWANG = {**settings.YIWANG, "LOGIN_IP_FAILURES": 1, "TRUSTED_PROXIES": 1}
    via_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    client.post(
        reverse("web:login"),
        {"username": "x", "password": "wrong-password"},
        HTTP_X_FORWARDED_FOR="203.0.113.5",
        **via_proxy,
    )
    same = client.post(
        reverse("web:login"),
        {"username": "zhangsan", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5",
        **via_proxy,
    )
    assert same.status_code == 429  # a forged left-hand entry does not escape the throttle
    other = client.post(
        reverse("web:login"),
        {"username": "zhangsan", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        **via_proxy,
    )
    assert other.status_code == 302  # another client behind the same proxy is not blocked
