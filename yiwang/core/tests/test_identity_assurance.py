"""实名核验 at self-registration: name + ID number against the population registry (人口库),
the one-time SMS code (短信验证码), the 实名等级 recorded and shown, the gates that need it
and re-binding an ID number at a window (账号换绑)."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.urls import reverse

from yiwang.core.identifiers import make_credit_code, make_id_number
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


# ---- (d) an ID number bound to an account: re-bound only at a window ----------------


@pytest.fixture
def squatter(client, resident):
    """An impostor who knew the real person's name and ID number registered first."""
    register(client, username="squatter", phone="13511112222")
    client.logout()
    return User.objects.get(username="squatter")


def test_bound_id_number_cannot_self_register(client, squatter):
    response = register(client, username="zhaomin_real")
    assert response.status_code == 400
    assert "该身份证号码已注册账号。如非本人注册，请携带居民身份证到政务服务大厅窗口" in (
        response.content.decode()
    )
    assert not User.objects.filter(username="zhaomin_real").exists()


def test_window_clerk_rebinds_the_id_number_audited_and_the_old_account_told(squatter, make_staff):
    from yiwang.core.actions.assurance import do_rebind_id_number
    from yiwang.core.actions.users import do_create_citizen
    from yiwang.core.models import Notification

    clerk = make_staff("window_clerk", "410823", "big_data")
    real = do_create_citizen(
        actor=None,
        username="zhaomin_real",
        full_name=REAL_NAME,
        id_number=make_id_number("410823", dt.date(2001, 1, 1), 11),
        password=None,
        assurance=Assurance.NONE,
    )
    old = do_rebind_id_number(
        actor=clerk,
        user=real,
        full_name=REAL_NAME,
        id_number=REAL_ID,
        reason="本人持居民身份证到武陟县政务服务中心窗口核验",
    )
    assert old is not None and old.pk == squatter.pk
    squatter.refresh_from_db()
    real.refresh_from_db()
    assert squatter.id_number == "" and squatter.assurance == Assurance.NONE
    assert real.id_number == REAL_ID and real.assurance == Assurance.IN_PERSON
    rebind = AuditEntry.objects.get(action="core.user.rebind_id_number")
    assert rebind.actor_id == clerk.pk and rebind.object_id == str(real.pk)
    assert rebind.purpose == "本人持居民身份证到武陟县政务服务中心窗口核验"
    assert rebind.change["from_user"] == squatter.pk
    unbind = AuditEntry.objects.get(action="core.user.unbind_id_number")
    assert unbind.object_id == str(squatter.pk) and unbind.purpose == rebind.purpose
    note = Notification.objects.get(user=squatter)
    assert "解除身份证号码绑定" in note.title


def test_rebind_needs_a_clerk_a_reason_and_a_registry_match(squatter, make_staff):
    from django.core.exceptions import PermissionDenied, ValidationError

    from yiwang.core.actions.assurance import do_rebind_id_number

    approver = make_staff("approver", "410823", "market")
    clerk = make_staff("window_clerk", "410823", "big_data")
    with pytest.raises(PermissionDenied):
        do_rebind_id_number(
            actor=approver, user=squatter, full_name=REAL_NAME, id_number=REAL_ID, reason="x"
        )
    with pytest.raises(ValidationError) as no_reason:
        do_rebind_id_number(
            actor=clerk, user=squatter, full_name=REAL_NAME, id_number=REAL_ID, reason=" "
        )
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as mismatch:
        do_rebind_id_number(
            actor=clerk, user=squatter, full_name="冒名者", id_number=REAL_ID, reason="核验"
        )
    assert NEUTRAL in mismatch.value.messages
    # A clerk cannot re-bind their own account either.
    with pytest.raises(PermissionDenied):
        do_rebind_id_number(
            actor=clerk, user=clerk, full_name=REAL_NAME, id_number=REAL_ID, reason="核验"
        )
    assert not AuditEntry.objects.filter(action="core.user.rebind_id_number").exists()


