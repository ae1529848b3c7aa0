"""脱敏 by field type: every personal field type of a 申请表 (身份证号码, 手机号码, 姓名,
地址) on every surface that shows a submitted form — the staff page and the API detail —
is masked for staff, clear for the applicant and after a logged reveal by staff holding
``personal.unmask`` over the application's place; and every field of the seeded catalogue
whose label names personal data declares the matching type."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from yiwang.core.identifiers import make_id_number
from yiwang.core.masking import mask_value
from yiwang.core.models import AuditEntry
from yiwang.services.actions.applications import do_apply

pytestmark = pytest.mark.django_db

# One field of each personal type, with a value whose masked form is known.
PERSONAL = {
    "id_number": (
        "spouse_id",
        "对方公民身份号码",
        make_id_number("410802", dt.date(1990, 1, 1), 123),
    ),
    "phone": ("mobile", "联系电话", "13912345678"),
    "name": ("spouse_name", "对方姓名", "欧阳明月"),
    "address": ("home", "现居住地址", "焦作市解放区民主南路 88 号 3 单元"),
}
FIELDS = [
    {"name": name, "label": label, "type": kind} for kind, (name, label, _v) in PERSONAL.items()
] + [{"name": "reason", "label": "申请理由", "type": "text"}]
FORM = {name: value for _k, (name, _l, value) in PERSONAL.items()} | {"reason": "结婚登记"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def application(make_item, citizen):
    item = make_item(
        "婚姻登记", line="civil_affairs", applicants="person", form_fields=FIELDS, materials=[]
    )
    return do_apply(actor=citizen, item=item, form_data=FORM, uploads={})


@pytest.fixture
def viewers(make_staff):
    """Staff who may open the application: with ``personal.unmask`` over it (the 武陟
    civil affairs approver), and without it (a 武陟 data steward cannot open cases, so
    the city's 大数据局 bureau_admin, who sees cases city-wide but may not unmask)."""

    class Viewers:
        approver = make_staff("approver", "410823", "civil_affairs")
        bureau_admin = make_staff("bureau_admin", "410800", "big_data")

    return Viewers


def _assert_masked(text: str) -> None:
    for kind, (_n, _l, value) in PERSONAL.items():
        assert value not in text, kind
        assert mask_value(kind, value) in text, kind
    assert FORM["reason"] in text


def _assert_clear(text: str) -> None:
    for kind, (_n, _l, value) in PERSONAL.items():
        assert value in text, kind


def test_mask_value_by_kind():
    assert mask_value("id_number", "41080219900101123X") == "4108**********123X"
    assert mask_value("mobile", "13912345678") == "139****5678"
    assert mask_value("phone", "13912345678") == "139****5678"
    assert mask_value("name", "欧阳明月") == "欧**月"
    assert mask_value("address", "焦作市解放区民主南路") == "焦作市解放区****"
    assert mask_value("text", "13912345678") == "13912345678"
    assert mask_value(None, 5) == 5 and mask_value("name", "") == ""


@pytest.mark.parametrize("who", ["approver", "bureau_admin"])
def test_staff_page_masks_every_personal_field(client, application, viewers, who):
    client.force_login(getattr(viewers, who))
    url = reverse("services:staff-application", args=[application.number])
    response = client.get(url)
    assert response.status_code == 200
    _assert_masked(response.content.decode())


@pytest.mark.parametrize("who", ["approver", "bureau_admin"])
def test_api_detail_masks_every_personal_field(client, application, viewers, who):
    client.force_login(getattr(viewers, who))
    response = client.get(f"/api/v1/services/applications/{application.number}")
    assert response.status_code == 200
    form = response.json()["form_data"]
    for kind, (name, _l, value) in PERSONAL.items():
        assert form[name] == mask_value(kind, value), kind
    assert form["reason"] == FORM["reason"]
    _assert_masked(json.dumps(form, ensure_ascii=False))


def test_applicant_sees_own_form_in_full(client, application, citizen):
    client.force_login(citizen)
    page = client.get(reverse("services:my-application", args=[application.number]))
    _assert_clear(page.content.decode())
    api = client.get(f"/api/v1/services/applications/{application.number}").json()
    assert api["form_data"] == FORM


def test_reveal_shows_form_in_clear_and_is_logged(client, application, viewers):
    client.force_login(viewers.approver)
    url = reverse("services:staff-application", args=[application.number])
    page = client.post(url, {"op": "reveal", "purpose": "婚姻登记审查"}).content.decode()
    _assert_clear(page)
    entries = AuditEntry.objects.filter(action="core.personal.unmask", purpose="婚姻登记审查")
    fields = [e.change["fields"] for e in entries if "fields" in e.change]
    assert [sorted(f) for f in fields] == [sorted(n for n, _l, _v in PERSONAL.values())]


def test_reveal_refused_without_unmask_over_the_place(client, application, viewers, make_staff):
    # bureau_admin lacks personal.unmask; a 博爱 approver holds it, but not over 武陟.
    boai = make_staff("approver", "410822", "civil_affairs")
    for user in (viewers.bureau_admin, boai):
        client.force_login(user)
        url = reverse("services:staff-application", args=[application.number])
        response = client.post(url, {"op": "reveal", "purpose": "婚姻登记审查"})
        if response.status_code == 404:  # outside the viewer's jurisdiction altogether
            continue
        assert response.status_code == 403, user
        _assert_masked(response.content.decode())
    assert not AuditEntry.objects.filter(action="core.personal.unmask").exists()


# --- every seeded form declares its personal fields ---

LABEL_TYPES = (
    (re.compile("身份证|身份号码"), "id_number"),
    (re.compile("手机|电话"), "phone"),
    (re.compile("姓名"), "name"),
    (re.compile("地址"), "address"),
)


def _expected_type(label: str) -> str | None:
    for pattern, kind in LABEL_TYPES:
        if pattern.search(label):
            return kind
    return None


def test_seeded_catalogue_declares_personal_field_types():
    """A field labelled 身份证/手机/电话/姓名/地址 in any form of the demo catalogue must
    declare the type that masks it, so a new item cannot forget."""
    from yiwang.services.demo import fixture

    catalogue = fixture()
    wrong = []
    checked = 0
    for form, fields in catalogue["forms"].items():
        for field in fields:
            expected = _expected_type(field["label"])
            if expected is None:
                continue
            checked += 1
            if field["type"] != expected:
                wrong.append(f"{form}.{field['name']}（{field['label']}）: {field['type']}")
    assert checked > 30
    assert not wrong, wrong


def test_seeded_items_in_the_database_declare_personal_field_types(city, licence_types):
    """The same rule over the service items as seeded (forms as the items hold them)."""
    from yiwang.services.demo import seed_services_demo
    from yiwang.services.models import ServiceItem

    seed_services_demo()
    items = ServiceItem.objects.exclude(form_fields=[])
    assert items.exists()
    wrong = [
        (item.code, f["name"], f["type"])
        for item in items
        for f in item.form_fields
        if _expected_type(f.get("label", "")) not in (None, f.get("type"))
    ]
    assert not wrong, wrong[:10]
