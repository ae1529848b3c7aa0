"""Self-registration of citizens (个人注册) and enterprises (企业注册)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from yiwang.core.fields import index_for
from yiwang.core.identifiers import make_credit_code, make_id_number
from yiwang.core.models import AuditEntry, User
from yiwang.core.tests.registry import add_entity, add_person

GOOD_ID = "11010519491231002X"
OTHER_ID = make_id_number("410823", dt.date(1990, 1, 1), 123)
PASSWORD = "Jz-Strong-Pass-88"
TAKEN = (
    "该身份证号码已注册账号。如非本人注册，请携带居民身份证到政务服务大厅窗口核验后办理账号换绑。"
)


@pytest.fixture
def residents(db):
    """李四 (GOOD_ID) and 王五 (OTHER_ID) in the population registry, and the
    enterprise of ``enterprise_form`` in the legal-person registry."""
    add_person("李四", GOOD_ID, "13912345678")
    add_person("王五", OTHER_ID, "13712345678")
    add_entity(make_credit_code("91", "410800", "MA9KLM01"), "焦作华兴机械有限公司", "王五")


def citizen_form(**overrides) -> dict:
    data = {
        "username": "lisi2026",
        "full_name": "李四",
        "id_number": GOOD_ID,
        "phone": "13912345678",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def enterprise_form(**overrides) -> dict:
    data = {
        "username": "huaxing",
        "enterprise_name": "焦作华兴机械有限公司",
        "credit_code": make_credit_code("91", "410800", "MA9KLM01"),
        "full_name": "王五",
        "phone": "13712345678",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def counts() -> tuple[int, int]:
    return User.objects.count(), AuditEntry.objects.count()


def test_register_page_labels_every_input(client, db):
    html = client.get(reverse("core:register_citizen")).content.decode()
    for field in ("username", "full_name", "id_number", "phone", "password1", "password2"):
        assert f'for="id_{field}"' in html
    assert "居民身份证号码" in html


def test_citizen_registers_and_is_signed_in(client, residents):
    response = client.post(
        reverse("core:register_citizen"), citizen_form(id_number="11010519491231002x")
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:citizen")
    user = User.objects.get(username="lisi2026")
    assert user.kind == "citizen" and user.full_name == "李四"
    assert user.id_number == GOOD_ID  # normalised upper-case X, stored encrypted
    assert user.phone == "13912345678"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditEntry.objects.filter(action="core.user.create_citizen", object_id=str(user.pk))
    assert AuditEntry.objects.filter(action="core.session.login", change__reason="register")


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        ("11010519491231002", "身份证号码应为 18 位"),
        ("110105194912310021", "身份证号码校验位不正确。"),
        ("110105194913310029", "身份证号码中的出生日期无效。"),
    ],
)
def test_invalid_id_number_is_explained_and_nothing_is_written(client, db, id_number, message):
    before = counts()
    response = client.post(reverse("core:register_citizen"), citizen_form(id_number=id_number))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html
    assert counts() == before
    assert "_auth_user_id" not in client.session


def test_duplicate_id_number_is_refused(client, citizen, residents):
    before = counts()
    response = client.post(reverse("core:register_citizen"), citizen_form())
    assert TAKEN in response.content.decode()
    assert counts() == before
    assert User.objects.filter(id_number_index=index_for(User, "id_number", GOOD_ID)).count() == 1


def test_taken_username_and_password_rules_show_on_their_fields(client, citizen, residents):
    response = client.post(
        reverse("core:register_citizen"),
        citizen_form(username="zhangsan", full_name="王五", id_number=OTHER_ID),
    )
    assert "该用户名已被使用。" in response.content.decode()
    weak = client.post(
        reverse("core:register_citizen"),
        citizen_form(
            full_name="王五", id_number=OTHER_ID, password1="12345678", password2="12345678"
        ),
    )
    html = weak.content.decode()
    assert "这个密码太常见了。" in html or "密码只包含数字" in html
    assert not User.objects.filter(username="lisi2026").exists()


def test_password_confirmation_must_match(client, db):
    response = client.post(
        reverse("core:register_citizen"), citizen_form(password2="Other-Pass-99")
    )
    assert "两次输入的密码不一致。" in response.content.decode()
    assert not User.objects.exists()


def test_invalid_mobile_is_explained(client, db):
    response = client.post(reverse("core:register_citizen"), citizen_form(phone="23912345678"))
    assert "手机号码应为以 1 开头的 11 位数字。" in response.content.decode()


def test_enterprise_registers(client, residents):
    response = client.post(reverse("core:register_enterprise"), enterprise_form())
    assert response.status_code == 302 and response["Location"] == reverse("web:enterprise")
    user = User.objects.get(username="huaxing")
    assert user.kind == "enterprise" and user.enterprise_name == "焦作华兴机械有限公司"
    assert user.full_name == "王五"


def test_enterprise_with_bad_credit_code_writes_nothing(client, db):
    good = make_credit_code("91", "410800", "MA9KLM01")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = counts()
    response = client.post(reverse("core:register_enterprise"), enterprise_form(credit_code=bad))
    assert "统一社会信用代码校验位不正确。" in response.content.decode()
    assert counts() == before


def test_concurrent_duplicate_id_is_refused_by_the_database(citizen, monkeypatch):
    """Two registrations racing past the lookup: the unique constraint still refuses one."""
    from django.core.exceptions import ValidationError

    from yiwang.core.actions import users

    # An index that matches no row (16 zero bytes), as if looked up before the other commit.
    monkeypatch.setattr(users, "index_for", lambda *a: "00" * 16)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        users.do_create_citizen(
            actor=None, username="racer", full_name="赛跑", id_number=GOOD_ID, password=None
        )
    assert exc.value.message_dict == {"id_number": [TAKEN]}
    assert counts() == before


def test_accounts_of_other_kinds_do_not_collide_on_empty_id(db):
    from yiwang.core.actions.users import do_create_enterprise

    for n in range(2):
        do_create_enterprise(
            actor=None,
            username=f"qy{n}",
            enterprise_name="企业",
            credit_code=make_credit_code("91", "410800", "MA9KLM01"),
            full_name="联系人",
            password=None,
        )
    assert User.objects.filter(kind="enterprise").count() == 2
