"""窗口实名核验 (``/org/identity/`` and ``/api/v1/identity/``): a window clerk finds a
citizen's or an enterprise's account — every search in the ledger, the ID number never
in a URL or in clear in the ledger — and records a 窗口核验 or an 账号换绑; everyone else
is refused, and a clerk never acts on their own person."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from yiwang.core.actions.users import do_create_citizen
from yiwang.core.identifiers import make_credit_code, make_id_number
from yiwang.core.models import Assurance, AuditEntry, Notification
from yiwang.core.tests.registry import add_entity, add_person

REAL_ID = make_id_number("410823", dt.date(1985, 6, 1), 321)
OTHER_ID = make_id_number("410823", dt.date(2001, 1, 1), 11)
REAL_NAME = "赵敏"
REAL_PHONE = "13698765432"
CODE = make_credit_code("91", "410800", "MA9KLM02")
PAGE = "/org/identity/"
API = "/api/v1/identity"


@pytest.fixture
def clerk(make_staff):
    return make_staff("window_clerk", "410823", "big_data", username="clerk_wz")


@pytest.fixture
def resident(db):
    return add_person(REAL_NAME, REAL_ID, REAL_PHONE)


@pytest.fixture
def squatter(resident):
    """An impostor who knew the real person's name and ID number and registered first."""
    return do_create_citizen(
        actor=None,
        username="squatter",
        full_name=REAL_NAME,
        id_number=REAL_ID,
        password=None,
        phone="13511112222",
        assurance=Assurance.REGISTRY,
    )


@pytest.fixture
def real(resident):
    """The real person's account, made without the ID number they could not register."""
    return do_create_citizen(
        actor=None,
        username="zhaomin_real",
        full_name=REAL_NAME,
        id_number=OTHER_ID,
        password=None,
        assurance=Assurance.NONE,
    )


