"""在线申请 in a real browser: an enterprise sees the material its e-licence replaces,
gets Chinese errors for a bad submission, uploads with the progress bar and lands on its
application; the window clerk then asks for a correction."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def food_item(city, licence_types):
    """食品经营许可 of the 武陟 market bureau: 营业执照 replaced by the e-licence."""
    from yiwang.licences.actions import do_create_seal
    from yiwang.services.models import MaterialSpec, ServiceItem
    from yiwang.services.tests.conftest import FOOD_FIELDS

    dept = city.department("410823", "market")
    do_create_seal(actor=None, department=dept, kind="licensing")
    common = {
        "kind": "licensing",
        "department": dept,
        "implementer": dept.name,
        "legal_basis": "《食品经营许可和备案管理办法》",
        "division": dept.division,
        "status": ServiceItem.Status.PUBLISHED,
    }
    main = ServiceItem.objects.create(code="B00100", name="食品经营许可", level="main", **common)
    item = ServiceItem.objects.create(
        code="B00101",
        name="食品经营许可（新办）",
        level="handling",
        parent=main,
        handling="new",
        applicants="entity",
        statutory_days=20,
        promised_days=10,
        form_fields=FOOD_FIELDS,
        licence_type_code="food_business",
        **common,
    )
    MaterialSpec.objects.create(
        item=item, position=1, name="营业执照", licence_type_code="business_licence"
    )
    MaterialSpec.objects.create(item=item, position=2, name="经营场所使用证明")
    return item


def test_enterprise_applies_with_upload_progress(
    page, shot, login, food_item, enterprise_user, settings, tmp_path
):
    from yiwang.licences.public import do_issue_licence
    from yiwang.services.models import Application

    settings.MEDIA_ROOT = tmp_path / "media"
    do_issue_licence(
        actor=None,
        licence_type="business_licence",
        holder_name="焦作示例科技有限公司",
        holder_id=enterprise_user.credit_code,
        holder_id_type="001",
        data={
            "entity_type": "有限公司",
            "legal_rep": "李四",
            "established": "2020-01-01",
            "address": "焦作",
        },
    )
    scan = tmp_path / "场所证明.pdf"
    scan.write_bytes(PDF + b"0" * 200_000)
    fake = tmp_path / "setup.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 100)

    login("qiye1")
    page.goto(f"/services/items/{food_item.code}/apply/")
    assert "免证可办" in page.locator("#material-list").inner_text()
    assert page.locator("input[type=file]").count() == 1
    shot("services-apply-form")

    page.get_by_label("法定代表人（负责人）").fill("李四")
    page.locator("#f-address").fill("武陟县木城镇建设路 8 号")
    page.get_by_label("主体业态").select_option("食品销售经营者")
    page.get_by_label("经营面积（平方米）").fill("80")
    page.get_by_label("上传「经营场所使用证明」").set_input_files(str(fake))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_selector("#error-summary")
    summary = page.locator("#error-summary").inner_text()
    assert "请填写「经营项目」。" in summary and "文件类型不被接受" in summary
    assert page.get_by_label("法定代表人（负责人）").input_value() == "李四"
    assert not Application.objects.exists()
    shot("services-apply-errors")

    page.get_by_label("经营项目").fill("预包装食品销售")
    page.get_by_label("上传「经营场所使用证明」").set_input_files(str(scan))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_selector("#application-facts")
    app = Application.objects.get()
    assert page.url.endswith(f"/services/my/{app.number}/")
    assert page.locator("#upload-progress").count() == 0  # the new page replaced the form
    assert app.number in page.locator("h1").inner_text()
    assert "申请已提交" in page.locator(".messages").inner_text()
    assert "电子证照" in page.locator("#materials").inner_text()
    shot("services-my-application")
