"""The portal in a real browser: sign-in landings, the staff inbox, elder mode, English."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Jz-test-pass-2026"


def test_citizen_signs_in_and_lands_on_personal_space(page, shot, citizen, login):
    login("zhangsan")
    assert page.locator("h1").inner_text() == "个人中心"
    assert page.url.endswith("/me/")
    body = page.locator("main").inner_text()
    assert "1101**********002X" in body and "11010519491231002X" not in body
    shot("citizen-home")


def test_staff_member_sees_waiting_case_in_inbox(page, shot, make_staff, citizen, login):
    from yiwang.core.actions.workflow import do_start_case

    make_staff("window_clerk", "410823", "big_data", username="wzclerk", password=PASSWORD)
    case = do_start_case(
        actor=citizen,
        workflow_code="generic_approval",
        title="食品经营许可证核发",
        division="410823",
        department="410823-big_data",
        applicant=citizen,
    )
    login("wzclerk")
    assert page.locator("#waiting-count").inner_text() == "1"
    shot("staff-workbench")
    with page.expect_navigation():
        page.get_by_role("link", name="查看全部待办").click()
    assert page.url.endswith("/inbox/")
    row = page.get_by_role("row").filter(has_text=case.number)
    assert "食品经营许可证核发" in row.inner_text()
    shot("staff-inbox")


def test_elder_mode_from_keyboard_makes_text_larger(page, shot):
    page.goto("/")

    def font_size() -> float:
        return float(page.evaluate("getComputedStyle(document.body).fontSize").rstrip("px"))

    before = font_size()
    page.focus("#elder-toggle")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    after = font_size()
    assert after >= before * 1.25
    assert "elder" in page.locator("body").get_attribute("class")
    assert page.locator("#elder-toggle").get_attribute("aria-pressed") == "true"
    shot("home-elder")
    with page.expect_navigation():
        page.locator("#elder-toggle").click()
    assert font_size() == before


def test_switching_to_english_shows_english_home(page, shot):
    page.goto("/")
    assert page.locator("h1").inner_text() == "焦作一网"
    page.select_option("#lang-select", "en")
    with page.expect_navigation():
        page.locator("#lang-go").click()
    assert page.locator("h1").inner_text() == "Jiaozuo One Network"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("link", name="Sign in").first.is_visible()
    shot("home-en")
