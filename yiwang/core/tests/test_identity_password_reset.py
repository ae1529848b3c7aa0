"""找回密码: a one-time SMS code to the account's phone (and, with 动态口令, a current
code or a 恢复码) sets a new password; the same answers for every username; codes are
counted; every session ends; the owner is told; the ledger keeps how."""

from __future__ import annotations

import logging
import re
import time

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from yiwang.core.models import AuditEntry

PASSWORD = "Jz-test-pass-2026"
NEW = "Jz-New-Secret-2027"
OWNER = "198.51.100.20"


def at(address: str = OWNER) -> Client:
    return Client(REMOTE_ADDR=address)


def sent_code(caplog) -> str:
    texts = [r.getMessage() for r in caplog.records if r.name == "yiwang.notify"]
    assert texts, "no SMS was sent"
    found = re.search(r"验证码 (\d{6})", texts[-1])
    assert found is not None and "找回密码" in texts[-1]
    return found.group(1)


def ask(client, username: str):
    asked = client.post(reverse("core:password_reset"), {"username": username})
    assert asked.status_code == 302, asked
    return asked


def reset(client, code: str, second: str = "", password: str = NEW):
    form = {"code": code, "second": second, "password1": password, "password2": password}
    return client.post(reverse("core:password_reset_verify"), form)


def test_the_owner_resets_by_sms_and_every_other_session_ends(citizen, caplog):
    caplog.set_level(logging.INFO, logger="yiwang.notify")
    elsewhere = Client()
    elsewhere.force_login(citizen)
    login_page = at().get(reverse("web:login")).content.decode()
    assert reverse("core:password_reset") in login_page
    browser = at()
    ask(browser, citizen.username)
    code = sent_code(caplog)
    weak = reset(browser, code, password="12345678")
    assert weak.status_code == 400  # refused before the code is spent
    done = reset(browser, code)
    assert done.status_code == 302 and done["Location"] == reverse("web:login")
    citizen.refresh_from_db()
    assert citizen.check_password(NEW)
    assert elsewhere.get("/account/").status_code == 302  # signed out everywhere
    entry = AuditEntry.objects.get(action="core.user.reset_password")
    assert entry.change["method"] == "sms"
    assert citizen.notifications.filter(title="您的密码已通过短信验证码重置").exists()
    # The code is spent.
    from yiwang.core.actions.identity import do_reset_password
    from yiwang.core.errors import Invalid

    with pytest.raises(Invalid):
        do_reset_password(actor=None, username=citizen.username, code=code, new_password=NEW)
    signed_in = at().post(reverse("web:login"), {"username": citizen.username, "password": NEW})
    assert signed_in.status_code == 302


def test_every_username_gets_the_same_answer(citizen, caplog):
    caplog.set_level(logging.INFO, logger="yiwang.notify")
    pages = []
    for name in (citizen.username, "nobody-here"):
        browser = at()
        asked = ask(browser, name)
        html = browser.get(asked["Location"]).content.decode().split("<main", 1)[1]
        pages.append(re.sub(r'value="[^"]*"', "", html).replace(name, "NAME"))
        refused = reset(browser, "000000")
        assert refused.status_code == 400
        assert "验证码不正确或已过期" in refused.content.decode()
    assert pages[0] == pages[1]
    assert len([r for r in caplog.records if r.name == "yiwang.notify"]) == 1


def test_wrong_codes_are_counted_then_refused(citizen, caplog):
    caplog.set_level(logging.INFO, logger="yiwang.notify")
    browser = at()
    ask(browser, citizen.username)
    code = sent_code(caplog)
    for n in range(5):
        assert reset(browser, f"00000{n}").status_code == 400
    paused = reset(browser, code)
    assert paused.status_code == 429 and "验证码错误次数过多" in paused.content.decode()
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)


def test_with_totp_the_sms_code_alone_is_not_enough(make_staff, caplog):
    from yiwang.core.actions.identity import do_enable_totp

    caplog.set_level(logging.INFO, logger="yiwang.notify")
    staff = make_staff("approver", username="reset-totp")
    staff.phone = "13912345678"
    staff.save(update_fields=["phone", "phone_index"])
    secret = pyotp.random_base32()
    do_enable_totp(actor=staff, user=staff, secret=secret, code=pyotp.TOTP(secret).now())
    browser = at()
    ask(browser, staff.username)
    code = sent_code(caplog)
    assert reset(browser, code).status_code == 400
    assert reset(browser, code, second="123456").status_code == 400
    done = reset(browser, code, second=pyotp.TOTP(secret).at(time.time() + 30))
    assert done.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password(NEW)
    assert AuditEntry.objects.get(action="core.user.reset_password").change["method"] == (
        "sms+totp"
    )


@pytest.mark.parametrize("lang", ["en"])
def test_reset_pages_in_english(citizen, lang):
    browser = at()
    browser.cookies["django_language"] = lang
    page = browser.get(reverse("core:password_reset")).content.decode()
    assert "Reset your password" in page and "找回密码" not in page
