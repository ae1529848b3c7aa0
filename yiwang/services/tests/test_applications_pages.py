"""办件 pages: apply (免证 marks, Chinese errors, upload progress), my applications with
timeline, correction and withdrawal, licence download; staff list with overdue marks,
staff detail with actions; one-window intake; material downloads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from yiwang.core.models import AuditEntry, Case
from yiwang.core.subjects import copy_listed
from yiwang.services.actions.applications import do_act, do_apply
from yiwang.services.models import Application
from yiwang.services.tests.test_applications import FOOD_FORM, PDF, _specs, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def business_licence(licence_types, enterprise_user):
    from yiwang.licences.public import do_issue_licence

    return do_issue_licence(
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


def _apply(enterprise_user, food_item):
    specs = _specs(food_item)
    return do_apply(
        actor=enterprise_user,
        item=food_item,
        form_data=FOOD_FORM,
        uploads={f"material_{s.pk}": pdf() for s in specs.values()},
    )


def test_apply_page_marks_licence_material_and_submits(
    client, food_item, enterprise_user, business_licence
):
    client.force_login(enterprise_user)
    url = reverse("services:apply", args=[food_item.code])
    page = client.get(url).content.decode()
    specs = _specs(food_item)
    assert 'for="f-legal_rep"' in page and 'id="f-legal_rep"' in page
    assert "免证可办" in page and business_licence.number in page
    assert f'name="material_{specs["营业执照"].pk}"' not in page
    assert f'name="material_{specs["经营场所使用证明"].pk}"' in page
    assert "data-progress" in page and "upload-progress.js" in page and "<progress" in page
    response = client.post(url, {**FOOD_FORM, f"material_{specs['经营场所使用证明'].pk}": pdf()})
    app = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("services:my-application", args=[app.number])
    detail = client.get(response["Location"]).content.decode()
    assert app.number in detail and "电子证照" in detail and business_licence.identifier in detail
    due = app.case.case_due.strftime("%Y-%m-%d")
    assert due in detail and 'id="history"' in detail
    listing = client.get(reverse("services:my-applications")).content.decode()
    assert app.number in listing and due in listing


def test_apply_page_errors_in_chinese_and_nothing_saved(client, food_item, enterprise_user):
    client.force_login(enterprise_user)
    specs = _specs(food_item)
    response = client.post(
        reverse("services:apply", args=[food_item.code]),
        {
            **FOOD_FORM,
            "legal_rep": "",
            f"material_{specs['经营场所使用证明'].pk}": SimpleUploadedFile(
                "virus.pdf", b"MZ\x90\x00"
            ),
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "请填写「法定代表人（负责人）」。" in page and "请上传「营业执照」。" in page
    assert "文件类型不被接受" in page and 'aria-invalid="true"' in page
    assert "武陟县木城镇建设路 8 号" in page  # what was typed is kept
    assert not Application.objects.exists() and not Case.objects.exists()


def test_apply_page_not_eligible_and_staff(client, food_item, citizen, officials):
    client.force_login(citizen)
    page = client.get(reverse("services:apply", args=[food_item.code])).content.decode()
    assert "个人不能申请" in page and 'id="apply-form"' not in page
    assert (
        client.post(reverse("services:apply", args=[food_item.code]), FOOD_FORM).status_code == 400
    )
    client.force_login(officials.clerk)
    assert client.get(reverse("services:apply", args=[food_item.code])).status_code == 403
    assert client.get(reverse("services:apply", args=["NO-SUCH"])).status_code in (403, 404)


def test_correction_resubmit_and_licence_download_through_pages(
    client, food_item, enterprise_user, officials
):
    app = _apply(enterprise_user, food_item)
    specs = _specs(food_item)
    staff_url = reverse("services:staff-application", args=[app.number])
    client.force_login(officials.clerk)
    page = client.get(staff_url).content.decode()
    assert 'id="act-accept"' in page and 'id="act-request_correction"' in page
    assert enterprise_user.credit_code not in page and "****" in page
    response = client.post(
        staff_url, {"action": "request_correction", "comment": "场所证明缺少盖章页"}
    )
    assert response.status_code == 302
    client.force_login(enterprise_user)
    my_url = reverse("services:my-application", args=[app.number])
    page = client.get(my_url).content.decode()
    assert "场所证明缺少盖章页" in page and 'id="resubmit-form"' in page
    assert '<li class="current" aria-current="step">补正</li>' in page
    bad = client.post(
        my_url,
        {
            "action": "resubmit",
            f"material_{specs['经营场所使用证明'].pk}": SimpleUploadedFile("a.exe.pdf", b"MZ"),
        },
    )
    assert bad.status_code == 400 and "文件类型不被接受" in bad.content.decode()
    app.refresh_from_db()
    assert app.case.state == "correction"
    ok = client.post(
        my_url,
        {
            "action": "resubmit",
            f"material_{specs['经营场所使用证明'].pk}": pdf("盖章.pdf", PDF + b"s"),
        },
    )
    assert ok.status_code == 302
    app.refresh_from_db()
    assert app.case.state == "submitted"
    for actor, action in (
        (officials.clerk, "accept"),
        (officials.approver, "review"),
        (officials.approver, "approve"),
    ):
        client.force_login(actor)
        assert client.post(staff_url, {"action": action}).status_code == 302
    client.force_login(enterprise_user)
    page = client.get(my_url).content.decode()
    assert "已办结（准予）" in page and 'id="licence-pdf"' in page
    assert page.count('<li class="done">') == 4
    link = page.split('id="licence-pdf"')[0].rsplit('href="', 1)[1].split('"')[0]
    pdf_response = client.get(link)
    assert pdf_response.status_code == 200 and b"".join(pdf_response.streaming_content).startswith(
        b"%PDF"
    )


def test_withdraw_page_requires_reason(client, food_item, enterprise_user):
    app = _apply(enterprise_user, food_item)
    client.force_login(enterprise_user)
    url = reverse("services:my-application", args=[app.number])
    bad = client.post(url, {"action": "withdraw", "comment": ""})
    assert bad.status_code == 400 and "须填写意见" in bad.content.decode()
    assert client.post(url, {"action": "withdraw", "comment": "信息填错"}).status_code == 302
    app.refresh_from_db()
    assert app.outcome == "withdrawn"
    # Acting on a finished application is a conflict.
    assert client.post(url, {"action": "withdraw", "comment": "again"}).status_code == 409


def test_someone_elses_application_is_404(client, food_item, enterprise_user, citizen, officials):
    app = _apply(enterprise_user, food_item)
    material = app.materials.first()
    client.force_login(citizen)
    assert client.get(reverse("services:my-application", args=[app.number])).status_code == 404
    assert client.get(reverse("services:material", args=[material.pk])).status_code == 404
    client.force_login(officials.boai)
    assert client.get(reverse("services:staff-application", args=[app.number])).status_code == 404
    assert (
        client.post(
            reverse("services:staff-application", args=[app.number]), {"action": "accept"}
        ).status_code
        == 404
    )
    client.force_login(enterprise_user)
    response = client.get(reverse("services:material", args=[material.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    client.force_login(officials.clerk)
    assert (
        b"".join(client.get(reverse("services:material", args=[material.pk])).streaming_content)
        == PDF
    )
    assert AuditEntry.objects.filter(action="services.material.open").count() == 2


def test_staff_role_missing_is_403(client, food_item, enterprise_user, make_staff):
    app = _apply(enterprise_user, food_item)
    admin = make_staff("dept_admin", "410823", "market")
    client.force_login(admin)
    url = reverse("services:staff-application", args=[app.number])
    assert client.get(url).status_code == 200
    assert client.post(url, {"action": "accept"}).status_code == 403


def test_staff_list_marks_overdue(client, food_item, enterprise_user, officials):
    app = _apply(enterprise_user, food_item)
    # Set-up: the deadline moved behind the engine's back, then copied to the application
    # as the engine copies every deadline it moves (the list filters on the copy).
    Case.objects.filter(pk=app.case_id).update(
        state_due=timezone.localdate() - dt.timedelta(days=3)
    )
    copy_listed(Case.objects.get(pk=app.case_id))
    client.force_login(officials.approver)
    page = client.get(reverse("services:staff-applications")).content.decode()
    assert app.number in page and "已超期" in page
    overdue = client.get(
        reverse("services:staff-applications") + "?status=overdue"
    ).content.decode()
    assert app.number in overdue
    client.force_login(officials.boai)
    assert app.number not in client.get(reverse("services:staff-applications")).content.decode()


def test_reveal_applicant_is_logged(client, food_item, enterprise_user, officials):
    app = _apply(enterprise_user, food_item)
    client.force_login(officials.clerk)
    url = reverse("services:staff-application", args=[app.number])
    page = client.get(url).content.decode()
    assert enterprise_user.credit_code not in page
    # The approver sees how far the applicant's account proved who it is (实名等级).
    assert "已关联（实名等级：法定代表人核验）" in page
    page = client.post(url, {"op": "reveal", "purpose": "办件审查"}).content.decode()
    assert enterprise_user.credit_code in page
    # The applicant's name, ID number and phone, and the personal fields of the form.
    assert AuditEntry.objects.filter(action="core.personal.unmask", purpose="办件审查").count() == 4


def test_window_intake_page(client, food_item, officials, enterprise_user):
    client.force_login(officials.hall_clerk)
    search = client.get(reverse("services:window") + "?q=食品").content.decode()
    assert food_item.name in search
    url = reverse("services:window") + f"?item={food_item.code}"
    form = client.get(url).content.decode()
    assert 'name="applicant_id_number"' in form and 'name="received"' in form
    specs = _specs(food_item)
    bad = client.post(
        url, {"item": food_item.code, "applicant_name": "", "applicant_id_type": "001", **FOOD_FORM}
    )
    assert bad.status_code == 400 and "请填写申请人姓名或单位名称" in bad.content.decode()
    assert not Application.objects.exists()
    response = client.post(
        url,
        {
            "item": food_item.code,
            "applicant_name": "焦作示例科技有限公司",
            "applicant_id_type": "001",
            "applicant_id_number": enterprise_user.credit_code,
            "phone": "13912345678",
            "received": [str(specs["营业执照"].pk)],
            f"material_{specs['经营场所使用证明'].pk}": pdf(),
            **FOOD_FORM,
        },
    )
    app = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("services:staff-application", args=[app.number])
    assert app.clerk == officials.hall_clerk and app.applicant == enterprise_user
    page = client.get(response["Location"]).content.decode()
    assert "窗口收取纸质材料" in page
    mine = client.get(reverse("services:staff-applications") + "?status=mine").content.decode()
    assert app.number in mine
    # The market department's clerk sees it in the core inbox too.
    client.force_login(officials.clerk)
    assert app.number in client.get(reverse("core:inbox")).content.decode()
    client.force_login(officials.approver)
    assert client.get(reverse("services:window")).status_code == 403


def test_case_finished_on_generic_page_catches_up(client, food_item, enterprise_user, officials):
    """An approval taken on the core case page: the application page offers the step
    that brings the outcome and the licence in line."""
    from yiwang.core.actions.workflow import do_transition

    app = _apply(enterprise_user, food_item)
    do_act(actor=officials.clerk, application=app, action="accept")
    do_act(actor=officials.approver, application=app, action="review")
    do_transition(actor=officials.approver, case=app.case, action_code="approve")
    app.refresh_from_db()
    assert app.outcome == "" and not app.licence_identifier
    client.force_login(officials.approver)
    url = reverse("services:staff-application", args=[app.number])
    assert 'id="act-approve"' in client.get(url).content.decode()
    assert client.post(url, {"action": "approve"}).status_code == 302
    app.refresh_from_db()
    assert app.outcome == "approved" and app.licence_identifier
    assert client.post(url, {"action": "approve"}).status_code == 409


def test_my_list_shows_open_applications_first(client, food_item, enterprise_user):
    done = _apply(enterprise_user, food_item)
    do_act(actor=enterprise_user, application=done, action="withdraw", comment="填错了")
    open_app = _apply(enterprise_user, food_item)
    client.force_login(enterprise_user)
    page = client.get(reverse("services:my-applications")).content.decode()
    assert page.index(open_app.number) < page.index(done.number)
    assert "已办结（撤回）" in page
    only_open = client.get(reverse("services:my-applications") + "?status=open").content.decode()
    assert open_app.number in only_open and done.number not in only_open


def test_generic_case_page_sends_people_to_the_application_pages(
    client, food_item, enterprise_user, officials
):
    app = _apply(enterprise_user, food_item)
    case_url = reverse("core:case", args=[app.case_id])
    client.force_login(officials.clerk)
    r = client.get(case_url)
    assert r.status_code == 302
    assert r.url == reverse("services:staff-application", args=[app.number])
    client.force_login(enterprise_user)
    r = client.get(case_url)
    assert r.url == reverse("services:my-application", args=[app.number])


def test_window_intake_refused_names_each_field_and_keeps_the_input(
    client, food_item, officials, enterprise_user
):
    client.force_login(officials.hall_clerk)
    url = reverse("services:window") + f"?item={food_item.code}"
    specs = _specs(food_item)
    place = specs["经营场所使用证明"]
    bad = client.post(
        url,
        {
            "item": food_item.code,
            "applicant_name": "",
            "applicant_id_type": "001",
            "applicant_id_number": enterprise_user.credit_code,
            "received": [str(specs["营业执照"].pk)],
            **FOOD_FORM,
            "legal_rep": "",
        },
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#applicant_name">请填写申请人姓名或单位名称（不超过 100 字）。</a>' in page
    assert 'id="applicant_name-error"' in page
    # the 申请表 and the materials are linked by the ids of their inputs
    assert '<a href="#f-legal_rep">请填写「法定代表人（负责人）」。</a>' in page
    assert f'<a href="#material_{place.pk}">' in page
    # what was typed and ticked is kept
    assert f'value="{enterprise_user.credit_code}"' in page
    assert '<option value="001" selected>' in page and "武陟县木城镇建设路 8 号" in page
    assert f'value="{specs["营业执照"].pk}" checked' in page
    assert not Application.objects.exists()


def test_staff_step_refused_shows_the_opinion_field_and_keeps_it(
    client, food_item, enterprise_user, officials
):
    app = _apply(enterprise_user, food_item)
    client.force_login(officials.clerk)
    url = reverse("services:staff-application", args=[app.number])
    page = client.get(url).content.decode()
    assert 'for="act-comment"' in page and 'name="comment"' in page
    missing = client.post(url, {"op": "act", "action": "not_accept", "comment": ""})
    page = missing.content.decode()
    assert missing.status_code == 400 and 'id="error-summary"' in page
    assert '<a href="#act-comment">执行“不予受理”须填写意见。</a>' in page
    assert 'id="act-comment-error"' in page
    # A step the state does not allow: a conflict, the opinion typed is kept.
    early = client.post(url, {"action": "approve", "comment": "材料齐全，同意"})
    page = early.content.decode()
    assert early.status_code == 409 and 'id="error-summary"' in page
    assert "不能执行“准予”" in page and "材料齐全，同意</textarea>" in page
    app.refresh_from_db()
    assert app.case.state == "submitted"


def test_reveal_without_a_purpose_is_refused_on_its_field(
    client, food_item, enterprise_user, officials
):
    app = _apply(enterprise_user, food_item)
    client.force_login(officials.clerk)
    url = reverse("services:staff-application", args=[app.number])
    assert 'value="办件审查"' in client.get(url).content.decode()
    short = client.post(url, {"op": "reveal", "purpose": "看"})
    page = short.content.decode()
    assert short.status_code == 403 and 'id="error-summary"' in page
    assert '<a href="#purpose">查看完整个人信息须说明用途。</a>' in page
    assert 'id="purpose-error"' in page and 'value="看"' in page
    assert enterprise_user.credit_code not in page
    assert not AuditEntry.objects.filter(action="core.personal.unmask").exists()


def test_applicant_steps_refused_on_their_form(client, food_item, enterprise_user, officials):
    app = _apply(enterprise_user, food_item)
    specs = _specs(food_item)
    do_act(actor=officials.clerk, application=app, action="request_correction", comment="补盖章页")
    client.force_login(enterprise_user)
    url = reverse("services:my-application", args=[app.number])
    odd = client.post(url, {"action": "approve"})
    assert odd.status_code == 400 and "未知的操作。" in odd.content.decode()
    place = specs["经营场所使用证明"]
    bad = client.post(
        url,
        {
            "action": "resubmit",
            "comment": "已补盖公章",
            f"material_{place.pk}": SimpleUploadedFile("a.pdf", b"MZ"),
        },
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and 'id="error-summary"' in page
    assert f'<a href="#material_{place.pk}">' in page and "文件类型不被接受" in page
    assert "已补盖公章</textarea>" in page  # the comment is kept
    empty = client.post(url, {"action": "withdraw", "comment": ""})
    page = empty.content.decode()
    assert empty.status_code == 400
    assert '<a href="#withdraw-comment">执行“撤回申请”须填写意见。</a>' in page
    assert 'id="withdraw-comment-error"' in page
