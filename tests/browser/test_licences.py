"""E-licences in a real browser: a citizen opens the wallet, shows the QR code, downloads
the PDF; anyone verifies that file on the public page, and a tampered copy is forged."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def permit(settings, tmp_path, licence_types, citizen):
    from yiwang.licences.public import do_issue_licence

    settings.MEDIA_ROOT = tmp_path / "media"
    return do_issue_licence(
        actor=None,
        licence_type="residence_permit",
        holder_name="张三",
        holder_id="11010519491231002X",
        data={"address": "河南省焦作市山阳区塔南路 1 号", "origin": "北京市西城区"},
    )


def test_wallet_download_and_public_verification(page, shot, login, permit, tmp_path):
    login("zhangsan")
    page.goto("/licences/wallet/")
    row = page.get_by_role("row").filter(has_text=permit.number)
    assert "有效" in row.inner_text()
    shot("licences-wallet")
    with page.expect_navigation():
        row.get_by_role("link", name="居住证", exact=True).click()
    assert page.get_by_alt_text("核验二维码：办事人员扫码即可核验此证照").is_visible()
    shot("licences-wallet-detail")
    with page.expect_download() as info:
        page.locator("#download").click()
    saved = tmp_path / "permit.pdf"
    info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")

    page.context.clear_cookies()
    page.goto("/licences/verify/")
    page.get_by_label("或上传证照 PDF 文件（不超过 5 MB）").set_input_files(str(saved))
    with page.expect_navigation():
        page.locator("#verify-go").click()
    verdict = page.locator("#verdict")
    assert verdict.get_attribute("data-result") == "valid"
    assert "真实有效" in verdict.inner_text() and "张*" in verdict.inner_text()
    shot("licences-verify-valid")

    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    page.get_by_label("或上传证照 PDF 文件（不超过 5 MB）").set_input_files(str(tampered))
    with page.expect_navigation():
        page.locator("#verify-go").click()
    assert page.locator("#verdict").get_attribute("data-result") == "forged"
    assert "张" not in page.locator("#verdict").inner_text()
    shot("licences-verify-forged")


def test_verify_by_pasted_identifier_from_keyboard(page, permit):
    page.goto("/licences/verify/")
    page.get_by_label("二维码内容或电子证照标识").fill(f"{permit.identifier} {permit.token}")
    page.focus("#verify-go")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#verdict").get_attribute("data-result") == "valid"
