"""Service items through the actions: the catalogue rules (承诺时限 ≤ 法定时限,
hierarchy, form fields, 秒批 shapes), who may edit, publish/withdraw and the audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yiwang.core.models import AuditEntry
from yiwang.services.actions.items import (
    do_create_item,
    do_publish_item,
    do_update_item,
    do_withdraw_item,
)
from yiwang.services.formspec import clean_form_fields, clean_instant_rules
from yiwang.services.models import ServiceItem


def handling_values(parent, **kw):
    values = {
        "name": "食品经营许可（新办）",
        "kind": "licensing",
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "level": "handling",
        "parent": parent.code,
        "handling": "new",
        "statutory_days": 20,
        "promised_days": 10,
        "visits": 0,
        "keywords": "餐饮 小吃 食品",
        "life_events": [],
        "enterprise_events": ["opening", "licensing"],
        "form_fields": [
            {"name": "shop_name", "label": "经营场所名称", "type": "text", "required": True}
        ],
    }
    values.update(kw)
    return values


@pytest.fixture
def market_admin(make_staff):
    return make_staff("dept_admin", "410800", "market")


@pytest.fixture
def main_item(city, market_admin, make_staff):
    make_staff("approver", "410800", "market")  # someone to handle what is published
    dept = city.department("410800", "market")
    item = do_create_item(
        actor=market_admin,
        department=dept,
        code="410800-XK-0101",
        values={
            "name": "食品经营许可",
            "kind": "licensing",
            "legal_basis": "《中华人民共和国食品安全法》",
            "level": "main",
        },
    )
    return do_publish_item(actor=market_admin, item=item)


STEPS = [{"name": "受理", "days": 1}, {"name": "审查", "days": 6}, {"name": "决定", "days": 3}]


def test_promised_over_statutory_refused_and_nothing_saved(city, market_admin, main_item):
    dept = city.department("410800", "market")
    before = ServiceItem.objects.count()
    with pytest.raises(ValidationError) as err:
        do_create_item(
            actor=market_admin,
            department=dept,
            code="410800-XK-0101-01",
            values=handling_values(main_item, statutory_days=20, promised_days=25),
            steps=STEPS,
        )
    assert err.value.message_dict["promised_days"] == [
        "承诺办结时限（25 个工作日）不能超过法定办结时限（20 个工作日）。"
    ]
    assert ServiceItem.objects.count() == before
    # and on update of an existing item: refused, old values kept
    item = do_create_item(
        actor=market_admin,
        department=dept,
        code="410800-XK-0101-01",
        values=handling_values(main_item),
        steps=STEPS,
    )
    with pytest.raises(ValidationError):
        do_update_item(actor=market_admin, item=item, values={"promised_days": 30})
    item.refresh_from_db()
    assert item.promised_days == 10


def test_create_publish_withdraw_audited(city, market_admin, main_item):
    dept = city.department("410800", "market")
    item = do_create_item(
        actor=market_admin,
        department=dept,
        code="410800-XK-0101-01",
        values=handling_values(main_item),
        materials=[
            {"name": "营业执照", "licence_type_code": "business_licence"},
            {"name": "法定代表人身份证明", "registry_fact": "person"},
        ],
        steps=STEPS,
    )
    assert item.status == "draft"
    assert [m.name for m in item.materials.all()] == ["营业执照", "法定代表人身份证明"]
    assert "食品" in item.search_text and "@opening@" in item.search_text
    do_publish_item(actor=market_admin, item=item)
    do_withdraw_item(actor=market_admin, item=main_item, reason="调整")
    item.refresh_from_db()
    assert item.status == "withdrawn"  # withdrawn with its parent
    actions = list(
        AuditEntry.objects.filter(object_id=str(item.pk), object_type="services.serviceitem")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["services.item.create", "services.item.publish", "services.item.withdraw"]


def test_other_department_admin_cannot_edit(city, make_staff, market_admin, main_item):
    civil = make_staff("dept_admin", "410800", "civil_affairs")
    with pytest.raises(PermissionDenied):
        do_update_item(actor=civil, item=main_item, values={"name": "改名"})
    with pytest.raises(PermissionDenied):
        do_create_item(
            actor=civil,
            department=city.department("410800", "market"),
            code="410800-XK-0999",
            values={"name": "x", "kind": "licensing", "legal_basis": "y", "level": "main"},
        )
    county = make_staff("dept_admin", "410823", "market")
    with pytest.raises(PermissionDenied):  # a county admin does not keep the city's items
        do_withdraw_item(actor=county, item=main_item)
    clerk = make_staff("window_clerk", "410800", "market")
    with pytest.raises(PermissionDenied):
        do_update_item(actor=clerk, item=main_item, values={"name": "改名"})
    bureau = make_staff("bureau_admin", "410800", "big_data")
    do_update_item(actor=bureau, item=main_item, values={"keywords": "食品 餐饮"})
    main_item.refresh_from_db()
    assert main_item.keywords == "食品 餐饮" and main_item.name == "食品经营许可"


def test_hierarchy_rules(city, market_admin, main_item):
    dept = city.department("410800", "market")

    def make(code, **values):
        return do_create_item(actor=market_admin, department=dept, code=code, values=values)

    base = {"kind": "licensing", "legal_basis": "依据"}
    with pytest.raises(ValidationError) as err:
        make("M-2", name="主项", level="main", parent=main_item.code, **base)
    assert "主项不能有上级事项" in err.value.message_dict["parent"][0]
    with pytest.raises(ValidationError) as err:
        make("S-1", name="子项", level="sub", **base)
    assert "请选择上级事项" in err.value.message_dict["parent"][0]
    sub = make("S-2", name="子项", level="sub", parent=main_item.code, **base)
    with pytest.raises(ValidationError) as err:
        make("S-3", name="子项下的子项", level="sub", parent=sub.code, **base)
    assert "子项不能挂在子项" in err.value.message_dict["parent"][0]
    # a main or sub item carries no implementation list
    with pytest.raises(ValidationError) as err:
        make("S-4", name="子项", level="sub", parent=main_item.code, promised_days=5, **base)
    assert "只有业务办理项才有实施清单" in err.value.message_dict["level"][0]
    # a handling item needs a handling type and a parent in the same department
    with pytest.raises(ValidationError) as err:
        make("H-1", name="办理项", level="handling", parent=sub.code, **base)
    assert "handling" in err.value.message_dict
    civil_main = do_create_item(
        actor=None,
        department=city.department("410800", "civil_affairs"),
        code="C-1",
        values={"name": "婚姻登记", "level": "main", **base},
    )
    with pytest.raises(ValidationError) as err:
        make("H-2", name="办理项", level="handling", handling="new", parent=civil_main.code, **base)
    assert "同一部门" in err.value.message_dict["parent"][0]
    leaf = make("H-3", name="办理项", level="handling", handling="new", parent=sub.code, **base)
    assert leaf.parent == sub
    # a handling item cannot be a parent
    with pytest.raises(ValidationError):
        make("H-4", name="办理项", level="handling", handling="new", parent=leaf.code, **base)
    # publishing a child before its parent is refused
    with pytest.raises(ValidationError) as err:
        do_publish_item(actor=market_admin, item=leaf)
    assert any("请先发布上级事项" in m for m in err.value.messages)


def test_steps_must_fit_promised_days(city, market_admin, main_item):
    with pytest.raises(ValidationError) as err:
        do_create_item(
            actor=market_admin,
            department=city.department("410800", "market"),
            code="410800-XK-0101-09",
            values=handling_values(main_item, promised_days=5),
            steps=STEPS,
        )
    assert "超过了承诺办结时限" in err.value.message_dict["steps"][0]


def test_form_fields_checked():
    with pytest.raises(ValidationError) as err:
        clean_form_fields(
            [
                {"name": "a", "label": "甲", "type": "colour"},
                {"name": "b", "label": "乙", "type": "text"},
                {"name": "b", "label": "乙二", "type": "text"},
                {"name": "c", "label": "丙", "type": "select", "choices": [["x"]]},
                {"name": "d", "label": "丁", "type": "integer", "min": 10, "max": 2},
                {"name": "e", "label": "戊", "type": "text", "min": 1},
            ]
        )
    msgs = err.value.message_dict["form_fields"]
    assert any("未知的字段类型“colour”" in m for m in msgs)
    assert any("字段名“b”重复" in m for m in msgs)
    assert any("第 1 个选项应为 [值, 名称]" in m for m in msgs)
    assert any("最小值 10 大于最大值 2" in m for m in msgs)
    assert any("只有数字、整数和日期字段可以设置 min" in m for m in msgs)
    ok = clean_form_fields(
        [
            {
                "name": "kind",
                "label": "类别",
                "type": "select",
                "choices": [["a", "甲"], ["b", "乙"]],
            },
            {"name": "area", "label": "面积", "type": "number", "min": 0, "max": 10000},
        ]
    )
    assert ok[0]["choices"] == [["a", "甲"], ["b", "乙"]] and ok[1]["required"] is False


def test_instant_rules_shape():
    fields = [{"name": "area", "label": "面积", "type": "number"}]
    good = [
        {
            "code": "adult_resident",
            "name": "成年且户籍信息在库",
            "basis": "《居住证暂行条例》第九条",
            "when": [
                {"field": "applicant.age", "op": "ge", "value": 16},
                {"field": "registry.person.name", "op": "present"},
                {"field": "licence.business_licence", "op": "held"},
                {"field": "form.area", "op": "le", "value": 200},
            ],
        }
    ]
    assert clean_instant_rules(good, fields)[0]["when"][1] == {
        "field": "registry.person.name",
        "op": "present",
    }
    bad = [
        {"code": "r1", "name": "无依据", "when": [{"field": "form.nope", "op": "eq", "value": 1}]},
        {
            "code": "r2",
            "name": "n",
            "basis": "b",
            "when": [{"field": "applicant.age", "op": "about"}],
        },
        {
            "code": "r3",
            "name": "n",
            "basis": "b",
            "when": [{"field": "licence.marriage", "op": "eq", "value": 1}],
        },
        {
            "code": "r4",
            "name": "n",
            "basis": "b",
            "when": [{"field": "registry.person.salary", "op": "present"}],
        },
    ]
    with pytest.raises(ValidationError) as err:
        clean_instant_rules(bad, fields)
    msgs = " ".join(err.value.message_dict["instant_rules"])
    assert "须填写政策依据" in msgs
    assert "申请表中没有字段“nope”" in msgs
    assert "未知的比较方式“about”" in msgs
    assert "电子证照条件只能使用 held" in msgs
    assert "人口库没有字段“salary”" in msgs


def test_bad_form_fields_refuse_the_item(city, market_admin, main_item):
    with pytest.raises(ValidationError) as err:
        do_create_item(
            actor=market_admin,
            department=city.department("410800", "market"),
            code="410800-XK-0101-05",
            values=handling_values(
                main_item, form_fields=[{"name": "x", "label": "x", "type": "blob"}]
            ),
            steps=STEPS,
        )
    assert "未知的字段类型“blob”" in err.value.message_dict["form_fields"][0]
    assert not ServiceItem.objects.filter(code="410800-XK-0101-05").exists()
