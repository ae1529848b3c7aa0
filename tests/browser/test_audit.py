"""Audit search (审计查询) in a real browser: an auditor filters, opens a proof, sees ✓."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Jz-test-pass-2026"


def test_auditor_filters_and_opens_a_verified_proof(page, shot, make_staff, login):
    from yiwang.core import audit, ledger

    make_staff("auditor", username="shenji", password=PASSWORD)
    audit.record(
        actor=None, action="core.case.decide", obj=("services.case", "JZ-1"), purpose="审批决定"
    )
    audit.record(
        actor=None, action="core.org.rename", obj=("core.orgunit", "7"), purpose="机构调整"
    )
    ledger.seal_pending(grace_seconds=0)

    login("shenji")
    with page.expect_navigation():
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="审计查询").click()
    page.get_by_label("操作代码").fill("core.case")
    with page.expect_navigation():
        page.get_by_label("操作代码").press("Enter")
    results = page.locator("#audit-results tbody")
    assert "core.case.decide" in results.inner_text()
    assert "core.org.rename" not in results.inner_text()
    shot("audit-search")
    with page.expect_navigation():
        results.get_by_role("link").first.click()
    assert "✓" in page.locator("#proof-status").inner_text()
    shot("audit-entry-proof")
