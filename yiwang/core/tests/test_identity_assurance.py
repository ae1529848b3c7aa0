"""实名核验 at self-registration: name + ID number against the population registry (人口库),
the one-time SMS code (短信验证码), the 实名等级 recorded and shown, the gates that need it
and re-binding an ID number at a window (账号换绑)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yiwang.core.identifiers import make_id_number
from yiwang.core.models import Assurance, AuditEntry, User
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
