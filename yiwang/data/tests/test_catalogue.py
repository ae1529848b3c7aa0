"""政务数据目录: drafting rules (elements, grading, sharing basis), the review workflow,
versions, department boundaries, pages, search and the Excel export."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from yiwang.data.actions.catalogue import (
    do_draft_resource,
    do_new_version,
    do_review_resource,
    do_submit_resource,
    do_update_draft,
    minimum_level,
)
from yiwang.data.models import DataElement, DataResource

pytestmark = pytest.mark.django_db


def values(**kw) -> dict:
    base = {
        "name": "流动人口居住登记信息",
        "abstract": "全市流动人口居住登记和居住证办理信息。",
        "share_type": "conditional",
        "share_condition": "用于政务服务身份核验。",
        "open_type": "none",
        "update_cycle": "daily",
        "grade": "general",
        "level": 4,
    }
    base.update(kw)
    return base


def items(*codes: str) -> list[dict]:
    names = {"DE00001": "公民身份号码", "DE00002": "姓名", "DE00007": "居住地址"}
    codes = codes or ("DE00001", "DE00002")
    return [{"name": names.get(c, c), "element": c} for c in codes]


@pytest.fixture
def ps(data_city):
    return data_city.department("410800", "public_security")


@pytest.fixture
def bureau(make_staff, data_city):
    return make_staff("bureau_admin", "410800", "big_data")


def draft(steward_user, ps, **kw):
    return do_draft_resource(
        actor=steward_user,
        provider=ps,
        catalogue=kw.pop("catalogue", "101"),
        values=values(**kw),
        items=kw.pop("items_", None) or items(),
    )


def test_draft_gets_classification_code_and_kind(steward, ps):
    r = draft(steward(), ps)
    assert r.code.startswith("101-") and r.code != "101-0001"  # 101-0001 is the seed
    assert r.kind == "base" and r.status == "draft" and r.items.count() == 2
    r2 = draft(steward(), ps, name="另一资源", catalogue="201")
    assert r2.code == "201-0001" and r2.kind == "theme"


def test_item_without_element_is_refused(steward, ps):
    with pytest.raises(ValidationError) as exc:
        draft(steward(), ps, items_=[{"name": "备注", "element": None}])
    assert "必须引用一个数据元" in str(exc.value)
    assert not DataResource.objects.filter(name="流动人口居住登记信息").exists()


def test_item_type_must_match_its_element(steward, ps):
    with pytest.raises(ValidationError) as exc:
        draft(
            steward(),
            ps,
            items_=[{"name": "出生日期", "element": "DE00004", "data_type": "string"}],
        )
    assert "不一致" in str(exc.value)


def test_grade_below_the_rule_is_refused(steward, ps):
    with pytest.raises(ValidationError) as exc:
        draft(steward(), ps, level=3)  # 公民身份号码 is sensitive: at least level 4
    assert "至少为 4 级" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        draft(steward(), ps, level=2, items_=[{"name": "姓名", "element": "DE00002"}])
    assert "至少为 3 级" in str(exc.value)
    # Important data sits above every general level.
    assert draft(steward(), ps, grade="important", level=None).level is None


def test_seeded_base_resources_meet_their_grading_floor(data_city):
    seeded = DataResource.objects.filter(grade="general").prefetch_related("items__element")
    assert seeded.count() >= 4
    for resource in seeded:
        floor, _cause = minimum_level([i.element for i in resource.items.all()])
        assert resource.level >= floor, resource.code
    assert DataResource.objects.get(code="102-0001").level == 4  # 法定代表人身份号码


def test_no_share_requires_legal_basis(steward, ps):
    with pytest.raises(ValidationError) as exc:
        draft(steward(), ps, share_type="none", share_condition="")
    assert "依据" in str(exc.value)
    r = draft(steward(), ps, share_type="none", no_share_basis="《某某条例》第十条")
    assert r.share_type == "none"


def test_steward_of_another_department_cannot_draft_or_edit(steward, ps):
    other = steward("market")
    with pytest.raises(PermissionDenied):
        draft(other, ps)
    r = draft(steward(), ps)
    with pytest.raises(PermissionDenied):
        do_update_draft(actor=other, resource=r, values={"name": "改名"})


def test_submit_publish_visible_in_catalogue(steward, ps, bureau, client, make_staff):
    s = steward()
    r = draft(s, ps)
    r = do_submit_resource(actor=s, resource=r)
    assert r.status == "submitted" and r.case.state == "reviewing"
    viewer = steward("market")
    client.force_login(viewer)
    page = client.get(reverse("data:catalogue"))
    assert "流动人口居住登记信息" not in page.content.decode()
    r = do_review_resource(actor=bureau, resource=r, action="publish")
    assert r.status == "published" and r.publish_date is not None
    r.case.refresh_from_db()
    assert r.case.state == "published" and r.case.closed_at is not None
    page = client.get(reverse("data:catalogue"))
    assert page.status_code == 200 and "流动人口居住登记信息" in page.content.decode()


def test_return_with_comment_then_resubmit(steward, ps, bureau):
    s = steward()
    r = do_submit_resource(actor=s, resource=draft(s, ps))
    with pytest.raises(ValidationError):
        do_review_resource(actor=bureau, resource=r, action="return", comment="")
    r = do_review_resource(actor=bureau, resource=r, action="return", comment="摘要太简略")
    assert r.status == "returned"
    r = do_update_draft(actor=s, resource=r, values={"abstract": "更详细的摘要。"})
    r = do_submit_resource(actor=s, resource=r)
    assert r.status == "submitted" and r.case.state == "reviewing"
    with pytest.raises(PermissionDenied):
        do_review_resource(actor=s, resource=r, action="publish")


def test_editing_submitted_or_published_is_refused(steward, ps, bureau):
    s = steward()
    r = do_submit_resource(actor=s, resource=draft(s, ps))
    with pytest.raises(ValidationError) as exc:
        do_update_draft(actor=s, resource=r, values={"name": "改名"})
    assert exc.value.code == "not_editable"
    r = do_review_resource(actor=bureau, resource=r, action="publish")
    with pytest.raises(ValidationError) as exc:
        do_update_draft(actor=s, resource=r, values={"name": "改名"})
    assert exc.value.code == "not_editable"
    r.refresh_from_db()
    assert r.name == "流动人口居住登记信息"


def test_new_version_supersedes_on_publish_and_keeps_history(steward, ps, bureau):
    s = steward()
    v1 = do_review_resource(
        actor=bureau, resource=do_submit_resource(actor=s, resource=draft(s, ps)), action="publish"
    )
    v2 = do_new_version(actor=s, resource=v1)
    assert (v2.code, v2.version, v2.status) == (v1.code, 2, "draft")
    assert [i.name for i in v2.items.all()] == [i.name for i in v1.items.all()]
    with pytest.raises(ValidationError):
        do_new_version(actor=s, resource=v1)  # one open version at a time
    v2 = do_update_draft(
        actor=s,
        resource=v2,
        values={"name": "流动人口居住登记信息（新）"},
        items=items("DE00001", "DE00002", "DE00007"),
    )
    v1.refresh_from_db()
    assert v1.status == "published"  # still live while v2 is reviewed
    v2 = do_review_resource(
        actor=bureau, resource=do_submit_resource(actor=s, resource=v2), action="publish"
    )
    v1.refresh_from_db()
    assert v1.status == "superseded" and v2.status == "published"
    assert DataResource.objects.filter(code=v1.code).count() == 2
    assert v1.items.count() == 2 and v2.items.count() == 3


def test_pages_draft_submit_and_publish(steward, ps, bureau, client):
    s = steward()
    client.force_login(s)
    el = {e.code: e.pk for e in DataElement.objects.all()}
    form = {
        "provider": ps.pk,
        "catalogue": "101",
        "name": "居住证信息",
        "abstract": "居住证办理。",
        "format": "数据库",
        "registry": "",
        "share_type": "unconditional",
        "share_method": "接口",
        "open_type": "none",
        "update_cycle": "monthly",
        "grade": "general",
        "level": "4",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-0-name": "公民身份号码",
        "items-0-element": el["DE00001"],
        "items-1-name": "姓名",
        "items-1-element": el["DE00002"],
    }
    bad = client.post(reverse("data:resource-new"), {**form, "items-1-element": ""})
    assert bad.status_code == 400 and "必须引用一个数据元" in bad.content.decode()
    low = client.post(reverse("data:resource-new"), {**form, "level": "1"})
    page = low.content.decode()
    assert low.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#id_level">' in page and "至少为 4 级" in page
    assert 'id="id_level-error"' in page and 'value="居住证信息"' in page
    resp = client.post(reverse("data:resource-new"), form)
    assert resp.status_code == 302
    r = DataResource.objects.get(name="居住证信息")
    resp = client.post(reverse("data:resource", args=[r.pk]), {"op": "submit"})
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.status == "submitted"
    url = reverse("data:resource", args=[r.pk])
    bare = client.post(url, {"op": "withdraw", "comment": " "})
    page = bare.content.decode()
    assert bare.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#withdraw-comment">执行“撤回”须填写意见。</a>' in page
    assert 'id="withdraw-comment-error"' in page and '<details class="panel" open>' in page
    # Editing a submitted version through the page is refused.
    resp = client.post(reverse("data:resource-edit", args=[r.pk]), form)
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.status == "submitted"
    client.force_login(bureau)
    page = client.get(reverse("data:resource", args=[r.pk]))
    assert "审核通过并发布" in page.content.decode()
    bare = client.post(url, {"op": "review", "action": "return", "comment": ""})
    page = bare.content.decode()
    assert bare.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#review-comment">执行“退回修改”须填写意见。</a>' in page
    assert 'id="review-comment-error"' in page and 'aria-invalid="true"' in page
    odd = client.post(url, {"op": "review", "action": "approve", "comment": "符合编目要求"})
    page = odd.content.decode()
    assert odd.status_code == 400 and "未知的审核操作。" in page
    assert "符合编目要求</textarea>" in page
    r.refresh_from_db()
    assert r.status == "submitted"
    resp = client.post(reverse("data:resource", args=[r.pk]), {"op": "review", "action": "publish"})
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.status == "published"
    again = client.post(
        reverse("data:resource", args=[r.pk]), {"op": "review", "action": "publish"}
    )
    assert again.status_code == 409


def test_other_departments_draft_is_404(steward, ps, client):
    r = draft(steward(), ps)
    client.force_login(steward("market"))
    assert client.get(reverse("data:resource", args=[r.pk])).status_code == 404
    assert client.get(reverse("data:resource-edit", args=[r.pk])).status_code == 404


def test_search_finds_by_item_name_and_filters(steward, ps, bureau, client):
    s = steward()
    r = draft(
        s,
        ps,
        name="暂住登记",
        items_=[
            {"name": "居住地址", "element": "DE00007"},
            {"name": "公民身份号码", "element": "DE00001"},
        ],
    )
    do_review_resource(
        actor=bureau, resource=do_submit_resource(actor=s, resource=r), action="publish"
    )
    client.force_login(steward("market"))
    page = client.get(reverse("data:catalogue"), {"q": "居住地址"}).content.decode()
    assert "暂住登记" in page and "人口基本信息" not in page
    page = client.get(reverse("data:catalogue"), {"q": "住址 身份"}).content.decode()
    assert "人口基本信息" in page  # both words appear among its items
    page = client.get(reverse("data:catalogue"), {"share_type": "unconditional"}).content.decode()
    assert "市场主体登记信息" in page and "人口基本信息" not in page
    page = client.get(reverse("data:catalogue"), {"node": "102"}).content.decode()
    assert "市场主体登记信息" in page and "暂住登记" not in page
    assert client.get(reverse("data:catalogue"), {"grade": "bogus"}).status_code == 400


def test_regrade_flag_after_configured_months(steward, ps, client, settings):
    import datetime as dt

    DataResource.objects.filter(code="101-0001").update(graded_at=dt.date(2000, 1, 1))
    client.force_login(steward("market"))
    page = client.get(reverse("data:catalogue")).content.decode()
    assert page.count("需复核定级") == 1
    settings.YIWANG = {**settings.YIWANG, "DATA_GRADE_REVIEW_MONTHS": 12 * 100}
    page = client.get(reverse("data:catalogue")).content.decode()
    assert "需复核定级" not in page


def test_excel_export_has_resources_and_items(steward, client):
    from openpyxl import load_workbook

    client.force_login(steward("market"))
    resp = client.get(reverse("data:catalogue-export"))
    assert resp.status_code == 200 and resp["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    wb = load_workbook(io.BytesIO(resp.content))
    res, its = wb.worksheets
    header = [c.value for c in res[1]]
    for col in (
        "资源代码",
        "资源名称",
        "资源提供方",
        "共享属性",
        "开放属性",
        "更新周期",
        "数据级别",
    ):
        assert col in header
    codes = {row[0] for row in res.iter_rows(min_row=2, values_only=True)}
    assert {"101-0001", "102-0001", "103-0001", "104-0001"} <= codes
    row = next(r for r in res.iter_rows(min_row=2, values_only=True) if r[0] == "101-0001")
    assert row[header.index("资源名称")] == "人口基本信息"
    assert row[header.index("共享属性")] == "有条件共享"
    item_header = [c.value for c in its[1]]
    assert "数据元编码" in item_header
    items_ = [r for r in its.iter_rows(min_row=2, values_only=True) if r[0] == "101-0001"]
    assert ("公民身份号码", "DE00001") in {
        (r[item_header.index("信息项名称")], r[item_header.index("数据元编码")]) for r in items_
    }


def test_api_lifecycle_and_export(steward, ps, bureau, client):
    from openpyxl import load_workbook

    s = steward()
    client.force_login(s)
    body = {
        "provider": ps.code,
        "catalogue": "101",
        **values(),
        "items": [{"name": "公民身份号码", "element": "DE00001"}],
    }
    resp = client.post("/api/v1/data/catalogue/resources", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    bad = client.post(
        "/api/v1/data/catalogue/resources",
        {**body, "level": 2},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "至少为 4 级" in bad.json()["error"]["message"]
    resp = client.post(f"/api/v1/data/catalogue/resources/{pk}/submit")
    assert resp.json()["status"] == "submitted"
    resp = client.put(
        f"/api/v1/data/catalogue/resources/{pk}", body, content_type="application/json"
    )
    assert resp.status_code == 409
    client.force_login(bureau)
    resp = client.post(
        f"/api/v1/data/catalogue/resources/{pk}/review",
        {"action": "publish"},
        content_type="application/json",
    )
    assert resp.status_code == 200 and resp.json()["status"] == "published"
    found = client.get("/api/v1/data/catalogue/resources", {"q": "公民身份号码"}).json()
    assert pk in [r["id"] for r in found["items"]]
    resp = client.get("/api/v1/data/catalogue/export.xlsx")
    wb = load_workbook(io.BytesIO(resp.content))
    names = {r[2] for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert "流动人口居住登记信息" in names


def test_status_follows_case_moved_on_the_case_page(steward, ps, bureau, client):
    from yiwang.core.actions.workflow import do_transition

    s = steward()
    v1 = do_review_resource(
        actor=bureau, resource=do_submit_resource(actor=s, resource=draft(s, ps)), action="publish"
    )
    v2 = do_submit_resource(actor=s, resource=do_new_version(actor=s, resource=v1))
    do_transition(actor=bureau, case=v2.case, action_code="publish", comment="")
    client.force_login(s)
    page = client.get(reverse("data:resource", args=[v2.pk])).content.decode()
    assert 'id="resource-status">已发布' in page
    v1.refresh_from_db()
    assert v1.status == "superseded"
