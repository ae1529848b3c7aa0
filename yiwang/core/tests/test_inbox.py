"""待办 pages and API: ordering, overdue and estimate marks, actions, uploads, errors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yiwang.core.actions.workflow import do_define_workflow, do_start_case
from yiwang.core.crypto import sm3_hex
from yiwang.core.models import Case, CaseAttachment, CaseEvent
from yiwang.core.tests.definitions import two_step

SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def desk(city, make_staff, citizen):
    class D:
        clerk = make_staff("window_clerk", "410823", "market")
        approver = make_staff("approver", "410823", "market")
        boai_clerk = make_staff("window_clerk", "410822", "market")
        applicant = citizen

        @staticmethod
        def case(title, actor=None, code="generic_approval"):
            return do_start_case(
                actor=actor or D.clerk,
                workflow_code=code,
                title=title,
                division=city.wuzhi,
                department=city.department("410823", "market"),
                applicant=citizen,
            )

    return D


def test_inbox_orders_by_deadline_and_marks_overdue(client, desk):
    late = desk.case("迟到的申请")
    soon = desk.case("明天到期")
    relaxed = desk.case("宽松")
    today = timezone.localdate()
    # Arrange deadlines directly: this is test set-up, not a product write path.
    Case.objects.filter(pk=late.pk).update(state_due=today - timedelta(days=3))
    Case.objects.filter(pk=soon.pk).update(state_due=today + timedelta(days=1))
    Case.objects.filter(pk=relaxed.pk).update(state_due=today + timedelta(days=9))
    client.force_login(desk.clerk)
    html = client.get("/inbox/").content.decode()
    positions = [html.index(c.number) for c in (late, soon, relaxed)]
    assert positions == sorted(positions)
    row = html[html.rindex("<tr", 0, positions[0]) : positions[1]]
    assert 'class="case-row overdue"' in row and "已超期" in row
    after = html[positions[1] :]
    assert "已超期" not in after
    assert "estimated-warning" not in html


def test_inbox_is_for_staff_and_scoped(client, desk):
    case = desk.case("武陟的案件")
    client.force_login(desk.boai_clerk)
    assert case.number not in client.get("/inbox/").content.decode()
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    client.force_login(desk.applicant)
    assert client.get("/inbox/").status_code == 403
    assert client.get(f"/cases/{case.pk}/").status_code == 200  # own application


def test_estimated_deadline_is_visibly_marked(client, desk):
    far = two_step(400, "window_clerk")
    do_define_workflow(actor=None, code="far", name="跨年流程", definition=far)
    case = desk.case("跨年", code="far")
    client.force_login(desk.clerk)
    inbox = client.get("/inbox/").content.decode()
    assert 'id="estimated-warning"' in inbox and "（估算）" in inbox
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="estimated-warning"' in page and "周一至周五" in page


def test_case_page_actions_claim_comment_and_transition(client, desk):
    case = desk.case("开办餐馆")
    client.force_login(desk.clerk)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'value="accept"' in page and 'id="claim"' in page
    assert 'value="approve"' not in page  # not open in this state / role
    assert client.post(f"/cases/{case.pk}/", {"op": "claim"}).status_code == 302
    assert Case.objects.get(pk=case.pk).assignee == desk.clerk
    client.post(f"/cases/{case.pk}/", {"op": "comment", "comment": "材料齐全"})
    assert CaseEvent.objects.filter(case=case, action="comment", comment="材料齐全").exists()
    r = client.post(f"/cases/{case.pk}/", {"op": "transition", "action": "accept"})
    assert r.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "reviewing"
    history = client.get(f"/cases/{case.pk}/").content.decode()
    history = history[history.index('id="history"') :]
    for text in ("发起", "签收", "备注", "材料齐全", "受理", "申请 → 审查"):
        assert text in history
    # Refused action: the page says why, with a 4xx, and nothing moves.
    r = client.post(f"/cases/{case.pk}/", {"op": "transition", "action": "approve"})
    assert r.status_code == 409  # not a step of this state: a conflict
    assert "不能执行“准予许可”" in r.content.decode()
    assert Case.objects.get(pk=case.pk).state == "reviewing"


def test_attachment_upload_checks_size_type_and_keeps_sm3(client, desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = desk.case("附件测试")
    client.force_login(desk.clerk)
    url = f"/cases/{case.pk}/"
    ok = SimpleUploadedFile("营业执照.pdf", PDF, content_type="application/pdf")
    assert client.post(url, {"op": "attach", "file": ok}).status_code == 302
    att = CaseAttachment.objects.get(case=case)
    assert (att.name, att.size, att.sm3) == ("营业执照.pdf", len(PDF), sm3_hex(PDF))

    exe = SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/x-msdownload")
    r = client.post(url, {"op": "attach", "file": exe})
    assert r.status_code == 415 and "不支持的文件类型" in r.content.decode()
    liar = SimpleUploadedFile("fake.pdf", b"MZ\x90\x00", content_type="application/pdf")
    assert client.post(url, {"op": "attach", "file": liar}).status_code == 415

    settings.YIWANG_MAX_UPLOAD_BYTES = 16
    big = SimpleUploadedFile("big.pdf", PDF, content_type="application/pdf")
    r = client.post(url, {"op": "attach", "file": big})
    assert r.status_code == 413 and "文件过大" in r.content.decode()
    assert CaseAttachment.objects.filter(case=case).count() == 1


# --- API ---


def test_api_inbox_list_detail_and_transition(client, desk):
    case = desk.case("接口办件")
    client.force_login(desk.clerk)
    body = client.get("/api/v1/inbox").json()
    assert body["count"] == 1 and body["items"][0]["number"] == case.number
    assert body["items"][0]["state_name"] == "申请"
    detail = client.get(f"/api/v1/inbox/{case.pk}").json()
    assert {a["code"] for a in detail["actions"]} == {"accept", "refuse", "request_correction"}
    r = client.post(
        f"/api/v1/inbox/{case.pk}/transitions",
        {"action": "accept", "comment": "受理"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "reviewing"
    assert [e["action"] for e in r.json()["events"]] == ["start", "accept"]
    assert [e["action_name"] for e in r.json()["events"]] == ["发起", "受理"]


def test_api_errors_use_the_envelope(client, desk):
    case = desk.case("接口错误")
    client.force_login(desk.clerk)
    url = f"/api/v1/inbox/{case.pk}/transitions"
    r = client.post(url, {"action": "approve"}, content_type="application/json")
    # Not a step of this state: a conflict, with the engine's reason in the details.
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "conflict"
    assert r.json()["error"]["message"] == "当前环节“申请”不能执行“准予许可”。"
    assert r.json()["error"]["details"][0]["code"] == "action_not_allowed"
    r = client.post(url, {"comment": "缺少 action"}, content_type="application/json")
    assert r.status_code == 422 and r.json()["error"]["details"]
    r = client.post(url, "not json", content_type="application/json")
    assert 400 <= r.status_code < 500
    client.force_login(desk.boai_clerk)
    r = client.post(url, {"action": "accept"}, content_type="application/json")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/inbox/999999").status_code == 404
    assert Case.objects.get(pk=case.pk).state == "submitted"


def test_attachment_download_checks_sm3_and_scope(client, desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = desk.case("下载测试")
    client.force_login(desk.clerk)
    upload = SimpleUploadedFile("申请书.pdf", PDF, content_type="application/pdf")
    client.post(f"/cases/{case.pk}/", {"op": "attach", "file": upload})
    att = CaseAttachment.objects.get(case=case)
    url = f"/cases/{case.pk}/attachments/{att.pk}/"
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF
    assert "attachment" in r["Content-Disposition"]
    client.force_login(desk.boai_clerk)
    assert client.get(url).status_code == 404
    # The stored file is altered behind the platform's back: refused, not served.
    with open(att.file.path, "ab") as fh:
        fh.write(b"tampered")
    client.force_login(desk.clerk)
    r = client.get(url)
    assert r.status_code == 409 and "SM3" in r.content.decode()


# --- the clock: year ends and years the calendar does not cover ---


def test_deadline_across_the_year_end_is_marked_estimated(client, desk, clock):
    """Started on 30 December, a 5-working-day step ends in a year with no calendar yet:
    the inbox says the date is estimated (Monday–Friday), not a confirmed deadline."""
    clock.move_to(datetime(2026, 12, 30, 10, tzinfo=SHANGHAI))
    do_define_workflow(
        actor=None, code="yearend", name="跨年", definition=two_step(5, "window_clerk")
    )
    case = desk.case("年末申请", code="yearend")
    assert case.state_due == date(2027, 1, 6)
    client.force_login(desk.clerk)
    inbox = client.get("/inbox/").content.decode()
    assert case.number in inbox
    assert 'id="estimated-warning"' in inbox and "（估算）" in inbox


def test_inbox_in_a_year_the_calendar_does_not_cover(client, desk, clock):
    """On a day in 2027 (not loaded), a case still opens, counts Monday–Friday, shows its
    deadline as estimated, and an overdue case is still marked overdue."""
    clock.move_to(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI))
    do_define_workflow(
        actor=None, code="short", name="短流程", definition=two_step(3, "window_clerk")
    )
    fresh = desk.case("新年申请", code="short")
    assert fresh.state_due == date(2027, 3, 4)
    late = desk.case("逾期申请", code="short")
    Case.objects.filter(pk=late.pk).update(state_due=date(2027, 2, 26))
    client.force_login(desk.clerk)
    inbox = client.get("/inbox/").content.decode()
    assert 'id="estimated-warning"' in inbox
    row = inbox[inbox.rindex("<tr", 0, inbox.index(late.number)) : inbox.index(late.number)]
    assert "overdue" in row


def test_tests_run_on_the_fixed_date():
    """Without a time marker, the suite's clock starts at the fixed test date."""
    assert timezone.localdate() == date(2026, 3, 9)


