"""数据归集 in a real browser: a department data steward uploads a file, watches the
progress bar finish and reads the quality report with the problem rows."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Jz-test-pass-2026"


def test_steward_uploads_watches_progress_and_reads_report(
    page, shot, city, make_staff, login, settings, tmp_path
):
    from yiwang.data.actions.ingest import do_process_batch
    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import ImportBatch
    from yiwang.data.tests.ingest_helpers import HEADER, encode, mixed_rows

    settings.MEDIA_ROOT = tmp_path / "media"
    # The queue is not drained by a worker here: the test plays the worker's part, so the
    # page is seen waiting first and then following the batch to the end.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    do_seed_data_standards(actor=None)
    make_staff("data_steward", "410800", "public_security", username="gaxxzx", password=PASSWORD)
    rows, bad, _ps = mixed_rows()
    name, data = encode("csv-gbk", HEADER, rows)
    upload = tmp_path / name
    upload.write_bytes(data)

    login("gaxxzx")
    page.goto("/data/ingest/")
    page.get_by_label("数据资源").select_option(label="101-0001 人口基本信息 v1")
    page.get_by_label("数据文件（CSV、Excel 或 JSON）").set_input_files(str(upload))
    with page.expect_navigation():
        page.get_by_role("button", name="上传并归集").click()
    # Stored and queued: nothing is parsed in the request, so the row count is not known
    # yet and the bar is indeterminate.
    bar = page.get_by_role("progressbar", name="归集进度")
    assert bar.get_attribute("aria-valuenow") is None
    assert "等待后台处理" in page.locator("#batch-status").inner_text()
    shot("data-import-waiting")

    do_process_batch(actor=None, batch=ImportBatch.objects.get())  # the worker's turn

    page.wait_for_selector("#quality-report", timeout=20000)  # htmx poll → page refresh
    bar = page.get_by_role("progressbar", name="归集进度")
    assert bar.get_attribute("aria-valuenow") == str(len(rows))
    assert "已完成" in page.locator("#batch-status").inner_text()
    assert page.locator("#count-quarantined").inner_text() == str(len(bad))
    results = page.locator("#rule-results").inner_text()
    assert "文件内主键不重复" in results and "出生日期与公民身份号码一致" in results
    bad_rows = page.locator("#bad-rows").inner_text()
    assert "身份证号码校验位不正确" in bad_rows and re.search(r"与第 1 行的主键重复", bad_rows)
    assert page.locator("#quality-chart canvas").count() == 1
    shot("data-import-report")
