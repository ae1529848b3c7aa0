"""免填写 beyond a single item's form, in a real browser on the demo city: the demo citizen
opens the 新生儿出生一件事 combined form and finds what the platform knows filled in and
marked; a police window clerk takes the citizen's 居住证签注 at the counter (一窗受理),
enters the ID number, presses 读取已知信息 and gets the form filled from the citizen's
account and e-licences. Screenshots go to test-artifacts/prefill/."""

from __future__ import annotations

import pytest

from tests import demo_world
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True)

WINDOW_CLERK = "jiaozuo_police_window_clerk"
SHOTS = ARTIFACTS / "prefill"


def test_bundle_and_window_forms_are_prefilled(page, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    SHOTS.mkdir(parents=True, exist_ok=True)
    world = demo_world.build()
    citizen = world.citizen

    login(demo_world.CITIZEN, demo_world.PASSWORD)
    page.goto("/services/bundles/newborn/apply/")
    assert page.locator("#prefilled").is_visible()
    assert page.locator("#f-phone").input_value() == citizen.phone
    assert "来自您的实名账号" in page.locator("#f-phone-known").inner_text()
    assert page.locator("#f-child_name").input_value() == ""  # nothing known: left empty
    page.screenshot(path=str(SHOTS / "bundle.png"), full_page=True)

    page.context.clear_cookies()
    login(WINDOW_CLERK, demo_world.PASSWORD)
    page.goto(f"/services/window/?item={demo_world.INSTANT_ITEM}")
    assert page.locator("#prefilled").count() == 0
    page.locator("#applicant_id_type").select_option("111")
    page.locator("#applicant_id_number").fill(citizen.id_number)
    with page.expect_navigation():
        page.locator("#prefill-go").click()
    assert page.locator("#prefilled").is_visible()
    assert page.locator("#applicant_name").input_value() == citizen.full_name
    assert page.locator("#applicant_phone").input_value() == citizen.phone
    assert "来自申请人的实名账号" in page.locator("#applicant_name-hint").inner_text()
    assert page.locator("#f-phone").input_value() == citizen.phone
    assert "来自申请人的实名账号" in page.locator("#f-phone-known").inner_text()
    # The citizen's valid 居住证 number, from their e-licences.
    permit = next(
        lic
        for lic in world.licences
        if lic.licence_type.slug == "residence_permit" and lic.status == "01"
    )
    assert page.locator("#f-permit_number").input_value() == permit.number
    assert "来自申请人的电子证照" in page.locator("#f-permit_number-known").inner_text()
    page.screenshot(path=str(SHOTS / "window.png"), full_page=True)