@pytest.mark.real_clock
def test_real_clock_marker_gives_the_real_time():
    real = time_machine.escape_hatch.time.time()
    assert abs(timezone.now().timestamp() - real) < 60


def test_a_refused_case_form_re_renders_with_the_summary_its_field_and_the_input(client, desk):
    case = desk.case("补正告知")
    client.force_login(desk.clerk)
    url = f"/cases/{case.pk}/"
    # 一次性告知补正 needs an opinion: the message sits on the opinion box.
    r = client.post(url, {"op": "transition", "action": "request_correction", "comment": " "})
    page = r.content.decode()
    assert r.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#act-comment">执行“一次性告知补正”须填写意见。</a>' in page
    assert 'id="act-comment-error"' in page and 'aria-invalid="true"' in page
    # A step not open now is a conflict about the form; the opinion typed is kept.
    r = client.post(url, {"op": "transition", "action": "approve", "comment": "同意许可"})
    page = r.content.decode()
    assert r.status_code == 409 and 'id="error-summary"' in page
    assert "不能执行“准予许可”" in page and "\n同意许可</textarea>" in page
    # A note over the limit: on the note's box, the text kept.
    long = "备" * 5001
    r = client.post(url, {"op": "comment", "comment": long})
    page = r.content.decode()
    assert r.status_code == 400 and '<a href="#cmt-comment">意见不能超过 5000 字。</a>' in page
    assert 'id="cmt-comment-error"' in page and f"\n{long}</textarea>" in page
    # No file chosen (a browser cannot keep a chosen file across pages).
    r = client.post(url, {"op": "attach"})
    page = r.content.decode()
    assert r.status_code == 400 and '<a href="#att-file">请选择要上传的文件。</a>' in page
    # A form the page does not have.
    r = client.post(url, {"op": "archive"})
    assert r.status_code == 400 and "未知的操作。" in r.content.decode()
    assert not CaseEvent.objects.filter(case=case).exclude(action="start").exists()
