"""账号与安全: log out everywhere (全部下线), password change, 长辈模式 preference."""

from __future__ import annotations

import datetime as dt
import secrets

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_refresh_token_model,
)

from yiwang.core.models import AuditEntry

PASSWORD = "Jz-test-pass-2026"


def issue_user_token(user, scope: str = "read") -> str:
    """An access token (with refresh token) a relying party holds for ``user``."""
    Application = get_application_model()
    app = Application.objects.create(
        name="接入系统",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="http://rp.example/cb",
        client_secret=secrets.token_urlsafe(16),
    )
    raw = secrets.token_urlsafe(30)
    at = get_access_token_model()(
        user=user,
        application=app,
        scope=scope,
        expires=timezone.now() + dt.timedelta(hours=1),
    )
    at._raw_token, at.token = raw, ""
    at.save()
    rt = get_refresh_token_model()(user=user, application=app, access_token=at)
    rt._raw_token, rt.token = secrets.token_urlsafe(30), ""
    rt.save()
    return raw


def signed_in(user) -> Client:
    c = Client()
    response = c.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return c


def test_account_page_shows_masked_id_and_the_buttons(citizen):
    c = signed_in(citizen)
    html = c.get(reverse("core:account")).content.decode()
    assert "1101**********002X" in html and "11010519491231002X" not in html
    assert "全部下线" in html and "修改密码" in html and "长辈模式" in html
    assert 'for="id_old_password"' in html and 'for="id_elder_mode"' in html
    assert "动态口令" not in html  # staff only


def test_logout_everywhere_ends_other_sessions_and_tokens(citizen):
    phone, laptop = signed_in(citizen), signed_in(citizen)
    token = issue_user_token(citizen, "read")
    assert phone.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert laptop.get(reverse("web:citizen")).status_code == 200

    response = phone.post(reverse("core:logout_everywhere"))
    assert response.status_code == 302 and response["Location"] == reverse("web:login")

    # The other browser is signed out on its next request.
    again = laptop.get(reverse("web:citizen"))
    assert again.status_code == 302 and again["Location"].startswith(reverse("web:login"))
    assert phone.get(reverse("web:citizen")).status_code == 302
    # The relying party's token no longer works and cannot be refreshed.
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert not get_access_token_model().objects.filter(user=citizen).exists()
    assert not get_refresh_token_model().objects.filter(user=citizen, revoked__isnull=True)
    entry = AuditEntry.objects.get(action="core.session.logout_everywhere")
    assert entry.actor_id == citizen.pk and entry.change["refresh_tokens"] == 1

    # Signing in afresh works.
    fresh = signed_in(citizen)
    assert fresh.get(reverse("web:citizen")).status_code == 200


def test_logout_everywhere_needs_post(citizen):
    c = signed_in(citizen)
    assert c.get(reverse("core:logout_everywhere")).status_code == 405


def test_change_password_keeps_this_session_and_ends_others(citizen):
    here, other = signed_in(citizen), signed_in(citizen)
    new = "Qinyang-Huai-2026"
    response = here.post(
        reverse("core:change_password"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert here.get(reverse("web:citizen")).status_code == 200
    assert other.get(reverse("web:citizen")).status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password(new)
    assert AuditEntry.objects.filter(action="core.user.change_password", actor=citizen).exists()


def test_change_password_with_wrong_old_password_is_explained(citizen):
    c = signed_in(citizen)
    response = c.post(
        reverse("core:change_password"),
        {"old_password": "wrong", "new_password1": "Abc-12345-x", "new_password2": "Abc-12345-x"},
    )
    assert response.status_code == 400
    assert "你的旧密码不正确" in response.content.decode()
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)


def test_elder_mode_preference_is_saved_and_applied(citizen):
    c = signed_in(citizen)
    response = c.post(reverse("core:elder_mode"), {"elder_mode": "on"})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.elder_mode
    assert '<body class="elder">' in c.get(reverse("core:account")).content.decode()
    c.post(reverse("core:elder_mode"), {})
    citizen.refresh_from_db()
    assert not citizen.elder_mode


def test_account_needs_login(client, db):
    response = client.get(reverse("core:account"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))
