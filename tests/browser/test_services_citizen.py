"""一网通办 end to end in a real browser: a citizen applies online with an uploaded file,
follows the case while staff handle it, downloads the e-licence issued on approval,
verifies it on the public page and rates the service (好差评)."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def permit_item(settings, tmp_path, licence_types, city):
    """居住证申领 in 武陟县 public security: one uploaded material, a 居住证 on approval."""
    from yiwang.services.models import MaterialSpec, ServiceItem

    settings.MEDIA_ROOT = tmp_path / "media"
    dept = city.department("410823", "public_security")
    main = ServiceItem.objects.create(
        code="E2E000",
        name="居住证申领",
        kind="public_service",
        department=dept,
        implementer=dept.name,
        legal_basis="《居住证暂行条例》",
        level=ServiceItem.Level.MAIN,
        division=dept.division,
        status=ServiceItem.Status.PUBLISHED,
    )
    item = ServiceItem.objects.create(
        code="E2E001",
        name="居住证申领（新办）",
        kind="public_service",
        department=dept,
        implementer=dept.name,
        legal_basis="《居住证暂行条例》第九条",
        level=ServiceItem.Level.HANDLING,
        parent=main,
        handling=ServiceItem.Handling.NEW,
        division=dept.division,
        statutory_days=15,
        promised_days=7,
        applicants=ServiceItem.Applicants.PERSON,
        form_fields=[{"name": "address", "label": "居住地址", "type": "text", "required": True}],
        licence_type_code="residence_permit",
        status=ServiceItem.Status.PUBLISHED,
    )
    MaterialSpec.objects.create(item=item, name="居住证明（租房合同等）", required=True)
    return item


def test_citizen_applies_tracks_downloads_verifies_and_rates(
    page, shot, login, make_staff, citizen, permit_item, tmp_path
):
    from yiwang.services.actions.applications import do_act
    from yiwang.services.models import Application, Rating

    login("zhangsan")
    page.goto(f"/services/items/{permit_item.code}/")
    with page.expect_navigation():
        page.get_by_role("link", name="在线申请").first.click()
    proof = tmp_path / "lease.pdf"
    proof.write_bytes(PDF)
    page.get_by_label("居住地址").fill("焦作市武陟县木城街道 1 号")
    page.get_by_label("上传「居住证明（租房合同等）」").set_input_files(str(proof))
    shot("services-apply")
    with page.expect_navigation():
        page.locator("#submit-application").click()
    app = Application.objects.get(item=permit_item)
    assert app.materials.filter(source="upload").count() == 1
    assert app.number in page.content()
    assert page.locator("#progress-steps [aria-current=step]").inner_text().startswith("申请")

    clerk = make_staff("window_clerk", "410823", "public_security")
    approver = make_staff("approver", "410823", "public_security")
    app = do_act(actor=clerk, application=app, action="accept")
    page.reload()
    assert page.locator("#progress-steps [aria-current=step]").inner_text().startswith("审查")
    shot("services-track")
    app = do_act(actor=approver, application=app, action="review")
    app = do_act(actor=approver, application=app, action="approve")
    assert app.outcome == "approved" and app.licence_identifier

    page.reload()
    with page.expect_download() as info:
        page.locator("#licence-pdf").click()
    saved = tmp_path / "permit.pdf"
    info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")

    page.goto("/licences/verify/")
    page.get_by_label("或上传证照 PDF 文件（不超过 5 MB）").set_input_files(str(saved))
    with page.expect_navigation():
        page.locator("#verify-go").click()
    assert page.locator("#verdict").get_attribute("data-result") == "valid"
    shot("services-licence-verified")

    page.goto(f"/services/my/{app.number}/")
    with page.expect_navigation():
        page.locator("#rate-link").click()
    page.locator("#rate-comment").fill("材料一次提交，很快办好。")
    with page.expect_navigation():
        page.locator("#level-2").click()
    assert page.locator("#rated-level").inner_text() == "满意"
    rating = Rating.objects.get(application=app)
    assert (rating.level, rating.channel) == (2, "online") and rating.rectification is None
    shot("services-rated")