def test_window_check_in_person_lifts_the_level(squatter, make_staff):
    from yiwang.core.actions.assurance import do_verify_in_person

    clerk = make_staff("window_clerk", "410823", "big_data")
    do_verify_in_person(actor=clerk, user=squatter, reason="持身份证核验")
    squatter.refresh_from_db()
    assert squatter.assurance == Assurance.IN_PERSON
    entry = AuditEntry.objects.get(action="core.user.assurance", object_id=str(squatter.pk))
    assert entry.change["via"] == "window" and entry.actor_id == clerk.pk


def test_staff_cannot_create_verified_accounts_without_the_permission(make_staff):
    from django.core.exceptions import PermissionDenied

    from yiwang.core.actions.users import do_create_citizen

    approver = make_staff("approver", "410823", "market")
    with pytest.raises(PermissionDenied):
        do_create_citizen(
            actor=approver,
            username="made",
            full_name=REAL_NAME,
            id_number=REAL_ID,
            password=None,
        )


# ---- enterprises: the credit code against the legal-person registry ----------------


def test_enterprise_registration_checks_the_legal_person_registry(client, db, make_staff):
    from yiwang.core.actions.assurance import do_verify_in_person
    from yiwang.core.tests.registry import add_entity

    code = make_credit_code("91", "410800", "MA9KLM02")
    add_entity(code, "焦作宏达机械有限公司", REAL_NAME, REAL_ID)
    data = {
        "username": "hongda",
        "enterprise_name": "焦作冒名机械有限公司",
        "credit_code": code,
        "full_name": REAL_NAME,
        "phone": REAL_PHONE,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    refused = client.post(reverse("core:register_enterprise"), data)
    assert refused.status_code == 400
    assert "企业名称与统一社会信用代码未能通过法人库核验" in refused.content.decode()
    assert not User.objects.filter(username="hongda").exists()
    ok = client.post(
        reverse("core:register_enterprise"), {**data, "enterprise_name": "焦作宏达机械有限公司"}
    )
    assert ok.status_code == 302
    user = User.objects.get(username="hongda")
    assert user.assurance == Assurance.REGISTRY
    assert client.get("/licences/wallet/").status_code == 403
    clerk = make_staff("window_clerk", "410800", "big_data")
    do_verify_in_person(actor=clerk, user=user, reason="营业执照与法定代表人身份证核验")
    assert client.get("/licences/wallet/").status_code == 200


# ---- enterprises online: 法定代表人确认 ----------------------------------------------

REP_CODE = make_credit_code("91", "410800", "MA9REP07")
REP_COMPANY = "焦作远航物流有限公司"


@pytest.fixture
def registered_company(client, db):
    """The entity in 法人库 with 赵敏 as 法定代表人, and its self-registered account."""
    from yiwang.core.actions.users import do_register_enterprise
    from yiwang.core.tests.registry import add_entity

    add_entity(REP_CODE, REP_COMPANY, REAL_NAME, REAL_ID)
    return do_register_enterprise(
        username="yuanhang",
        enterprise_name=REP_COMPANY,
        credit_code=REP_CODE,
        full_name="办事员",
        password=PASSWORD,
        phone="13511112222",
    )


def _citizen(username: str, full_name: str, id_number: str, level: int) -> User:
    from yiwang.core.actions.users import do_create_citizen

    return do_create_citizen(
        actor=None,
        username=username,
        full_name=full_name,
        id_number=id_number,
        password=PASSWORD,
        assurance=level,
    )


def test_legal_rep_confirms_the_enterprise_account_online(client, registered_company):
    from yiwang.core.models import Notification

    assert registered_company.assurance == Assurance.REGISTRY
    rep = _citizen("zhaomin", REAL_NAME, REAL_ID, Assurance.SMS)
    client.force_login(rep)
    page = client.get(reverse("core:account")).content.decode()
    assert "待确认的企业账号" in page and REP_COMPANY in page and "yuanhang" in page
    url = reverse("core:confirm_enterprise", args=[registered_company.pk])
    response = client.post(url)
    assert response.status_code == 302
    registered_company.refresh_from_db()
    assert registered_company.assurance == Assurance.SMS
    entry = AuditEntry.objects.get(
        action="core.user.assurance", object_id=str(registered_company.pk)
    )
    assert entry.actor_id == rep.pk and entry.change["via"] == "legal_rep"
    assert Notification.objects.filter(user=registered_company).exists()
    # Confirmed accounts leave the list; the company's own page names the level.
    client.get(reverse("core:account"))  # the success message is shown once
    assert "待确认的企业账号" not in client.get(reverse("core:account")).content.decode()
    client.force_login(registered_company)
    assert "法定代表人核验" in client.get(reverse("core:account")).content.decode()
    assert client.get("/licences/wallet/").status_code == 200


def test_only_the_registered_verified_legal_rep_may_confirm(client, registered_company):
    from yiwang.core.actions.assurance import do_confirm_enterprise
    from yiwang.core.errors import Forbidden

    url = reverse("core:confirm_enterprise", args=[registered_company.pk])
    other_id = make_id_number("410823", dt.date(1979, 3, 9), 777)
    stranger = _citizen("stranger", "钱某", other_id, Assurance.IN_PERSON)
    client.force_login(stranger)
    assert REP_COMPANY not in client.get(reverse("core:account")).content.decode()
    assert client.post(url).status_code == 404
    with pytest.raises(Forbidden) as refused:
        do_confirm_enterprise(actor=stranger, enterprise=registered_company)
    assert refused.value.code == "not_legal_rep"
    # The representative, but not yet 实名 beyond the registry match, cannot confirm.
    unverified_rep = _citizen("zhaomin", REAL_NAME, REAL_ID, Assurance.REGISTRY)
    client.force_login(unverified_rep)
    assert client.post(url).status_code == 404
    with pytest.raises(Forbidden) as refused:
        do_confirm_enterprise(actor=unverified_rep, enterprise=registered_company)
    assert refused.value.code == "assurance_required"
    # The enterprise account cannot confirm itself.
    with pytest.raises(Forbidden):
        do_confirm_enterprise(actor=registered_company, enterprise=registered_company)
    registered_company.refresh_from_db()
    assert registered_company.assurance == Assurance.REGISTRY


def test_a_second_account_of_the_same_enterprise_is_told_to_the_first(registered_company):
    from yiwang.core.actions.users import do_register_enterprise

    do_register_enterprise(
        username="yuanhang2",
        enterprise_name=REP_COMPANY,
        credit_code=REP_CODE,
        full_name="另一人",
        password=PASSWORD,
        phone="13511113333",
    )
    told = registered_company.notifications.get(title="有新账号以本企业名义注册")
    assert "yuanhang2" in told.body and "另一人" in told.body


def test_legal_rep_confirms_through_the_api(client, registered_company):
    rep = _citizen("zhaomin", REAL_NAME, REAL_ID, Assurance.SMS)
    client.force_login(rep)
    me = client.get("/api/v1/me").json()
    assert me["assurance"] == Assurance.SMS and me["assurance_label"] == "手机短信核验"
    listed = client.get("/api/v1/me/enterprises-to-confirm").json()
    assert [e["id"] for e in listed] == [registered_company.pk]
    missing = client.post("/api/v1/me/enterprises/999999/confirm")
    assert missing.status_code == 404
    done = client.post(f"/api/v1/me/enterprises/{registered_company.pk}/confirm")
    assert done.status_code == 200, done.content
    assert done.json()["assurance_label"] == "法定代表人核验"
    again = client.post(f"/api/v1/me/enterprises/{registered_company.pk}/confirm")
    assert again.status_code == 404
