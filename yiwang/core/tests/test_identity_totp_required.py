"""强制动态口令 for staff: the enrolment window, the gate for pages and session API calls,
administrators without a window, single-use 恢复码 and refusing to switch TOTP off."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import subprocess
import sys
import time

import pyotp
import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from yiwang.core.actions.identity import do_enable_totp
from yiwang.core.identity import enrolment
from yiwang.core.models import AuditEntry, RecoveryCode, User

PASSWORD = "Jz-test-pass-2026"
WORKBENCH = "/workbench/"


@pytest.fixture
def required(settings):
    settings.YIWANG = {**settings.YIWANG, "STAFF_TOTP_REQUIRED": True, "STAFF_TOTP_WINDOW_DAYS": 7}


def login(client, user):
    response = client.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response
    return response


def enrol_url(next_path: str) -> str:
    return f"{reverse('core:totp')}?next={next_path.replace('/', '%2F')}"


def enrol_by_page(client) -> tuple[str, list[str]]:
    """Enrol through the page as the logged-in user; the secret and the codes shown."""
    client.get(reverse("core:totp"))
    secret = client.session["yiwang_totp_enrol"]
    done = client.post(reverse("core:totp"), {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"] == reverse("core:totp_recovery_codes")
    page = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", page)
    return secret, codes


def test_off_by_default_outside_production_and_on_in_production(client, make_staff):
    assert django_settings.YIWANG["STAFF_TOTP_REQUIRED"] is False
    staff = make_staff("approver")
    login(client, staff)
    assert client.get(WORKBENCH).status_code == 200
    env = {**os.environ, "YIWANG_ENV": "production", "YIWANG_SECRET_KEY": "k" * 50}
    env.pop("YIWANG_STAFF_TOTP_REQUIRED", None)
    script = "import yiwang.settings as s; print(s.YIWANG['STAFF_TOTP_REQUIRED'])"
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "True"


def test_inside_the_window_staff_are_sent_to_enrol_but_may_continue(client, make_staff, required):
    staff = make_staff("approver")
    login(client, staff)
    first = client.get(WORKBENCH)
    assert first.status_code == 302 and first["Location"] == enrol_url(WORKBENCH)
    page = client.get(first["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and 'id="totp-required"' in html
    assert "请在 2026-03-16 09:30 前开启" in html
    assert f'href="{WORKBENCH}" id="totp-later"' in html
    # Continuing works: the nudge comes once a session, pages and the API are open.
    assert client.get(WORKBENCH).status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    staff.refresh_from_db()
    assert staff.totp_required_since is not None
    assert AuditEntry.objects.filter(action="core.user.totp_required", actor=staff).count() == 1


def test_enrolment_page_in_english(client, make_staff, required):
    staff = make_staff("approver")
    login(client, staff)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("core:totp"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Staff must use a one-time code (TOTP) to sign in" in html
    assert "Set up later and carry on" in html


def test_after_the_window_only_the_enrolment_page_is_open(client, make_staff, required, clock):
    staff = make_staff("approver")
    login(client, staff)
    client.get(WORKBENCH)  # the window starts with the first request
    clock.shift(dt.timedelta(days=7, minutes=1))
    login(client, staff)  # the old session has ended by now
    response = client.get(WORKBENCH)
    assert response.status_code == 302 and response["Location"] == enrol_url(WORKBENCH)
    assert client.get(WORKBENCH).status_code == 302  # every time, not once
    assert client.post(reverse("core:account")).status_code == 302
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "totp_required"
    page = client.get(reverse("core:totp")).content.decode()
    assert 'class="alarm"' in page and 'id="totp-later"' not in page
    enrol_by_page(client)
    assert client.get(WORKBENCH).status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_after_the_window_a_bearer_token_still_counts_but_the_session_does_not(
    client, make_staff, required, clock
):
    staff = make_staff("approver")
    login(client, staff)
    client.get(WORKBENCH)
    clock.shift(dt.timedelta(days=8))
    login(client, staff)
    assert client.get("/api/v1/me").status_code == 403
    raw = secrets.token_urlsafe(30)
    token = get_access_token_model()(
        user=staff, scope="read", expires=timezone.now() + dt.timedelta(hours=1)
    )
    token._raw_token, token.token = raw, ""
    token.save()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    # A made-up token does not let the session through either.
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


@pytest.mark.parametrize("role", ["sysadmin", "bureau_admin", "superuser"])
def test_administrators_have_no_window(client, make_staff, required, role):
    staff = make_staff("approver" if role == "superuser" else role)
    if role == "superuser":
        User.objects.filter(pk=staff.pk).update(is_superuser=True)
    login(client, staff)
    response = client.get(WORKBENCH)
    assert response.status_code == 302 and response["Location"] == enrol_url(WORKBENCH)
    assert client.get(WORKBENCH).status_code == 302
    assert client.get("/api/v1/me").status_code == 403


def test_citizens_and_enterprises_are_unaffected(client, citizen, enterprise_user, required):
    for user, home in ((citizen, "web:citizen"), (enterprise_user, "web:enterprise")):
        login(client, user)
        assert client.get(reverse(home)).status_code == 200
        assert client.get("/api/v1/me").status_code == 200
        user.refresh_from_db()
        assert user.totp_required_since is None
        client.post(reverse("web:logout"))


def test_enrolled_staff_pass_the_gate(client, make_staff, required):
    staff = make_staff("sysadmin")
    secret = pyotp.random_base32()
    do_enable_totp(actor=staff, user=staff, secret=secret, code=pyotp.TOTP(secret).now())
    client.force_login(staff)
    assert client.get(WORKBENCH).status_code == 200


# --- 恢复码 ---


def test_enrolment_shows_recovery_codes_once_and_keeps_only_hashes(client, make_staff):
    staff = make_staff("approver")
    client.force_login(staff)
    _secret, codes = enrol_by_page(client)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Shown once: the page is gone on the next visit.
    again = client.get(reverse("core:totp_recovery_codes"))
    assert again.status_code == 302 and again["Location"] == reverse("core:totp")
    stored = list(RecoveryCode.objects.filter(user=staff).values_list("code_hash", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert code not in stored and code.replace("-", "") not in stored
        assert enrolment.code_hash(staff.pk, code) in stored
    assert not any(code in repr(e.change) for e in AuditEntry.objects.all() for code in codes)
    account = client.get(reverse("core:account")).content.decode()
    assert "还剩 10 个未用的恢复码" in account


def totp_login_with(client, user, code):
    client.post(reverse("web:logout"))
    first = client.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert first["Location"] == reverse("core:login_totp")
    return client.post(reverse("core:login_totp"), {"code": code})


def test_a_recovery_code_signs_in_once(client, make_staff):
    staff = make_staff("approver")
    client.force_login(staff)
    _secret, codes = enrol_by_page(client)
    used = totp_login_with(client, staff, codes[0].lower().replace("-", " "))
    assert used.status_code == 302 and used["Location"] == reverse("web:workbench")
    assert AuditEntry.objects.filter(
        action="core.session.login", actor=staff, change__reason="recovery_code"
    ).exists()
    entry = AuditEntry.objects.get(action="core.user.use_recovery_code")
    assert entry.change["left"] == 9
    again = totp_login_with(client, staff, codes[0])
    assert again.status_code == 200 and "恢复码不正确或已使用过。" in again.content.decode()
    assert "_auth_user_id" not in client.session
    assert totp_login_with(client, staff, codes[1]).status_code == 302
    page = client.get(reverse("core:totp")).content.decode()
    assert "还剩 8 个未用的恢复码" in page


def test_another_users_code_does_not_work(client, make_staff):
    first, second = make_staff("approver"), make_staff("approver")
    client.force_login(first)
    _s, codes = enrol_by_page(client)
    client.force_login(second)
    enrol_by_page(client)
    refused = totp_login_with(client, second, codes[0])
    assert refused.status_code == 200 and "_auth_user_id" not in client.session


def test_regenerating_invalidates_the_old_codes_and_is_audited(client, make_staff):
    staff = make_staff("approver")
    client.force_login(staff)
    _secret, old = enrol_by_page(client)
    wrong = client.post(reverse("core:totp_recovery_codes"), {"password": "nope"})
    assert wrong.status_code == 400 and "密码不正确。" in wrong.content.decode()
    done = client.post(reverse("core:totp_recovery_codes"), {"password": PASSWORD})
    assert done.status_code == 302
    page = client.get(done["Location"]).content.decode()
    new = re.findall(r"<code>([A-Z0-9]{5}-[A-Z0-9]{5})</code>", page)
    assert len(new) == 10 and not set(new) & set(old)
    entry = AuditEntry.objects.get(action="core.user.regenerate_recovery_codes")
    assert entry.actor_id == staff.pk and entry.change == {"recovery_codes": 10}
    assert totp_login_with(client, staff, old[0]).status_code == 200
    assert totp_login_with(client, staff, new[0]).status_code == 302


def test_changing_phones_gives_a_new_secret_and_new_codes(client, make_staff):
    staff = make_staff("approver")
    client.force_login(staff)
    old_secret, old = enrol_by_page(client)
    client.get(reverse("core:totp_change"))
    secret = client.session["yiwang_totp_enrol"]
    assert secret != old_secret
    code = pyotp.TOTP(secret).at(time.time() + 30)
    # A session left open is not enough: the password is asked again.
    bare = client.post(reverse("core:totp_change"), {"code": code})
    assert bare.status_code == 400 and 'id="id_password"' in bare.content.decode()
    wrong = client.post(reverse("core:totp_change"), {"code": code, "password": "nope"})
    assert wrong.status_code == 400 and "密码不正确。" in wrong.content.decode()
    staff.refresh_from_db()
    assert staff.totp_secret == old_secret
    done = client.post(reverse("core:totp_change"), {"code": code, "password": PASSWORD})
    assert done.status_code == 302
    staff.refresh_from_db()
    assert staff.totp_secret == secret
    assert totp_login_with(client, staff, old[0]).status_code == 200
    # The owner is told, in case it was not them.
    assert staff.notifications.filter(title="动态口令已绑定到新手机").exists()


@pytest.mark.parametrize(
    "page", ["core:totp_recovery_codes", "core:totp_disable", "core:change_password"]
)
def test_password_checks_while_signed_in_pause_after_five_wrong(client, make_staff, page):
    staff = make_staff("approver")
    client.force_login(staff)
    enrol_by_page(client)
    field = "old_password" if page == "core:change_password" else "password"
    for _n in range(5):
        assert client.post(reverse(page), {field: "nope"}).status_code == 400
    paused = client.post(reverse(page), {field: PASSWORD})
    assert paused.status_code == 429 and "密码错误次数过多" in paused.content.decode()


# --- 关闭动态口令 ---


def test_disabling_is_refused_while_required(client, make_staff, required):
    staff = make_staff("approver")
    client.force_login(staff)
    enrol_by_page(client)
    page = client.get(reverse("core:totp")).content.decode()
    assert 'id="totp-disable-refused"' in page and 'id="totp-disable-form"' not in page
    refused = client.post(reverse("core:totp_disable"), {"password": PASSWORD})
    assert refused.status_code == 403
    assert "不能关闭" in refused.content.decode()
    staff.refresh_from_db()
    assert staff.totp_enabled and staff.recovery_codes.count() == 10
    assert not AuditEntry.objects.filter(action="core.user.disable_totp").exists()


def test_disabling_when_not_required_drops_the_codes(client, make_staff):
    staff = make_staff("approver")
    client.force_login(staff)
    enrol_by_page(client)
    done = client.post(reverse("core:totp_disable"), {"password": PASSWORD})
    assert done.status_code == 302
    staff.refresh_from_db()
    assert not staff.totp_enabled and staff.recovery_codes.count() == 0
