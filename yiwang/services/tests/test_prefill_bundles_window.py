"""免填写 beyond a single item's form, through the pages: a 一件事's combined form is filled
in from what the platform knows of the applicant (account, 人口库) with the same marks as
a single item's form, and the pickers work on it; at the window (一窗受理) the clerk
identifies the applicant by ID number and 读取已知信息 fills the form in from their
account — or, for someone with no account, from 人口库 — leaving what the clerk typed,
filing nothing, and logging the read under the applicant (谁用了我的数据)."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ADDRESS = "河南省焦作市武陟县木城镇建设路 8 号"
STRANGER_ID = "410823198001010018"  # in 人口库, with no account on the platform
STRANGER_ADDRESS = "河南省焦作市武陟县龙源镇和平街 3 号"

PHONE = {"name": "phone", "label": "联系电话", "type": "phone", "required": True}
HOME = {"name": "home", "label": "户籍住址", "type": "text", "prefill": "address", "required": True}
WHO = {"name": "who", "label": "申请人姓名", "type": "text", "prefill": "name", "required": True}
HUKOU = {"name": "hukou", "label": "户籍所在地", "type": "division", "prefill": "division"}
NOTE = {"name": "note", "label": "备注", "type": "text"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def facts(registry, citizen):
    """The citizen in 人口库 (武陟县), and a person there with no account."""
    registry(
        "person",
        {
            "id_number": citizen.id_number,
            "name": citizen.full_name,
            "division": "410823",
            "address": ADDRESS,
            "phone": citizen.phone,
        },
    )
    registry(
        "person",
        {
            "id_number": STRANGER_ID,
            "name": "赵六",
            "division": "410823",
            "address": STRANGER_ADDRESS,
            "phone": "13700001111",
        },
    )
    return citizen


@pytest.fixture
def moving(make_item):
    """迁居一件事: 户口迁移 asks phone and address, 居住证 the same address again, the
    name and the 户籍 division (both items in 武陟县, for a person)."""
    from yiwang.services.models import Bundle, BundleItem

    first = make_item(
        "户口迁移",
        line="public_security",
        applicants="person",
        form_fields=[PHONE, HOME, NOTE],
        materials=[],
    )
    second = make_item(
        "居住证申领",
        line="human_resources",
        applicants="person",
        form_fields=[{**HOME, "required": False}, WHO, HUKOU],
        materials=[],
    )
    bundle = Bundle.objects.create(code="LIFE-MOVE", name="迁居一件事", kind="life", published=True)
    BundleItem.objects.create(bundle=bundle, item=first, position=1)
    BundleItem.objects.create(bundle=bundle, item=second, position=2)
    return bundle


def _value(page: str, name: str) -> str:
    """The value an input named ``name`` shows."""
    tail = page.split(f'name="{name}"', 1)[1]
    return html.unescape(tail.split('value="', 1)[1].split('"', 1)[0])


def _note(page: str, name: str) -> str:
    """The 免填写 note under field ``name`` (empty when it has none)."""
    marker = f'id="f-{name}-known">'
    return page.split(marker, 1)[1].split("</div>", 1)[0] if marker in page else ""


def test_the_bundle_form_is_prefilled_like_a_single_item_form(client, facts, moving):
    from yiwang.services.models import BundleApplication

    client.force_login(facts)
    url = reverse("services:bundle-apply", args=[moving.code])
    page = client.get(url).content.decode()
    assert 'id="prefilled"' in page and "已为您填好（免填写）" in page
    assert _value(page, "phone") == facts.phone and "来自您的实名账号" in _note(page, "phone")
    assert _value(page, "home") == ADDRESS and "来自人口库" in _note(page, "home")
    assert _value(page, "who") == facts.full_name and "来自您的实名账号" in _note(page, "who")
    # The division is the picker of a single item's form, showing 武陟县.
    assert 'name="hukou__county"' in page and '<option value="410823" selected>' in page
    assert "来自人口库" in _note(page, "hukou")
    assert _value(page, "note") == "" and _note(page, "note") == ""
    assert page.count('name="home"') == 1  # asked once for both items

    # Without a script, 下一级 lists the townships and files nothing.
    answers = {"phone": facts.phone, "home": ADDRESS, "who": facts.full_name}
    shown = client.post(url, {**answers, "hukou__county": "410823", "_division_next": "hukou"})
    assert shown.status_code == 200 and not BundleApplication.objects.exists()
    assert 'name="hukou__township"' in shown.content.decode()
    done = client.post(url, {**answers, "hukou__county": "410823", "home": "改过的住址"})
    assert done.status_code == 302, done.content.decode()[:3000]
    submission = BundleApplication.objects.get()
    assert submission.form_data["hukou"] == "410823"
    assert submission.form_data["home"] == "改过的住址"  # the applicant's change is filed


def test_an_applicant_the_platform_knows_nothing_of_gets_an_empty_bundle_form(
    client, citizen, moving
):
    client.force_login(citizen)  # not in 人口库: only the account's facts
    page = client.get(reverse("services:bundle-apply", args=[moving.code])).content.decode()
    assert 'id="prefilled"' in page  # the account's phone and name
    assert _value(page, "home") == "" and _note(page, "home") == ""
    assert "selected" not in page.split('name="hukou__county"', 1)[1].split("</select>", 1)[0]


@pytest.fixture
def counter_item(make_item):
    """An item of the 武陟 public security bureau a hall clerk takes in for a person."""
    return make_item(
        "户口迁移",
        line="public_security",
        applicants="person",
        form_fields=[PHONE, HOME, WHO, HUKOU, NOTE],
        materials=[],
    )


def _identify(client, item, id_number: str, **typed):
    """The clerk enters the applicant's ID number (and anything else) and presses
    读取已知信息."""
    data = {
        "item": item.code,
        "applicant_name": "",
        "applicant_id_type": "111",
        "applicant_id_number": id_number,
        "applicant_phone": "",
        "_prefill": "1",
    }
    data.update(typed)
    return client.post(reverse("services:window") + f"?item={item.code}", data)


def test_the_window_form_is_prefilled_from_the_applicants_account(
    client, facts, counter_item, officials
):
    from yiwang.core.datause import uses_of
    from yiwang.core.models import AuditEntry
    from yiwang.services.models import Application

    client.force_login(officials.hall_clerk)
    url = reverse("services:window") + f"?item={counter_item.code}"
    first = client.get(url).content.decode()
    assert 'name="_prefill"' in first and 'id="prefilled"' not in first

    shown = _identify(client, counter_item, facts.id_number, note="加急")
    page = shown.content.decode()
    assert shown.status_code == 200 and not Application.objects.exists()
    assert 'id="prefilled"' in page
    # The applicant's own name and phone from their account, said of the applicant.
    assert _value(page, "applicant_name") == facts.full_name
    assert _value(page, "applicant_phone") == facts.phone
    hint = page.split('id="applicant_name-hint">', 1)[1].split("</span>", 1)[0]
    assert hint == "来自申请人的实名账号，可修改"
    assert _value(page, "phone") == facts.phone  # the 申请表's own 联系电话
    assert "来自申请人的实名账号" in _note(page, "phone") and "来自您的" not in page
    assert _value(page, "home") == ADDRESS and "来自人口库" in _note(page, "home")
    assert _value(page, "who") == facts.full_name
    assert '<option value="410823" selected>' in page
    assert _value(page, "note") == "加急" and _note(page, "note") == ""  # typed, kept

    entry = AuditEntry.objects.get(action="services.window.prefill")
    assert entry.actor_id == officials.hall_clerk.pk and "home" in entry.change["fields"]
    assert entry.change["read"] == ["person"] and entry.change["account"] is True
    use = uses_of(facts.id_number).get()
    assert use.kind == "registry" and use.actor_id == officials.hall_clerk.pk
    assert counter_item.name in use.purpose

    # The clerk checks the answers with the applicant and files them.
    filed = client.post(
        url,
        {
            "item": counter_item.code,
            "applicant_name": facts.full_name,
            "applicant_id_type": "111",
            "applicant_id_number": facts.id_number,
            "applicant_phone": facts.phone,
            "phone": facts.phone,
            "home": ADDRESS,
            "who": facts.full_name,
            "hukou__county": "410823",
            "note": "加急",
        },
    )
    assert filed.status_code == 302, filed.content.decode()[:3000]
    app = Application.objects.get()
    assert app.applicant == facts and app.form_data["hukou"] == "410823"
    assert app.form_data["home"] == ADDRESS


def test_the_window_prefills_a_person_with_no_account_from_the_registry(
    client, facts, counter_item, officials
):
    client.force_login(officials.hall_clerk)
    typed = {"applicant_phone": "13600002222"}
    page = _identify(client, counter_item, STRANGER_ID, **typed).content.decode()
    assert 'id="prefilled"' in page
    assert _value(page, "applicant_name") == "赵六"
    assert 'id="applicant_name-hint">来自人口库，可修改<' in page
    assert 'id="applicant_phone-hint"' not in page  # typed, not looked up
    assert _value(page, "applicant_phone") == "13600002222"  # what the clerk typed stays
    # The 申请表's phone is the one the clerk typed for the applicant above.
    assert _value(page, "phone") == "13600002222"
    assert "同上方录入的申请人信息" in _note(page, "phone")
    assert _value(page, "who") == "赵六" and "来自人口库" in _note(page, "who")
    assert _value(page, "home") == STRANGER_ADDRESS and "来自人口库" in _note(page, "home")
    assert "来自申请人的实名账号" not in page


def test_the_window_keeps_what_the_clerk_typed_and_checks_the_number(
    client, facts, counter_item, officials
):
    from yiwang.core.datause import uses_of
    from yiwang.core.models import AuditEntry

    client.force_login(officials.hall_clerk)
    page = _identify(client, counter_item, facts.id_number, home="现场告知的新住址").content
    page = page.decode()
    assert _value(page, "home") == "现场告知的新住址" and _note(page, "home") == ""
    bad = _identify(client, counter_item, "410823198001010019")  # wrong check digit
    assert bad.status_code == 400 and 'id="prefilled"' not in bad.content.decode()
    assert 'id="applicant_id_number-error"' in bad.content.decode()
    assert AuditEntry.objects.filter(action="services.window.prefill").count() == 1
    assert uses_of("410823198001010019").count() == 0


def test_only_a_window_clerk_reads_what_the_platform_knows(client, facts, counter_item, officials):
    from yiwang.core.models import AuditEntry

    client.force_login(officials.approver)
    assert _identify(client, counter_item, facts.id_number).status_code == 403
    assert not AuditEntry.objects.filter(action="services.window.prefill").exists()
