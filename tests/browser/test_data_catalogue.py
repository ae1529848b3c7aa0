"""政务数据目录 in a real browser: a data steward drafts a resource with its items and
submits it; a bureau admin publishes it and it shows in the catalogue."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Jz-test-pass-2026"


def test_steward_drafts_and_submits_bureau_publishes(page, shot, make_staff, login):
    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import DataResource

    do_seed_data_standards(actor=None)
    make_staff(
        "data_steward", "410800", "public_security", username="gaj_steward", password=PASSWORD
    )
    make_staff("bureau_admin", "410800", "big_data", username="bureau", password=PASSWORD)

    login("gaj_steward")
    page.goto("/data/")
    with page.expect_navigation():
        page.locator("#tile-catalogue a").click()
    with page.expect_navigation():
        page.locator("#new-resource").click()
    page.get_by_label("目录分类").select_option("301")
    page.get_by_label("资源名称").fill("特种行业许可信息")
    page.get_by_label("资源摘要").fill("旅馆业、公章刻制业等特种行业许可。")
    page.get_by_label("共享属性").select_option("unconditional")
    page.get_by_label("开放属性").select_option("none")
    page.get_by_label("更新周期").select_option("weekly")
    page.get_by_label("数据级别").select_option("general")
    page.get_by_label("一般数据分级").select_option("4")
    page.get_by_label("信息项名称 1").fill("法定代表人身份号码")
    page.get_by_label("数据元 1").select_option(label="DE00104 法定代表人身份号码")
    page.get_by_label("信息项名称 2").fill("企业名称")
    page.get_by_label("数据元 2").select_option(label="DE00102 企业名称")
    shot("catalogue-draft-form")
    with page.expect_navigation():
        page.locator("#save-resource").click()
    assert page.locator("#resource-status").inner_text() == "草稿"
    assert "法定代表人身份号码" in page.locator("#items").inner_text()
    with page.expect_navigation():
        page.locator("#submit-resource").click()
    assert page.locator("#resource-status").inner_text() == "待审核"
    url = page.url

    page.context.clear_cookies()
    login("bureau")
    page.goto("/data/")
    assert "特种行业许可信息" in page.locator("#reviews").inner_text()
    page.goto(url)
    page.get_by_label("审核意见（退回时必填）").fill("符合编目要求")
    with page.expect_navigation():
        page.locator("#publish-resource").click()
    assert page.locator("#resource-status").inner_text() == "已发布"
    assert "审核通过并发布" in page.locator("#history").inner_text()
    shot("catalogue-published")
    page.goto("/data/catalogue/?q=特种行业")
    assert "特种行业许可信息" in page.locator("#resources").inner_text()
    shot("catalogue-search")
    assert DataResource.objects.get(name="特种行业许可信息").status == "published"
