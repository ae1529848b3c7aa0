"""实名核验 at self-registration: name + ID number against the population registry (人口库),
the one-time SMS code (短信验证码), the 实名等级 recorded and shown, the gates that need it
and re-binding an ID number at a window (账号换绑)."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.urls import reverse

from yiwang.core.identifiers import make_id_number
from yiwang.core.models import Assurance, AuditEntry, PhoneChallenge, User
from yiwang.core.tests.registry import add_person

REAL_ID = make_id_number("410823", dt.date(1985, 6, 1), 321)
REAL_NAME = "赵敏"
REAL_PHONE = "13698765432"
PASSWORD = "Jz-Strong-Pass-88"
NEUTRAL = "姓名与身份证号码未能通过人口库核验，请核对后重新输入。"


@pytest.fixture
def resident(db):
    return add_person(REAL_NAME, REAL_ID, REAL_PHONE)


def form(**overrides) -> dict:
    data = {
        "username": "zhaomin",
        "full_name": REAL_NAME,
        "id_number": REAL_ID,
        "phone": REAL_PHONE,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def register(client, **overrides):
    return client.post(reverse("core:register_citizen"), form(**overrides))


# ---- (a) name + ID number must match the population registry ----------------------


def test_impostor_with_someone_elses_id_and_wrong_name_is_refused_neutrally(client, resident):
    response = register(client, username="maoming", full_name="冒名者", phone="13511112222")
    html = response.content.decode()
    assert NEUTRAL in html
    assert not User.objects.filter(username="maoming").exists()
    assert "_auth_user_id" not in client.session
    # The same message for an ID number the registry does not know: nothing tells which
    # part was wrong, or whether the ID number exists.
    unknown = make_id_number("410823", dt.date(1990, 2, 3), 456)
    other = register(client, username="maoming2", full_name=REAL_NAME, id_number=unknown)
    assert NEUTRAL in other.content.decode()
    for page in (html, other.content.decode()):
        assert "人口库中没有" not in page and "姓名不正确" not in page
    # The message is not on the name or the ID number field.
    assert 'aria-invalid="true"' not in html.split(NEUTRAL)[0].split("register-form")[-1]


def test_real_person_registers_at_registry_level(client, resident):
    response = register(client)
    assert response.status_code == 302
    user = User.objects.get(username="zhaomin")
    assert user.assurance == Assurance.REGISTRY
    entry = AuditEntry.objects.get(action="core.user.create_citizen", object_id=str(user.pk))
    assert entry.change["assurance"] == Assurance.REGISTRY and entry.change["via"] == "self"


def test_registry_guessing_is_rate_limited_per_id_number(client, resident):
    for n in range(5):
        register(client, username=f"guess{n}", full_name=f"猜{n}", phone="13511112222")
    response = register(client, username="guess9", full_name=REAL_NAME)
    assert response.status_code == 429
    assert not User.objects.filter(username="guess9").exists()


# ---- (c) the level reached is recorded, shown, and gates the wallet ---------------


def test_without_the_sms_code_the_account_is_not_verified_and_the_wallet_refuses(client, resident):
    register(client)
    user = User.objects.get(username="zhaomin")
    assert user.assurance == Assurance.REGISTRY
    account = client.get(reverse("core:account")).content.decode()
    assert "基础库比对" in account and 'id="phone-code-form"' in account
    assert "136****5432" in account  # the number the code goes to, masked
    wallet = client.get("/licences/wallet/")
    assert wallet.status_code == 403
    assert "需要实名核验" in wallet.content.decode()
    api = client.get("/api/v1/licences/mine")
    assert api.status_code == 403
    assert client.get("/data/my-data/").status_code == 403


# ---- (b) the one-time SMS code ------------------------------------------------------


def sent_code(caplog) -> str:
    """The code the logging SMS channel wrote (the demo's SMS backend)."""
    codes = re.findall(r"验证码为 (\d{6})", caplog.text)
    assert codes, caplog.text
    return codes[-1]


@pytest.fixture
def registered(client, resident, caplog):
    caplog.set_level(logging.INFO, logger="yiwang.notify")
    register(client)
    return User.objects.get(username="zhaomin")


def test_sms_code_takes_the_account_to_verified(client, registered, caplog):
    response = client.post(reverse("core:send_phone_code"))
    assert response.status_code == 302
    challenge = PhoneChallenge.objects.get(user=registered)
    code = sent_code(caplog)
    # Only a keyed digest is kept, never the code or the number.
    assert code not in challenge.code_digest and challenge.phone_index != REAL_PHONE
    assert "136****5432" in caplog.text and REAL_PHONE not in caplog.text
    ok = client.post(reverse("core:verify_phone_code"), {"code": code})
    assert ok.status_code == 302
    registered.refresh_from_db()
    assert registered.assurance == Assurance.SMS and registered.assured_at is not None
    entry = AuditEntry.objects.get(action="core.user.assurance", object_id=str(registered.pk))
    assert entry.change == {"from": Assurance.REGISTRY, "to": Assurance.SMS, "via": "sms"}
    account = client.get(reverse("core:account")).content.decode()
    assert "手机短信核验" in account and 'id="phone-code-form"' not in account
    assert client.get("/licences/wallet/").status_code == 200
    # A used code does not work twice.
    again = client.post(reverse("core:verify_phone_code"), {"code": code})
    assert again.status_code == 400


def test_wrong_codes_count_attempts_then_the_code_dies(client, registered, caplog):
    client.post(reverse("core:send_phone_code"))
    code = sent_code(caplog)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    first = client.post(reverse("core:verify_phone_code"), {"code": wrong})
    assert first.status_code == 400
    html = first.content.decode()
    assert "验证码不正确，还可尝试 4 次。" in html and 'role="alert"' in html
    assert PhoneChallenge.objects.get(user=registered).attempts == 1
    for _n in range(4):
        client.post(reverse("core:verify_phone_code"), {"code": wrong})
    assert PhoneChallenge.objects.get(user=registered).attempts == 5
    # Even the right code is refused once the attempts are spent.
    late = client.post(reverse("core:verify_phone_code"), {"code": code})
    assert "验证码已失效，请重新获取。" in late.content.decode()
    registered.refresh_from_db()
    assert registered.assurance == Assurance.REGISTRY
    assert AuditEntry.objects.filter(action="core.user.phone_code_failed").count() == 5


def test_code_expires(client, registered, caplog, clock):
    client.post(reverse("core:send_phone_code"))
    code = sent_code(caplog)
    clock.shift(dt.timedelta(minutes=6))
    late = client.post(reverse("core:verify_phone_code"), {"code": code})
    assert late.status_code == 400 and "验证码已失效" in late.content.decode()
    registered.refresh_from_db()
    assert registered.assurance == Assurance.REGISTRY


def test_sending_codes_is_rate_limited(client, registered, caplog, clock):
    assert client.post(reverse("core:send_phone_code")).status_code == 302
    again = client.post(reverse("core:send_phone_code"))
    assert again.status_code == 429 and "秒后再重新获取" in again.content.decode()
    for _n in range(4):
        clock.shift(dt.timedelta(seconds=61))
        assert client.post(reverse("core:send_phone_code")).status_code == 302
    clock.shift(dt.timedelta(seconds=61))
    hourly = client.post(reverse("core:send_phone_code"))
    assert hourly.status_code == 429 and "一小时后再试" in hourly.content.decode()
    assert PhoneChallenge.objects.filter(user=registered).count() == 5
    # A newer code replaces the older ones.
    assert PhoneChallenge.objects.filter(user=registered, used_at__isnull=True).count() == 1


def test_code_goes_only_to_the_registry_mobile(client, resident, caplog):
    caplog.set_level(logging.INFO, logger="yiwang.notify")
    register(client, phone="13511112222")
    refused = client.post(reverse("core:send_phone_code"))
    assert refused.status_code == 409
    assert "与人口库登记的联系电话不一致" in refused.content.decode()
    assert not PhoneChallenge.objects.exists() and "验证码为" not in caplog.text