def post_json(client, url: str, body: dict, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def lookup_page(client, **criteria):
    data = {"op": "lookup", "username": "", "id_number": "", "credit_code": ""}
    return client.post(PAGE, {**data, **criteria}, follow=True)


# ---- the page ---------------------------------------------------------------------


def test_clerk_finds_a_citizen_by_id_number_masked_and_the_search_is_in_the_ledger(
    client, clerk, squatter
):
    client.force_login(clerk)
    response = lookup_page(client, id_number=REAL_ID.lower())
    html = response.content.decode()
    assert response.status_code == 200
    # POST, then a redirect to the page itself: the ID number is in no URL.
    assert all(
        REAL_ID not in url and REAL_ID.lower() not in url for url, _s in response.redirect_chain
    )
    assert response.redirect_chain == [(PAGE, 302)]
    assert f'id="account-{squatter.pk}"' in html and "squatter" in html
    assert "赵*" in html and REAL_NAME not in html
    assert REAL_ID[:4] + "**********" + REAL_ID[-4:] in html and REAL_ID not in html
    assert "135****2222" in html and "13511112222" not in html
    assert "群众" in html and "基础库比对" in html
    entry = AuditEntry.objects.get(action="core.user.identity_lookup")
    assert entry.actor_id == clerk.pk and entry.object_id == str(squatter.pk)
    assert entry.change["by"] == "id_number" and entry.change["found"] == [squatter.pk]
    assert entry.change["masked"] == REAL_ID[:4] + "**********" + REAL_ID[-4:]
    stored = json.dumps(entry.change) + entry.purpose
    assert REAL_ID not in stored and entry.change["id_number"].startswith("hmac-sm3:")


def test_clerk_verifies_in_person_on_the_page(client, clerk, resident):
    citizen = do_create_citizen(
        actor=None,
        username="zhaomin",
        full_name=REAL_NAME,
        id_number=REAL_ID,
        password=None,
        assurance=Assurance.REGISTRY,
    )
    client.force_login(clerk)
    lookup_page(client, username="zhaomin")
    refused = client.post(
        PAGE, {"op": "verify", "account": citizen.pk, f"verify-{citizen.pk}-reason": " "}
    )
    assert refused.status_code == 400
    assert "请填写办理事由" in refused.content.decode()
    assert 'role="alert"' in refused.content.decode()
    done = client.post(
        PAGE,
        {
            "op": "verify",
            "account": citizen.pk,
            f"verify-{citizen.pk}-reason": "本人持身份证到窗口核验",
        },
    )
    assert done.status_code == 302 and done["Location"] == PAGE
    citizen.refresh_from_db()
    assert citizen.assurance == Assurance.IN_PERSON and citizen.assured_at is not None
    entry = AuditEntry.objects.get(action="core.user.assurance", object_id=str(citizen.pk))
    assert entry.actor_id == clerk.pk and entry.change["via"] == "window"
    assert entry.purpose == "本人持身份证到窗口核验"
    page = client.get(PAGE).content.decode()
    assert "已为账号 zhaomin 办理窗口核验。" in page
    assert "窗口核验" in page and "该账号已完成窗口核验。" in page


def test_clerk_rebinds_on_the_page_and_the_old_account_is_told(client, clerk, squatter, real):
    client.force_login(clerk)
    lookup_page(client, username="zhaomin_real")
    prefix = f"rebind-{real.pk}-"
    done = client.post(
        PAGE,
        {
            "op": "rebind",
            "account": real.pk,
            prefix + "full_name": REAL_NAME,
            prefix + "id_number": REAL_ID,
            prefix + "reason": "本人持居民身份证到武陟县政务服务中心窗口核验",
        },
    )
    assert done.status_code == 302 and REAL_ID not in done["Location"]
    real.refresh_from_db()
    squatter.refresh_from_db()
    assert real.id_number == REAL_ID and real.assurance == Assurance.IN_PERSON
    assert squatter.id_number == "" and squatter.assurance == Assurance.NONE
    rebind = AuditEntry.objects.get(action="core.user.rebind_id_number")
    assert rebind.actor_id == clerk.pk and rebind.change["from_user"] == squatter.pk
    assert REAL_ID not in json.dumps(rebind.change)
    assert AuditEntry.objects.filter(
        action="core.user.unbind_id_number", object_id=str(squatter.pk)
    ).exists()
    assert "解除身份证号码绑定" in Notification.objects.get(user=squatter).title
    page = client.get(PAGE).content.decode()
    assert "办理换绑" in page and "原绑定该身份证号码的账号已解除绑定" in page


def test_rebind_refusals_show_on_the_form(client, clerk, squatter, real):
    client.force_login(clerk)
    lookup_page(client, username="zhaomin_real")
    prefix = f"rebind-{real.pk}-"
    wrong = client.post(
        PAGE,
        {
            "op": "rebind",
            "account": real.pk,
            prefix + "full_name": "冒名者",
            prefix + "id_number": REAL_ID,
            prefix + "reason": "核验",
        },
    )
    assert wrong.status_code == 400
    assert "姓名与身份证号码未能通过人口库核验" in wrong.content.decode()
    bad = client.post(
        PAGE,
        {
            "op": "rebind",
            "account": real.pk,
            prefix + "full_name": REAL_NAME,
            prefix + "id_number": "410823198506013",
            prefix + "reason": "核验",
        },
    )
    assert bad.status_code == 400 and "身份证号码应为 18 位" in bad.content.decode()
    assert 'aria-invalid="true"' in bad.content.decode()
    real.refresh_from_db()
    assert real.id_number == OTHER_ID
    assert not AuditEntry.objects.filter(action="core.user.rebind_id_number").exists()


def test_enterprise_found_by_credit_code_verified_but_not_rebound(client, clerk, db):
    from yiwang.core.actions.users import do_create_enterprise

    add_entity(CODE, "焦作宏达机械有限公司", REAL_NAME, REAL_ID)
    firm = do_create_enterprise(
        actor=None,
        username="hongda",
        enterprise_name="焦作宏达机械有限公司",
        credit_code=CODE,
        full_name=REAL_NAME,
        password=None,
        validate=False,
        assurance=Assurance.REGISTRY,
    )
    client.force_login(clerk)
    html = lookup_page(client, credit_code=CODE.lower()).content.decode()
    assert "焦作宏达机械有限公司" in html and "企业用户" in html
    assert f'id="verify-{firm.pk}"' in html and f'id="rebind-{firm.pk}"' not in html
    done = client.post(
        PAGE,
        {"op": "verify", "account": firm.pk, f"verify-{firm.pk}-reason": "营业执照核验"},
    )
    assert done.status_code == 302
    firm.refresh_from_db()
    assert firm.assurance == Assurance.IN_PERSON


def test_a_staff_account_is_never_found(client, clerk, make_staff):
    member = make_staff("approver", "410823", "market", username="approver_wz")
    client.force_login(clerk)
    html = lookup_page(client, username="approver_wz").content.decode()
    assert "未找到符合条件的群众或企业账号" in html
    assert f"account-{member.pk}" not in html
    own = lookup_page(client, username=clerk.username).content.decode()
    assert "未找到符合条件的群众或企业账号" in own
    entries = AuditEntry.objects.filter(action="core.user.identity_lookup")
    assert [e.change["found"] for e in entries] == [[], []]
    # Nor can a posted id reach one: only accounts the last search found are acted on.
    refused = client.post(
        PAGE, {"op": "verify", "account": member.pk, f"verify-{member.pk}-reason": "x"}
    )
    assert refused.status_code == 409
    assert "请重新查找后再办理" in refused.content.decode()


def test_lookup_needs_exactly_one_well_formed_criterion(client, clerk, squatter):
    client.force_login(clerk)
    both = lookup_page(client, username="squatter", id_number=REAL_ID)
    assert both.status_code == 400 and "只填一项" in both.content.decode()
    bad = lookup_page(client, id_number="12345")
    assert bad.status_code == 400 and "身份证号码应为 18 位" in bad.content.decode()
    assert not AuditEntry.objects.filter(action="core.user.identity_lookup").exists()


def test_a_search_from_another_tab_is_not_acted_on(client, clerk, squatter, real):
    """The clerk acts on the account shown, not on one another tab looked up since."""
    client.force_login(clerk)
    lookup_page(client, username="zhaomin_real")
    lookup_page(client, username="squatter")
    stale = client.post(
        PAGE, {"op": "verify", "account": real.pk, f"verify-{real.pk}-reason": "核验"}
    )
    assert stale.status_code == 409
    real.refresh_from_db()
    assert real.assurance == Assurance.NONE


def test_clerk_cannot_act_on_their_own_person(client, clerk, resident):
    """A clerk's own citizen account (their ID number on it) is refused, and so is binding
    the clerk's own ID number to an account."""
    mine = do_create_citizen(
        actor=None,
        username="clerk_home",
        full_name=REAL_NAME,
        id_number=REAL_ID,
        password=None,
        assurance=Assurance.REGISTRY,
    )
    clerk.id_number = REAL_ID  # the clerk's own staff record carries their ID number
    clerk.save(update_fields=["id_number", "id_number_index"])
    client.force_login(clerk)
    lookup_page(client, username="clerk_home")
    refused = client.post(
        PAGE, {"op": "verify", "account": mine.pk, f"verify-{mine.pk}-reason": "本人核验"}
    )
    assert refused.status_code == 403
    assert "不能为本人账号办理实名核验或换绑" in refused.content.decode()
    mine.refresh_from_db()
    assert mine.assurance == Assurance.REGISTRY
    other = do_create_citizen(
        actor=None,
        username="someone",
        full_name="钱七",
        id_number=OTHER_ID,
        password=None,
        assurance=Assurance.NONE,
    )
    response = post_json(
        client,
        f"{API}/accounts/{other.pk}/rebind",
        {"full_name": REAL_NAME, "id_number": REAL_ID, "reason": "换绑"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    # The clerk's own staff account is not a citizen account: not found.
    own = post_json(client, f"{API}/accounts/{clerk.pk}/verify-in-person", {"reason": "x"})
    assert own.status_code == 404


@pytest.mark.parametrize("who", ["approver", "dept_admin", "citizen"])
def test_others_are_refused_on_page_and_api(client, make_staff, citizen, squatter, who):
    user = citizen if who == "citizen" else make_staff(who, "410823", "big_data")
    client.force_login(user)
    assert client.get(PAGE).status_code == 403
    assert lookup_page(client, id_number=REAL_ID).status_code == 403
    lookup = post_json(client, f"{API}/lookup", {"id_number": REAL_ID})
    assert lookup.status_code == 403 and lookup.json()["error"]["code"] == "forbidden"
    verify = post_json(client, f"{API}/accounts/{squatter.pk}/verify-in-person", {"reason": "x"})
    assert verify.status_code == 403
    assert not AuditEntry.objects.filter(action="core.user.identity_lookup").exists()
    squatter.refresh_from_db()
    assert squatter.assurance == Assurance.REGISTRY
    workbench = client.get(reverse("web:workbench")) if who != "citizen" else None
    if workbench is not None:
        assert PAGE not in workbench.content.decode()


def test_anonymous_is_sent_to_sign_in_and_the_api_answers_401(client, squatter):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login/" in response["Location"]
    posted = client.post(PAGE, {"op": "lookup", "id_number": REAL_ID})
    assert posted.status_code == 302 and REAL_ID not in posted["Location"]
    assert post_json(client, f"{API}/lookup", {"id_number": REAL_ID}).status_code == 401
    assert post_json(client, f"{API}/accounts/{squatter.pk}/rebind", {}).status_code == 401


def test_the_page_is_in_the_clerks_nav(client, clerk):
    client.force_login(clerk)
    assert PAGE in client.get(reverse("web:workbench")).content.decode()
    page = client.get(PAGE)
    assert page.status_code == 200 and 'id="lookup-form"' in page.content.decode()


def test_the_page_speaks_english(client, clerk, squatter):
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    lookup_page(client, username="squatter")
    html = client.get(PAGE).content.decode()
    assert "Window identity verification" in html and "Find an account" in html
    assert "Matched against the registry" in html and "Re-bind ID number" in html
    assert "查找账号" not in html and "账号换绑" not in html


# ---- the API ----------------------------------------------------------------------


def test_api_lookup_verify_and_rebind(client, clerk, squatter, real):
    client.force_login(clerk)
    found = post_json(client, f"{API}/lookup", {"id_number": REAL_ID})
    assert found.status_code == 200
    (account,) = found.json()["accounts"]
    assert account["id"] == squatter.pk and account["assurance"] == Assurance.REGISTRY
    assert account["assurance_label"] == "基础库比对" and account["kind"] == "citizen"
    assert account["full_name"] == "赵*" and account["phone"] == "135****2222"
    assert REAL_ID not in found.content.decode()
    none = post_json(client, f"{API}/lookup", {"username": "nobody"})
    assert none.status_code == 200 and none.json() == {"accounts": []}
    both = post_json(client, f"{API}/lookup", {"username": "squatter", "credit_code": CODE})
    assert both.status_code == 422 and both.json()["error"]["code"] == "invalid"
    assert AuditEntry.objects.filter(action="core.user.identity_lookup").count() == 2

    no_reason = post_json(client, f"{API}/accounts/{real.pk}/rebind", {
        "full_name": REAL_NAME, "id_number": REAL_ID})  # fmt: skip
    assert no_reason.status_code == 422
    rebound = post_json(
        client,
        f"{API}/accounts/{real.pk}/rebind",
        {"full_name": REAL_NAME, "id_number": REAL_ID, "reason": "本人持身份证到窗口核验"},
    )
    assert rebound.status_code == 200, rebound.content
    body = rebound.json()
    assert body["unbound"] is True and body["account"]["assurance"] == Assurance.IN_PERSON
    assert body["account"]["assurance_label"] == "窗口核验"
    squatter.refresh_from_db()
    assert squatter.id_number == "" and squatter.assurance == Assurance.NONE
    assert Notification.objects.filter(user=squatter).exists()

    # The squatter's account, now without a number, cannot pass the registry check.
    refused = post_json(
        client, f"{API}/accounts/{squatter.pk}/verify-in-person", {"reason": "核验"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conflict"


def test_api_verify_in_person(client, clerk, resident):
    citizen = do_create_citizen(
        actor=None,
        username="zhaomin",
        full_name=REAL_NAME,
        id_number=REAL_ID,
        password=None,
        assurance=Assurance.SMS,
    )
    client.force_login(clerk)
    response = post_json(
        client, f"{API}/accounts/{citizen.pk}/verify-in-person", {"reason": "本人持身份证核验"}
    )
    assert response.status_code == 200
    assert response.json()["assurance"] == Assurance.IN_PERSON
    entry = AuditEntry.objects.get(action="core.user.assurance", object_id=str(citizen.pk))
    assert entry.change == {"from": Assurance.SMS, "to": Assurance.IN_PERSON, "via": "window"}


def bearer_for(user, scope: str) -> dict:
    raw = secrets.token_urlsafe(30)
    token = get_access_token_model()(
        user=user, scope=scope, expires=timezone.now() + dt.timedelta(hours=1)
    )
    token._raw_token, token.token = raw, ""
    token.save()
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_bearer_needs_the_identity_scope(client, clerk, squatter):
    wrong = post_json(
        client, f"{API}/lookup", {"username": "squatter"}, **bearer_for(clerk, "write")
    )
    assert wrong.status_code == 403
    right = post_json(
        client, f"{API}/lookup", {"username": "squatter"}, **bearer_for(clerk, "identity")
    )
    assert right.status_code == 200 and right.json()["accounts"][0]["id"] == squatter.pk
