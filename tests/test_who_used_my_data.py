"""谁用了我的数据 across the rooms: every kind of use of a citizen's data inside the platform reaches their
page and API — exchange-gateway reads, base-registry checks while an application is
handled, verifications and staff views of their e-licences, clear values revealed by
staff with the purpose they gave — and never another citizen's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from yiwang.core.identifiers import make_id_number
from yiwang.core.models import DataUse, User
from yiwang.data.tests.conftest import data_city, steward
from yiwang.data.tests.test_sharing import IDN, actors, bearer, granted_person, people, post

pytestmark = pytest.mark.django_db
__all__ = ["actors", "data_city", "people", "steward"]  # fixtures used by name

OTHER_IDN = make_id_number("410802", dt.date(1990, 1, 1), 12)  # 李四


@pytest.fixture
def other(data_city):
    """李四: a second verified citizen, in 人口库 too."""
    from django.db import transaction

    from yiwang.core.actions.users import do_create_citizen
    from yiwang.data.registry import apply_rows, derive

    with transaction.atomic():
        apply_rows(
            registry="person",
            rows=[derive("person", {"id_number": OTHER_IDN, "name": "李四"})],
            resource=data_city.resource("person"),
            department=data_city.department("410800", "public_security"),
        )

    return do_create_citizen(
        actor=None,
        username="lisi",
        full_name="李四",
        id_number=OTHER_IDN,
        password="Jz-test-pass-2026",
        phone="13900002222",
        validate=False,
    )


def _page(user) -> str:
    c = Client()
    c.force_login(user)
    r = c.get(reverse("data:my-data"))
    assert r.status_code == 200
    return r.content.decode()


def _api(user) -> list[dict]:
    c = Client()
    c.force_login(user)
    r = c.get("/api/v1/data/sharing/my-data/uses")
    assert r.status_code == 200, r.content
    return r.json()["items"]


def _kinds(user) -> set[str]:
    return {u["kind"] for u in _api(user)}


def test_gateway_read_is_listed_for_the_person_read(data_city, actors, people, citizen, other):
    grant = granted_person(data_city, actors).grant
    r = post(Client(), "/api/v1/exchange/person/read", {"key": IDN}, **bearer(grant))
    assert r.status_code == 200
    assert "exchange_read" in _kinds(citizen) and "姓名" in _page(citizen)
    assert _api(other) == []


def _licence(holder_id: str, name: str):
    from yiwang.licences.models import LicenceType
    from yiwang.licences.public import do_issue_licence

    t = LicenceType.objects.filter(holder_kind__in=("person", "any")).order_by("slug").first()
    assert t is not None
    return do_issue_licence(
        actor=None,
        licence_type=t,
        holder_name=name,
        holder_id=holder_id,
        holder_id_type="111",
        data={f["key"]: "测试" for f in t.fields or []},
        source="测试",
    )


def test_licence_verifications_and_staff_views_are_listed_for_the_holder(
    data_city, licence_types, citizen, other, make_staff
):
    from yiwang.licences.actions.reads import do_record_licence_view

    licence = _licence(IDN, "张三")
    anyone = Client()
    page = anyone.get(reverse("licences:verify"), {"id": licence.identifier, "t": licence.token})
    assert page.status_code == 200
    api = anyone.post(
        "/api/v1/licences/verify",
        {"identifier": licence.identifier, "token": licence.token},
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["result"] == "valid"
    officer = make_staff("auditor", "410800", "big_data")
    do_record_licence_view(actor=officer, licence=licence)
    mine = _api(citizen)
    checks = [u for u in mine if u["kind"] == "licence"]
    assert len(checks) == 2 and all(u["user"] == "公众核验（未登录）" for u in checks)
    assert [u["user"] for u in mine if u["kind"] == "licence_view"] == [
        officer.org_unit.department.name
    ]
    assert licence.licence_type.name in _page(citizen)
    assert _api(other) == []
    # A forged code names nobody's licence: nothing is filed.
    before = DataUse.objects.count()
    anyone.get(reverse("licences:verify"), {"id": licence.identifier, "t": "x" * 32})
    assert DataUse.objects.count() == before


def test_registry_check_and_reveal_during_an_application(
    data_city, licence_types, people, citizen, other, settings, tmp_path
):
    """The 免证 registry check when 张三 applies, then the approver revealing the
    application for a purpose: both on 张三's page, with the department and purpose."""
    from yiwang.services.demo import CITY, seed_services_demo
    from yiwang.services.materials import resolve_materials
    from yiwang.services.models import Application, ServiceItem

    settings.MEDIA_ROOT = tmp_path / "media"
    seed_services_demo(only={"JF-0302"})
    item = ServiceItem.objects.get(code=f"{CITY}-JF-0302-01")
    needs = resolve_materials(item, id_type="111", id_number=IDN)
    assert any(n.source == "registry" for n in needs)
    web = Client()
    web.force_login(citizen)
    data = {
        "household_size": "2",
        "monthly_income": "500",
        "reason": "无固定收入",
        "division": "410802",
        "phone": "13812345678",
    }
    for n in needs:
        if not n.satisfied:
            data[n.key] = SimpleUploadedFile("m.pdf", b"%PDF-1.4\n%%EOF\n" + n.key.encode())
    r = web.post(reverse("services:apply", args=[item.code]), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    app = Application.objects.get()
    checks = [u for u in _api(citizen) if u["kind"] == "registry"]
    assert checks and all(u["user"] == app.department.name for u in checks)
    assert all(app.number in u["purpose"] and "人口库" in u["what"] for u in checks)

    approver = User.objects.get(username="jiaozuo_civil_approver")
    staff = Client()
    staff.force_login(approver)
    r = staff.post(
        reverse("services:staff-application", args=[app.number]),
        {"op": "reveal", "purpose": "核实低保申请人身份"},
    )
    assert r.status_code == 200 and IDN in r.content.decode()
    reveals = [u for u in _api(citizen) if u["kind"] == "unmask"]
    assert len(reveals) == 2  # the applicant's facts, and the form's personal fields
    assert all(u["purpose"] == "核实低保申请人身份" for u in reveals)
    assert {u["what"] for u in reveals} == {"申请人、证件号码、联系电话", "联系电话"}
    page = _page(citizen)
    assert "核实低保申请人身份" in page and "applicant_id_number" not in page
    assert _api(other) == []

    # In English, the platform's own words are English; what the approver typed is kept.
    english = Client()
    english.force_login(citizen)
    english.cookies["django_language"] = "en"
    page = english.get(reverse("data:my-data")).content.decode()
    assert "Population registry" in page and "核实低保申请人身份" in page
    for words in ("代替", "免证核验", "人口库", "申请人、证件号码"):
        assert words not in page, words


def test_registry_reveal_is_listed_for_the_resident(data_city, actors, people, citizen, other):
    from yiwang.data.actions.reads import do_reveal_record
    from yiwang.data.models import Person

    officer = actors.bureau
    from yiwang.core.fields import index_for

    record = Person.objects.get(id_number_index=index_for(Person, "id_number", OTHER_IDN))
    from yiwang.core.actions.users import do_grant_role

    do_grant_role(actor=None, user=officer, role="auditor", org_unit=officer.org_unit)
    do_reveal_record(actor=officer, registry="person", record=record, purpose="核对户籍信息")
    uses = _api(other)
    assert [u["kind"] for u in uses] == ["unmask"] and uses[0]["purpose"] == "核对户籍信息"
    assert "姓名" in uses[0]["what"]
    assert _api(citizen) == []


def test_pages_follow_the_cursor_without_repeats(data_city, citizen, other):
    from yiwang.core import datause

    for i in range(7):
        datause.note(subject=IDN, kind="unmask", user_label=f"部门{i}", purpose=f"用途{i}")
    datause.note(subject=OTHER_IDN, kind="unmask", user_label="别人的", purpose="别人的")
    c = Client()
    c.force_login(citizen)
    seen, cursor = [], ""
    while True:
        r = c.get("/api/v1/data/sharing/my-data/uses", {"cursor": cursor, "limit": 3}).json()
        seen += [u["purpose"] for u in r["items"]]
        cursor = r["next"]
        if not cursor:
            break
    assert seen == [f"用途{i}" for i in reversed(range(7))]
    page = c.get(reverse("data:my-data")).content.decode()
    assert "别人的" not in page


def test_account_centre_links_the_list_with_its_count(data_city, citizen):
    from yiwang.core import datause

    datause.note(subject=IDN, kind="unmask", user_label="某部门", purpose="核对")
    c = Client()
    c.force_login(citizen)
    page = c.get(reverse("web:citizen")).content.decode()
    assert 'class="data-reads-link"' in page and reverse("data:my-data") in page
    assert '<span class="count">1</span>' in page


def test_a_person_who_is_not_a_citizen_sees_nothing(data_city, make_staff):
    from yiwang.core import datause

    officer = make_staff("auditor", "410800", "big_data")
    datause.note(subject=IDN, kind="unmask", user_label="某部门", purpose="核对")
    c = Client()
    c.force_login(officer)
    assert c.get("/api/v1/data/sharing/my-data/uses").json()["items"] == []
