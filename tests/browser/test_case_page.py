"""The case page in a real browser: 签收, an opinion and an action, all by keyboard;
overdue and estimated deadlines visibly marked."""

from __future__ import annotations

from datetime import timedelta

PASSWORD = "Jz-test-pass-2026"


def test_clerk_claims_and_accepts_a_case_by_keyboard(page, shot, make_staff, citizen, login):
    from django.utils import timezone

    from yiwang.core.actions.workflow import do_start_case
    from yiwang.core.models import Case

    make_staff("window_clerk", "410823", "market", username="wzwindow", password=PASSWORD)
    case = do_start_case(
        actor=citizen,
        workflow_code="generic_approval",
        title="食品经营许可证核发",
        division="410823",
        department="410823-market",
        applicant=citizen,
    )
    # Set-up: the deadline passed yesterday and was counted without an official calendar.
    Case.objects.filter(pk=case.pk).update(
        state_due=timezone.localdate() - timedelta(days=1), calendar_estimated=True
    )
    login("wzwindow")
    page.goto("/inbox/")
    row = page.get_by_role("row").filter(has_text=case.number)
    assert "已超期" in row.inner_text() and "（估算）" in row.inner_text()
    assert page.locator("#estimated-warning").is_visible()
    shot("inbox-overdue-estimated")

    with page.expect_navigation():
        row.get_by_role("link", name=case.number).click()
    assert page.locator("#estimated-warning").is_visible()
    page.locator("#claim").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#case-assignee").inner_text() != "未签收"

    page.get_by_label("办理意见").fill("材料齐全，予以受理")
    page.get_by_role("button", name="受理", exact=True).focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#case-state").inner_text() == "审查"
    history = page.locator("#history").inner_text()
    assert "受理" in history and "材料齐全，予以受理" in history
    shot("case-after-accept")
