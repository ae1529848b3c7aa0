"""Who holds the licence an item issues, and who handles its steps: a licence type and the
items issuing it agree on the holder kind at publish time; a 设立登记 gives the new
个体工商户 its 统一社会信用代码, a 法人库 record and the 营业执照; a refused 准予 keeps
the approver's words and says why in terms of the licence; an item is published only
when someone can take each of its steps, and an application nobody can take raises an
alarm and tells the bureau."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.core import alarms
from yiwang.core.models import AuditEntry, Notification, User
from yiwang.services.actions.applications import do_act, do_apply
from yiwang.services.actions.items import do_create_item, do_publish_item
from yiwang.services.demo import fixture, seed_services_demo
from yiwang.services.models import Application, ServiceItem
from yiwang.services.readiness import holder_kind_problem

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"
STEPS = [{"name": "受理", "days": 1}, {"name": "决定", "days": 1}]
INDIVIDUAL_FORM = {
    "trade_name": "武陟县张三小吃店",
    "address": "武陟县木城镇建设路 8 号",
    "scope": "小吃服务",
    "capital": "5",
    "employees": "2",
    "division": "410823",
    "phone": "13812345678",
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _pdf(spec) -> dict:
    return {f"material_{spec.pk}": SimpleUploadedFile("申请书.pdf", PDF)}


def _main(city, line: str, code: str):
    dept = city.department("410800", line)
    main = do_create_item(
        actor=None,
        department=dept,
        code=code,
        values={
            "name": "测试主项",
            "kind": "licensing",
            "legal_basis": "《依据》",
            "level": "main",
        },
    )
    return do_publish_item(actor=None, item=main)


def _handling(city, main, line: str, code: str, **values):
    return do_create_item(
        actor=None,
        department=city.department("410800", line),
        code=code,
        values={
            "name": "测试办理项",
            "kind": "licensing",
            "legal_basis": "《依据》",
            "level": "handling",
            "parent": main.code,
            "handling": "new",
            "promised_days": 5,
            **values,
        },
        steps=STEPS,
    )


# --- publishing ---------------------------------------------------------------------


def test_publish_refuses_a_licence_its_applicants_cannot_hold(city, licence_types, make_staff):
    make_staff("approver", "410800", "market")
    main = _main(city, "market", "410800-T-0001")
    item = _handling(
        city,
        main,
        "market",
        "410800-T-0001-01",
        applicants="both",
        licence_type_code="business_licence",
    )
    with pytest.raises(ValidationError) as err:
        do_publish_item(actor=None, item=item)
    assert [e.code for e in err.value.error_list] == ["not_publishable"]
    (message,) = err.value.messages
    assert (
        "服务对象为“自然人和法人”" in message and "「营业执照」只能由法人和其他组织持有" in message
    )
    item.refresh_from_db()
    assert item.status == "draft"
    # Serving organisations only, or registering the entity that holds it, agrees.
    item.applicants = "entity"
    item.save()
    assert do_publish_item(actor=None, item=item).status == "published"
    founding = _handling(
        city,
        main,
        "market",
        "410800-T-0001-02",
        applicants="person",
        registers_entity="92",
        licence_type_code="business_licence",
    )
    assert do_publish_item(actor=None, item=founding).status == "published"
    unknown = _handling(
        city, main, "market", "410800-T-0001-03", applicants="entity", licence_type_code="no_such"
    )
    with pytest.raises(ValidationError) as err:
        do_publish_item(actor=None, item=unknown)
    assert "“no_such”不在证照目录中" in err.value.messages[0]


def test_individual_registration_is_for_its_operator(city):
    main = _main(city, "market", "410800-T-0002")
    with pytest.raises(ValidationError) as err:
        _handling(
            city, main, "market", "410800-T-0002-01", applicants="both", registers_entity="92"
        )
    assert err.value.message_dict["applicants"] == [
        "个体工商户设立登记由经营者本人申请，服务对象应为自然人。"
    ]
    with pytest.raises(ValidationError) as err:
        _handling(city, main, "market", "410800-T-0002-02", registers_entity="99")
    assert "registers_entity" in err.value.message_dict


def test_every_licence_issuing_item_of_the_fixture_agrees_with_its_licence(licence_types):
    """Walk the demo catalogue: every 业务办理项 that issues a licence serves only
    applicants its licence type can hold (or registers the entity that holds it)."""
    checked = []
    for main in fixture()["items"]:
        for child in main["children"]:
            if not child.get("licence_type_code"):
                continue
            item = ServiceItem(
                code=child["name"],
                name=child["name"],
                applicants=child.get("applicants", main.get("applicants", "both")),
                registers_entity=child.get("registers_entity", ""),
                licence_type_code=child["licence_type_code"],
            )
            assert holder_kind_problem(item) is None, (child["name"], holder_kind_problem(item))
            checked.append(child["licence_type_code"])
    assert set(checked) == set(licence_types) and len(checked) >= 12


def test_publish_needs_someone_to_take_every_step(city, licence_types, make_staff):
    """出生登记 at 焦作市公安局: with nobody there, publishing is refused and says which
    step waits for whom; a window clerk alone cannot decide; an approver can do all."""
    main = _main(city, "public_security", "410800-T-0003")
    item = _handling(city, main, "public_security", "410800-T-0003-01", applicants="person")
    with pytest.raises(ValidationError) as err:
        do_publish_item(actor=None, item=item)
    messages = err.value.messages
    assert messages[0] == (
        "“申请”环节无人办理：焦作市公安局（及其上级条线部门）没有审批人员或窗口人员，"
        "发布后申请将无人受理。请先为该部门配备工作人员。"
    )
    assert any("“审查”环节" in m for m in messages) and any("“决定”环节" in m for m in messages)
    assert not any("“补正”" in m for m in messages)  # the applicant's turn
    make_staff("window_clerk", "410800", "public_security")
    with pytest.raises(ValidationError) as err:
        do_publish_item(actor=None, item=item)
    assert [m[:6] for m in err.value.messages] == ["“审查”环节", "“决定”环节"]
    # Staff of another department or of a county do not count for the city bureau.
    make_staff("approver", "410823", "public_security")
    make_staff("approver", "410800", "market")
    with pytest.raises(ValidationError):
        do_publish_item(actor=None, item=item)
    make_staff("approver", "410800", "public_security")
    assert do_publish_item(actor=None, item=item).status == "published"


def test_publish_refusal_shown_on_the_manage_page(client, city, licence_types, make_staff):
    admin = make_staff("dept_admin", "410800", "health")
    main = _main(city, "health", "410800-T-0004")
    item = _handling(city, main, "health", "410800-T-0004-01", applicants="person")
    client.force_login(admin)
    r = client.post(reverse("services:manage-op", args=[item.code, "publish"]))
    html = r.content.decode()
    assert r.status_code == 409 and "“申请”环节无人办理：焦作市卫生健康委员会" in html
    item.refresh_from_db()
    assert item.status == "draft"


def test_demo_staffs_every_department_that_receives_items(city, licence_types):
    from yiwang.core.access import holders

    counts = seed_services_demo()
    assert counts["staff"] > 12
    handling = ServiceItem.objects.filter(level="handling").select_related("department", "division")
    assert handling.exists() and not handling.exclude(status="published").exists()
    for item in handling:
        for role in ("window_clerk", "approver"):
            found = holders([role], division_path=item.division.path, department=item.department)
            assert any(u.org_unit.department_id == item.department_id for u in found), (
                item.code,
                role,
            )
    assert User.objects.filter(username="jiaozuo_police_approver").exists()
    assert User.objects.filter(username="wuzhi_hr_window_clerk").exists()


# --- 设立登记 and the 营业执照 ------------------------------------------------------------


@pytest.fixture
def individual(city, licence_types, registry, citizen):
    """个体工商户设立登记 of 武陟县 as the demo seeds it; 张三 is in the 人口库 and holds
    an 不动产权证书 (own premises), so its 秒批 rule holds."""
    from yiwang.licences.public import do_issue_licence

    seed_services_demo(only={"XK-0102"})
    registry("person", {"id_number": citizen.id_number, "name": "张三", "division": "410823"})
    do_issue_licence(
        actor=None,
        licence_type="property",
        holder_name="张三",
        holder_id=citizen.id_number,
        data={
            "unit_no": "410823001001GB00001F00010001",
            "location": "武陟县木城镇建设路 8 号",
            "right_type": "国有建设用地使用权/房屋所有权",
            "use": "商服用地/商业服务",
            "area": "60",
        },
    )
    return ServiceItem.objects.get(code="410823-XK-0102-01")


def test_registration_gives_the_individual_business_its_code_and_licence(individual, citizen):
    from yiwang.core.identifiers import credit_code_type, validate_credit_code
    from yiwang.data.registry import REGISTRIES
    from yiwang.licences.public import find_valid_licence, licence_by_identifier

    assert individual.registers_entity == "92" and individual.applicants == "person"
    form = individual.materials.get(name="个体工商户登记（备案）申请书")
    app = do_apply(actor=citizen, item=individual, form_data=INDIVIDUAL_FORM, uploads=_pdf(form))
    app.refresh_from_db()
    assert app.outcome == "approved" and app.decided_by_rule == "adult_with_own_premises"
    licence = licence_by_identifier(app.licence_identifier)
    code = validate_credit_code(licence.holder_id)
    assert code.startswith("92410823") and credit_code_type(code) == "个体工商户"
    assert (licence.holder_name, licence.holder_id_type) == ("武陟县张三小吃店", "001")
    assert licence.number == code  # the 营业执照 is numbered by the credit code
    assert licence.data["entity_type"] == "个体工商户" and licence.data["legal_rep"] == "张三"
    assert licence.data["address"] == "武陟县木城镇建设路 8 号"
    assert licence.data["registered_capital"] == "5万元" and licence.data["established"]
    # The application stays 张三's; the 营业执照 is the 个体工商户's, not his.
    assert app.applicant == citizen and app.applicant_id_number == citizen.id_number
    assert find_valid_licence(holder_id=citizen.id_number, type_code="business_licence") is None
    entity = REGISTRIES["legal_entity"].get(code)
    assert entity.name == "武陟县张三小吃店" and entity.entity_type == "92"
    assert entity.legal_rep_id == citizen.id_number and entity.division_id == "410823"
    assert entity.source_department == individual.department
    note = Notification.objects.get(user=citizen, title="「武陟县张三小吃店」已登记")
    assert code in note.body
    assert AuditEntry.objects.filter(action="data.registry.register_entity").exists()
    # A second registration gets the next code.
    again = do_apply(
        actor=citizen,
        item=individual,
        form_data={**INDIVIDUAL_FORM, "trade_name": "二店"},
        uploads=_pdf(form),
    )
    again.refresh_from_db()
    assert licence_by_identifier(again.licence_identifier).holder_id not in ("", code)


def test_refused_approval_keeps_the_comment_and_names_the_licence(
    client, city, licence_types, make_item, citizen, make_staff, monkeypatch
):
    """An item published before the holder check (serving both kinds, issuing a
    营业执照): the approver's 准予 for a person is refused in words about the licence,
    nothing is decided, and the opinion they typed is still in the box."""
    item = make_item(
        "某登记（旧）",
        applicants="both",
        licence_type_code="business_licence",
        materials=[],
        division="410800",
    )
    app = do_apply(
        actor=citizen, item=item, form_data={"shop_name": "小店", "area": "20"}, uploads={}
    )
    clerk = make_staff("window_clerk", "410800", "market")
    approver = make_staff("approver", "410800", "market")
    do_act(actor=clerk, application=app, action="accept")
    do_act(actor=approver, application=app, action="review")
    client.force_login(approver)
    url = reverse("services:staff-application", args=[app.number])
    r = client.post(url, {"op": "act", "action": "approve", "comment": "经审查符合条件，予以登记"})
    html = r.content.decode()
    assert r.status_code == 409
    assert "「营业执照」只能由法人和其他组织持有，本办件的申请人不能领取" in html
    assert "holder_id_type" not in html and "持证主体代码类型" not in html
    assert "\n经审查符合条件，予以登记</textarea>" in html
    app.refresh_from_db()
    assert app.case.state == "deciding" and not app.outcome and not app.licence_identifier
    # A guard deeper down that answers "no permission" keeps the opinion just the same.
    from django.core.exceptions import PermissionDenied

    from yiwang.services.actions import issuing

    def refuse(*args, **kwargs):
        raise PermissionDenied("您没有以「焦作市市场监督管理局」名义签发证照的权限。")

    monkeypatch.setattr(issuing, "licence_holder", refuse)
    r = client.post(url, {"op": "act", "action": "approve", "comment": "同意"})
    html = r.content.decode()
    assert r.status_code == 403 and 'id="error-summary"' in html
    assert "名义签发证照的权限" in html and "\n同意</textarea>" in html


# --- 一件事 with a 设立登记 -------------------------------------------------------------


def test_restaurant_parts_wait_for_the_registration(
    client, city, licence_types, registry, citizen, enterprise_user
):
    """开办餐饮店一件事 by a citizen without own premises (no 秒批): the 食品经营许可 cannot
    be approved before the 个体工商户 exists; once it is registered the other parts are
    its applications and the 食品经营许可证 goes to it."""
    from yiwang.licences.public import licence_by_identifier
    from yiwang.services.actions.bundles import do_apply_bundle
    from yiwang.services.models import Bundle

    seed_services_demo(only={"XK-0101", "XK-0102", "XK-0502"})
    registry("person", {"id_number": citizen.id_number, "name": "张三", "division": "410800"})
    bundle = Bundle.objects.get(code="restaurant")
    client.force_login(enterprise_user)
    page = client.get(reverse("services:bundle-apply", args=[bundle.code])).content.decode()
    assert "由经营者本人以个人身份办理" in page
    client.force_login(citizen)
    page = client.get(reverse("services:bundle-apply", args=[bundle.code])).content.decode()
    assert "由本次一并办理的「个体工商户设立登记」核发，免提交" in page
    assert 'name="credit_code"' not in page
    form = {
        **INDIVIDUAL_FORM,
        "division": "410800",
        "shop_name": "张三小吃",
        "main_form": "catering",
        "items": "热食类食品制售",
        "area": "60",
        "category": "catering",
        "volume": "2",
    }
    from yiwang.services.actions.applications import applicant_from_account
    from yiwang.services.actions.bundles import bundle_items, material_groups

    groups, _per = material_groups(bundle_items(bundle), applicant_from_account(citizen))
    uploads = {
        g.key: SimpleUploadedFile(f"{g.key}.pdf", PDF + g.key.encode())
        for g in groups
        if not g.satisfied
    }
    submission = do_apply_bundle(actor=citizen, bundle=bundle, form_data=form, uploads=uploads)
    parts = {a.item.code: a for a in submission.parts.select_related("item")}
    registration, food = parts["410800-XK-0102-01"], parts["410800-XK-0101-01"]
    assert not registration.outcome  # no own premises: no 秒批
    clerk = User.objects.get(username="jiaozuo_market_window_clerk")
    approver = User.objects.get(username="jiaozuo_market_approver")
    for action, who in (("accept", clerk), ("review", approver)):
        do_act(actor=who, application=food, action=action)
    with pytest.raises(ValidationError) as err:
        do_act(actor=approver, application=food, action="approve")
    assert err.value.code == "awaiting_registration"
    assert err.value.messages == [
        "「食品经营许可证」核发给本一件事中新设立的主体，请在「个体工商户设立登记」办结后再准予。"
    ]
    for action, who in (("accept", clerk), ("review", approver), ("approve", approver)):
        do_act(actor=who, application=registration, action=action)
    registration.refresh_from_db()
    code = licence_by_identifier(registration.licence_identifier).holder_id
    food.refresh_from_db()
    assert (food.applicant_id_number, food.applicant_id_type, food.applicant_name) == (
        code,
        "001",
        "武陟县张三小吃店",
    )
    promised = food.materials.get(name="营业执照")
    assert promised.source == "licence" and promised.reference == registration.licence_identifier
    do_act(actor=approver, application=food, action="approve")
    food.refresh_from_db()
    licence = licence_by_identifier(food.licence_identifier)
    assert licence.holder_id == code and licence.data["legal_rep"] == "张三"
    assert licence.data["main_form"] == "餐饮服务经营者"


# --- applications nobody can take ---------------------------------------------------


def test_application_nobody_can_take_raises_an_alarm_and_tells_the_bureau(
    client, city, make_item, citizen, make_staff
):
    """A 出生登记 at 武陟县公安局 whose only staff left: the applicant's submission lands
    in no inbox, so the ledger gets an alarm and the bureau's administrators (city and
    county, not another county's) are told."""
    item = make_item(
        "出生登记", line="public_security", applicants="person", materials=[], division="410823"
    )
    clerk = make_staff("window_clerk", "410823", "public_security")
    city_bureau = make_staff("bureau_admin", "410800", "big_data")
    county_bureau = make_staff("bureau_admin", "410823", "big_data")
    other_county = make_staff("bureau_admin", "410822", "big_data")
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    client.force_login(citizen)
    r = client.post(
        reverse("services:apply", args=[item.code]), {"shop_name": "张小宝", "area": "1"}
    )
    assert r.status_code == 302
    app = Application.objects.get()
    alarms.flush()
    alarm = AuditEntry.objects.get(action="core.alarm.unattended_case")
    assert alarm.object_id == str(app.case_id)
    assert alarm.change["objects"][0]["roles"] == ["approver", "window_clerk"]
    told = set(
        Notification.objects.filter(title=f"办件无人可办：{app.number}").values_list(
            "user", flat=True
        )
    )
    assert told == {city_bureau.pk, county_bureau.pk} and other_county.pk not in told
    note = Notification.objects.filter(user=city_bureau).first()
    assert "武陟县公安局" in note.body and "审批人员或窗口人员" in note.body


def test_window_clerk_is_warned_when_nobody_can_take_the_case(client, city, make_item, make_staff):
    item = make_item("出生登记", line="public_security", materials=[], division="410823")
    hall = make_staff("window_clerk", "410823", "big_data")
    client.force_login(hall)
    r = client.post(
        reverse("services:window"),
        {
            "item": item.code,
            "applicant_name": "王五",
            "applicant_id_type": "111",
            "applicant_id_number": "11010519491231002X",
            "phone": "13812345678",
            "shop_name": "王小宝",
            "area": "1",
        },
        follow=True,
    )
    html = r.content.decode()
    assert "已受理并转 武陟县公安局 办理" in html
    assert "注意：武陟县公安局目前没有审批人员或窗口人员" in html and "已告警" in html
    # Once someone can take it, no warning and no alarm.
    make_staff("approver", "410823", "public_security")
    r = client.post(
        reverse("services:window"),
        {
            "item": item.code,
            "applicant_name": "王六",
            "applicant_id_type": "111",
            "applicant_id_number": "11010519491231002X",
            "phone": "13812345678",
            "shop_name": "王小宝",
            "area": "1",
        },
        follow=True,
    )
    assert "注意：" not in r.content.decode()
