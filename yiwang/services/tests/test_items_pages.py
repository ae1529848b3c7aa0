"""Service hall pages: home, search (jieba, partial words, department, event), the 办事指南
with its 免证可办 marks, publish/withdraw visibility, and the staff item form."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.services.models import ServiceItem

PASSWORD = "Jz-test-pass-2026"


@pytest.fixture
def items(make_item):
    food = make_item(
        "食品经营许可（新办）",
        keywords="餐饮 小吃",
        enterprise_events=["opening", "licensing"],
        licence_type_code="food_business",
        applicants="entity",
        materials=[
            {"name": "营业执照", "licence_type_code": "business_licence"},
            {"name": "经营者身份证明", "registry_fact": "person"},
            {"name": "食品安全管理制度", "licence_type_code": ""},
        ],
        place="焦作市民之家二楼 B 区",
        hours="工作日 9:00–17:00",
        contact_phone="0391-3569999",
    )
    permit = make_item(
        "居住证办理",
        line="public_security",
        division="410800",
        kind="public_service",
        life_events=["residence"],
        statutory_days=15,
        promised_days=5,
    )
    from yiwang.services.search import build_search_text

    for item in (food, permit):
        ServiceItem.objects.filter(pk=item.pk).update(search_text=build_search_text(item))
    food.steps.create(position=1, name="受理", days=1)
    food.steps.create(position=2, name="审查", days=6, description="现场核查")
    return {"food": food, "permit": permit}


def names(response) -> list[str]:
    return [i.name for i in response.context["page"].object_list]


def test_home_lists_departments_and_events(client, items):
    r = client.get(reverse("services:home"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "个人办事" in html and "户籍与居住" in html and "开办" in html and "准营" in html
    # Categories without items are not offered (出生, 注销 have none here).
    assert "?event=birth" not in html and "?event=closing" not in html
    assert "?department=410823-market" in html
    assert 'action="/services/items/"' in html


@pytest.mark.parametrize(
    "query,expected",
    [
        ("食品", ["食品经营许可（新办）"]),
        ("经营许可", ["食品经营许可（新办）"]),
        ("居住", ["居住证办理"]),
        ("餐饮", ["食品经营许可（新办）"]),
        ("市场监管", ["食品经营许可（新办）"]),
        ("公安", ["居住证办理"]),
        ("不存在的事项", []),
    ],
)
def test_search_by_fragment(client, items, query, expected):
    r = client.get(reverse("services:items"), {"q": query})
    assert r.status_code == 200
    assert names(r) == expected


def test_search_by_department_and_event(client, items):
    r = client.get(reverse("services:items"), {"department": "410800-public_security"})
    assert names(r) == ["居住证办理"]
    r = client.get(reverse("services:items"), {"event": "opening"})
    assert names(r) == ["食品经营许可（新办）"]
    r = client.get(reverse("services:items"), {"event": "residence", "q": "食品"})
    assert names(r) == []
    r = client.get(reverse("services:items"), {"department": "nope"})
    assert r.status_code == 200 and names(r) == []


def test_guide_shows_materials_limits_and_marks(client, items):
    item = items["food"]
    r = client.get(reverse("services:item", args=[item.code]))
    assert r.status_code == 200
    html = r.content.decode()
    assert "可用电子证照免提交（营业执照）" in html
    assert "可由人口库（身份/户籍信息）核验免提交" in html
    assert "食品安全管理制度" in html
    assert 'id="promised-days">10<' in html and ">20<" in html
    assert "审查" in html and "现场核查" in html and "6 个工作日" in html
    assert "不收费" in html
    assert "焦作市民之家二楼 B 区" in html and "0391-3569999" in html
    assert f'href="/services/items/{item.code}/apply/"' in html


def test_withdrawn_item_not_public(client, items, make_staff, licence_types):
    from yiwang.services.actions.items import do_withdraw_item

    item = items["food"]
    make_staff("approver", "410823", "market")
    admin = make_staff("dept_admin", "410823", "market")
    do_withdraw_item(actor=admin, item=item)
    assert client.get(reverse("services:item", args=[item.code])).status_code == 404
    assert names(client.get(reverse("services:items"), {"q": "食品"})) == []
    # the department's admin still sees it (with its status) and may publish it again
    client.force_login(admin)
    r = client.get(reverse("services:item", args=[item.code]))
    assert r.status_code == 200 and "已停用" in r.content.decode()
    r = client.post(reverse("services:manage-op", args=[item.code, "publish"]))
    assert r.status_code == 302
    client.logout()
    assert client.get(reverse("services:item", args=[item.code])).status_code == 200


def _form_data(**kw):
    data = {
        "code": "410823-XK-0200-01",
        "name": "食品经营许可（延续）",
        "kind": "licensing",
        "level": "handling",
        "parent": "",
        "handling": "renewal",
        "division": "",
        "implementer": "武陟县市场监督管理局",
        "legal_basis": "《食品经营许可和备案管理办法》",
        "applicants": "both",
        "statutory_days": "20",
        "promised_days": "25",
        "visits": "0",
        "online": "on",
        "enterprise_events": ["licensing"],
        "form_fields": '[{"name": "shop_name", "label": "店名", "type": "text", "required": true}]',
        "instant_rules": "",
        "materials-TOTAL_FORMS": "2",
        "materials-INITIAL_FORMS": "0",
        "materials-0-name": "食品经营许可证",
        "materials-0-required": "on",
        "materials-0-form": "electronic",
        "materials-0-copies": "1",
        "materials-0-licence_type_code": "food_business",
        "materials-1-name": "",
        "materials-1-form": "electronic",
        "materials-1-copies": "1",
        "steps-TOTAL_FORMS": "1",
        "steps-INITIAL_FORMS": "0",
        "steps-0-name": "受理",
        "steps-0-days": "1",
        "fees-TOTAL_FORMS": "1",
        "fees-INITIAL_FORMS": "0",
    }
    data.update(kw)
    return data


def test_staff_form_refuses_promised_over_statutory(client, items, make_staff):
    make_staff("approver", "410823", "market")
    admin = make_staff("dept_admin", "410823", "market")
    client.force_login(admin)
    parent = items["food"].parent
    data = _form_data(parent=parent.code, department=str(parent.department_id))
    r = client.post(reverse("services:manage-new"), data)
    assert r.status_code == 400
    html = r.content.decode()
    assert "承诺办结时限（25 个工作日）不能超过法定办结时限（20 个工作日）。" in html
    assert not ServiceItem.objects.filter(code="410823-XK-0200-01").exists()
    # what was typed is still there
    assert "食品经营许可（延续）" in html and "food_business" in html
    data["promised_days"] = "10"
    r = client.post(reverse("services:manage-new"), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    item = ServiceItem.objects.get(code="410823-XK-0200-01")
    assert item.promised_days == 10 and item.materials.get().licence_type_code == "food_business"
    assert item.status == "draft"
    # listed on the manage page, publishable from there
    r = client.get(reverse("services:manage"))
    assert "410823-XK-0200-01" in r.content.decode()
    client.post(reverse("services:manage-op", args=[item.code, "publish"]), {"next": "list"})
    item.refresh_from_db()
    assert item.status == "published"


def test_staff_form_bad_json_and_other_department(client, items, make_staff):
    admin = make_staff("dept_admin", "410823", "market")
    client.force_login(admin)
    parent = items["food"].parent
    r = client.post(
        reverse("services:manage-new"),
        _form_data(parent=parent.code, department=str(parent.department_id), form_fields="[{"),
    )
    assert r.status_code == 400 and "不是有效的 JSON" in r.content.decode()
    # another department's item: not found for this admin, and no edit page
    other = items["permit"]
    assert client.get(reverse("services:manage-edit", args=[other.code])).status_code == 404
    r = client.post(reverse("services:manage-op", args=[other.code, "withdraw"]))
    assert r.status_code == 404
    other.refresh_from_db()
    assert other.status == "published"
    # a citizen is refused the staff pages
    client.logout()
    civ = make_staff("window_clerk", "410823", "market")
    client.force_login(civ)
    assert client.get(reverse("services:manage")).status_code == 403


def test_edit_page_keeps_rows(client, items, make_staff):
    admin = make_staff("dept_admin", "410823", "market")
    client.force_login(admin)
    item = items["food"]
    r = client.get(reverse("services:manage-edit", args=[item.code]))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'value="营业执照"' in html and 'value="business_licence"' in html
    assert "shop_name" in html


def test_edit_page_saves_changes(client, items, make_staff):
    admin = make_staff("dept_admin", "410823", "market")
    client.force_login(admin)
    item = items["food"]
    data = _form_data(
        name="食品经营许可（新办）",
        handling="new",
        parent=item.parent.code,
        promised_days="8",
        **{"materials-0-name": "营业执照", "materials-0-licence_type_code": "business_licence"},
    )
    data.pop("code")
    r = client.post(reverse("services:manage-edit", args=[item.code]), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    item.refresh_from_db()
    assert item.promised_days == 8 and item.status == "published"
    assert [m.name for m in item.materials.all()] == ["营业执照"]
    assert [s.name for s in item.steps.all()] == ["受理"]


def test_withdraw_reason_is_kept_and_a_refused_publish_answers_409(client, items, make_staff):
    from yiwang.core.models import AuditEntry
    from yiwang.services.actions.items import do_withdraw_item

    admin = make_staff("dept_admin", "410823", "market")
    client.force_login(admin)
    item = items["food"]
    edit = reverse("services:manage-edit", args=[item.code])
    page = client.get(edit).content.decode()
    assert '<label for="withdraw-reason" class="sr-only">停用理由</label>' in page
    assert 'id="withdraw-reason"' in page and 'placeholder="停用理由"' in page
    reason = "政策调整" * 200
    r = client.post(reverse("services:manage-op", args=[item.code, "withdraw"]), {"reason": reason})
    assert r.status_code == 302 and r.url == edit
    entry = AuditEntry.objects.filter(action="services.item.withdraw").latest("id")
    assert entry.change["reason"] == reason[:500]
    # The item's 主项 withdrawn: publishing the item alone is a conflict, said on the page.
    do_withdraw_item(actor=admin, item=ServiceItem.objects.get(pk=item.parent_id))
    refused = client.post(
        reverse("services:manage-op", args=[item.code, "publish"]), {"next": "list"}
    )
    assert refused.status_code == 409 and "请先发布上级事项" in refused.content.decode()
    item.refresh_from_db()
    assert item.status == "withdrawn"
    assert client.post(reverse("services:manage-op", args=[item.code, "rename"])).status_code == 404
