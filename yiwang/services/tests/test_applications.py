"""办件 through actions: a full case online and at the window through every state, with
deadlines in working days; 免证可办; bad input saves nothing; someone else's case."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from yiwang.core.calendar import add_working_days
from yiwang.core.crypto import sm3_hex
from yiwang.core.models import AuditEntry, Case, CaseEvent, Notification
from yiwang.services.actions.applications import (
    do_act,
    do_apply,
    do_open_material,
    do_window_intake,
)
from yiwang.services.models import Application, Material

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
FOOD_FORM = {
    "legal_rep": "李四",
    "address": "武陟县木城镇建设路 8 号",
    "main_form": "食品销售经营者",
    "items": "预包装食品销售",
    "area": "80",
    "phone": "13812345678",
}


def pdf(name: str = "场所证明.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _specs(item):
    return {m.name: m for m in item.materials.all()}


def _events(app) -> list[str]:
    return list(app.case.events.values_list("action", flat=True))


def test_full_online_case_through_every_state(food_item, enterprise_user, officials):
    specs = _specs(food_item)
    place = specs["经营场所使用证明"]
    licence_spec = specs["营业执照"]
    today = timezone.localdate()
    app = do_apply(
        actor=enterprise_user,
        item=food_item,
        form_data=FOOD_FORM,
        uploads={f"material_{place.pk}": pdf(), f"material_{licence_spec.pk}": pdf("执照.pdf")},
    )
    case = app.case
    assert app.number == case.number and case.state == "submitted"
    assert case.case_due == add_working_days(today, 10)[0]
    assert case.applicant == enterprise_user and case.department == food_item.department
    assert app.form_data["area"] == 80 and app.applicant_id_type == "001"
    # No business licence held: the upload was stored with its digest.
    stored = {m.name: m for m in app.materials.all()}
    assert stored["营业执照"].source == "upload" and stored["营业执照"].sm3 == sm3_hex(PDF)
    assert do_open_material(actor=enterprise_user, material=stored["营业执照"]) == PDF

    do_act(
        actor=officials.clerk,
        application=app,
        action="request_correction",
        comment="场所证明不清晰",
    )
    app.refresh_from_db()
    assert app.case.state == "correction" and app.outcome == ""
    # The applicant resubmits with a new file; the newest material per spec is current.
    do_act(
        actor=enterprise_user,
        application=app,
        action="resubmit",
        uploads={f"material_{place.pk}": pdf("新证明.pdf", PDF + b"%v2\n")},
    )
    app.refresh_from_db()
    assert app.case.state == "submitted"
    assert app.materials.filter(spec=place).count() == 2
    do_act(actor=officials.clerk, application=app, action="accept")
    do_act(actor=officials.approver, application=app, action="review")
    app.refresh_from_db()
    assert app.case.state == "deciding"
    do_act(actor=officials.approver, application=app, action="approve", comment="符合条件")
    app.refresh_from_db()
    assert app.case.state == "completed" and app.outcome == "approved"
    assert app.completed_at == app.case.closed_at
    assert app.licence_identifier.startswith("1.2.156.3005.2.")
    assert _events(app) == [
        "start",
        "request_correction",
        "resubmit",
        "accept",
        "review",
        "approve",
    ]
    from yiwang.licences.public import find_valid_licence

    licence = find_valid_licence(holder_id=enterprise_user.credit_code, type_code="food_business")
    assert licence.identifier == app.licence_identifier
    assert licence.issuer == food_item.department and licence.data["items"] == "预包装食品销售"
    titles = list(Notification.objects.filter(user=enterprise_user).values_list("title", flat=True))
    assert any("已提交" in t for t in titles) and any("补正" in t for t in titles)
    assert any("已办结" in t and "准予" in t for t in titles)
    assert AuditEntry.objects.filter(
        action="services.application.submit", object_id=str(app.pk)
    ).exists()
    with pytest.raises(ValidationError):
        do_act(actor=officials.approver, application=app, action="approve")


def test_full_window_case_for_another_department(food_item, officials, enterprise_user):
    """A clerk of the service hall (big_data) takes in a market item: the platform starts
    the case, the clerk is recorded, the applicant's account is linked."""
    specs = _specs(food_item)
    today = timezone.localdate()
    app = do_window_intake(
        actor=officials.hall_clerk,
        item=food_item,
        applicant_name="焦作示例科技有限公司",
        applicant_id_type="001",
        applicant_id_number=enterprise_user.credit_code.lower(),
        phone="13912345678",
        form_data=FOOD_FORM,
        uploads={f"material_{specs['经营场所使用证明'].pk}": pdf()},
        received=[specs["营业执照"].pk],
    )
    assert app.channel == "window" and app.clerk == officials.hall_clerk
    assert app.applicant == enterprise_user and app.case.applicant == enterprise_user
    assert app.case.case_due == add_working_days(today, 10)[0]
    start = app.case.events.get(action="start")
    assert start.actor is None and str(officials.hall_clerk) in start.comment
    assert AuditEntry.objects.get(action="services.application.window_intake").actor == (
        officials.hall_clerk
    )
    sources = dict(app.materials.values_list("name", "source"))
    assert sources == {"营业执照": "window", "经营场所使用证明": "window"}
    # The hall clerk cannot accept for the market department…
    with pytest.raises(ValidationError):
        do_act(actor=officials.hall_clerk, application=app, action="accept")
    do_act(actor=officials.clerk, application=app, action="request_correction", comment="补充照片")
    # …but resubmits for the applicant they took in, named in the history.
    do_act(
        actor=officials.hall_clerk,
        application=app,
        action="resubmit",
        uploads={f"material_{specs['经营场所使用证明'].pk}": pdf("补.pdf", PDF + b"2")},
    )
    resubmit = app.case.events.get(action="resubmit")
    assert resubmit.actor is None and str(officials.hall_clerk) in resubmit.comment
    for actor, action in (
        (officials.clerk, "accept"),
        (officials.approver, "review"),
        (officials.approver, "approve"),
    ):
        do_act(actor=actor, application=app, action=action)
    app.refresh_from_db()
    assert app.outcome == "approved" and app.case.state == "completed" and app.licence_identifier
    assert _events(app) == [
        "start",
        "request_correction",
        "resubmit",
        "accept",
        "review",
        "approve",
    ]


def test_window_intake_without_account_and_refusal(make_item, make_staff):
    item = make_item("个体工商户登记（新办）", applicants="person", promised_days=5)
    clerk = make_staff("window_clerk", "410823", "big_data")
    approver = make_staff("approver", "410823", "market")
    app = do_window_intake(
        actor=clerk,
        item=item,
        applicant_name="王五",
        applicant_id_type="111",
        applicant_id_number="11010519491231002X",
        phone="",
        form_data={"shop_name": "王五小卖部", "area": "20"},
        uploads={},
        received=[item.materials.get().pk],
    )
    assert app.applicant is None and app.case.applicant is None
    do_act(actor=make_staff("window_clerk", "410823", "market"), application=app, action="accept")
    do_act(actor=approver, application=app, action="review")
    with pytest.raises(ValidationError):
        do_act(actor=approver, application=app, action="refuse")  # comment required
    do_act(actor=approver, application=app, action="refuse", comment="不符合条件")
    app.refresh_from_db()
    assert app.outcome == "refused" and app.completed_at is not None


def test_applicant_withdraws(make_item, citizen):
    item = make_item("居住证签注", applicants="person", line="public_security")
    app = do_apply(
        actor=citizen,
        item=item,
        form_data={"shop_name": "无", "area": 1},
        uploads={f"material_{item.materials.get().pk}": pdf()},
    )
    do_act(actor=citizen, application=app, action="withdraw", comment="不再需要")
    app.refresh_from_db()
    assert app.outcome == "withdrawn" and app.case.state == "withdrawn"


# --- 免证可办 ---


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
            "entity_type": "有限责任公司",
            "legal_rep": "李四",
            "established": "2020-01-01",
            "address": "焦作市解放区",
        },
    )


def test_material_satisfied_by_valid_licence_is_not_asked(
    food_item, enterprise_user, business_licence
):
    specs = _specs(food_item)
    app = do_apply(
        actor=enterprise_user,
        item=food_item,
        form_data=FOOD_FORM,
        uploads={f"material_{specs['经营场所使用证明'].pk}": pdf()},
    )
    m = app.materials.get(spec=specs["营业执照"])
    assert m.source == Material.Source.LICENCE and not m.file
    assert m.reference == business_licence.identifier


def test_revoked_licence_does_not_satisfy(food_item, enterprise_user, business_licence):
    from yiwang.licences.actions import do_change_status

    do_change_status(actor=None, licence=business_licence, action="revoke", reason="登记撤销")
    specs = _specs(food_item)
    with pytest.raises(ValidationError) as err:
        do_apply(
            actor=enterprise_user,
            item=food_item,
            form_data=FOOD_FORM,
            uploads={f"material_{specs['经营场所使用证明'].pk}": pdf()},
        )
    assert err.value.message_dict == {f"material_{specs['营业执照'].pk}": ["请上传「营业执照」。"]}
    assert not Application.objects.exists() and not Case.objects.exists()


def test_registry_fact_satisfies_material(make_item, citizen, registry):
    item = make_item(
        "老年人优待证办理",
        applicants="person",
        line="civil_affairs",
        materials=[{"name": "户口簿", "registry_fact": "person"}],
    )
    # Not in the person registry yet: the form asks for an upload.
    with pytest.raises(ValidationError):
        do_apply(actor=citizen, item=item, form_data={"shop_name": "x", "area": 1}, uploads={})
    record = registry("person", {"id_number": citizen.id_number, "name": "张三"})
    app = do_apply(actor=citizen, item=item, form_data={"shop_name": "x", "area": 1}, uploads={})
    m = app.materials.get()
    assert m.source == "registry" and m.reference == f"person:{record.pk}@v{record.version}"


# --- bad input: clear errors, nothing saved ---


def _nothing_saved():
    assert not Application.objects.exists()
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
    assert not Material.objects.exists()


def test_missing_and_invalid_fields(food_item, enterprise_user):
    specs = _specs(food_item)
    form = {**FOOD_FORM, "legal_rep": " ", "area": "-5", "phone": "12345", "main_form": "x"}
    with pytest.raises(ValidationError) as err:
        do_apply(
            actor=enterprise_user,
            item=food_item,
            form_data=form,
            uploads={f"material_{specs['营业执照'].pk}": pdf()},
        )
    errors = err.value.message_dict
    assert errors["legal_rep"] == ["请填写「法定代表人（负责人）」。"]
    assert errors["area"] == ["「经营面积（平方米）」不能小于 1。"]
    assert errors["phone"][0].startswith("「联系电话」：手机号码")
    assert errors["main_form"] == ["「主体业态」不是可选的取值。"]
    assert errors[f"material_{specs['经营场所使用证明'].pk}"] == ["请上传「经营场所使用证明」。"]
    _nothing_saved()


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 60, "bad_type"),  # an .exe renamed .pdf
        ("photo.pdf", PNG, "bad_type"),  # a PNG named .pdf
        ("scan.docx", PDF, "bad_type"),  # a PDF named .docx
        ("empty.pdf", b"", "empty"),
    ],
)
def test_forbidden_file_types(food_item, enterprise_user, name, data, code):
    specs = _specs(food_item)
    key = f"material_{specs['经营场所使用证明'].pk}"
    with pytest.raises(ValidationError) as err:
        do_apply(
            actor=enterprise_user,
            item=food_item,
            form_data=FOOD_FORM,
            uploads={key: pdf(name, data), f"material_{specs['营业执照'].pk}": pdf()},
        )
    assert list(err.value.message_dict) == [key]
    assert "经营场所使用证明" in err.value.message_dict[key][0]
    _nothing_saved()


def test_png_jpeg_and_ofd_are_accepted(food_item, enterprise_user):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("OFD.xml", "<ofd:OFD/>")
    specs = _specs(food_item)
    app = do_apply(
        actor=enterprise_user,
        item=food_item,
        form_data=FOOD_FORM,
        uploads={
            f"material_{specs['经营场所使用证明'].pk}": SimpleUploadedFile("a.ofd", buf.getvalue()),
            f"material_{specs['营业执照'].pk}": SimpleUploadedFile("b.PNG", PNG),
        },
    )
    types = dict(app.materials.values_list("name", "content_type"))
    assert types == {"营业执照": "image/png", "经营场所使用证明": "application/ofd"}
    # A ZIP without OFD.xml is not an OFD.
    buf2 = io.BytesIO()
    with zipfile.ZipFile(buf2, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(ValidationError):
        do_apply(
            actor=enterprise_user,
            item=food_item,
            form_data=FOOD_FORM,
            uploads={
                f"material_{specs['经营场所使用证明'].pk}": SimpleUploadedFile(
                    "c.ofd", buf2.getvalue()
                ),
                f"material_{specs['营业执照'].pk}": pdf(),
            },
        )


def test_oversized_upload(food_item, enterprise_user, settings):
    settings.YIWANG = {**settings.YIWANG, "SERVICES_UPLOAD_MAX_BYTES": 1024}
    specs = _specs(food_item)
    key = f"material_{specs['经营场所使用证明'].pk}"
    with pytest.raises(ValidationError) as err:
        do_apply(
            actor=enterprise_user,
            item=food_item,
            form_data=FOOD_FORM,
            uploads={
                key: pdf("big.pdf", PDF + b"0" * 2000),
                f"material_{specs['营业执照'].pk}": pdf(),
            },
        )
    assert "文件过大" in err.value.message_dict[key][0]
    _nothing_saved()


def test_item_not_eligible(make_item, food_item, citizen, enterprise_user):
    with pytest.raises(ValidationError) as err:
        do_apply(actor=citizen, item=food_item, form_data=FOOD_FORM, uploads={})
    assert err.value.code == "wrong_kind" and "个人不能申请" in err.value.messages[0]
    offline = make_item(
        "建筑工程施工许可", applicants="entity", online=False, place="武陟县政务服务中心"
    )
    with pytest.raises(ValidationError) as err:
        do_apply(actor=enterprise_user, item=offline, form_data={}, uploads={})
    assert err.value.code == "not_online" and "武陟县政务服务中心" in err.value.messages[0]
    draft = make_item("草稿事项", status="draft")
    with pytest.raises(ValidationError) as err:
        do_apply(actor=enterprise_user, item=draft, form_data={}, uploads={})
    assert err.value.code == "not_eligible"
    _nothing_saved()


def test_staff_cannot_apply_online_and_window_needs_clerk(food_item, officials, make_staff):
    with pytest.raises(PermissionDenied):
        do_apply(actor=officials.approver, item=food_item, form_data=FOOD_FORM, uploads={})
    with pytest.raises(PermissionDenied):
        do_window_intake(
            actor=officials.approver,
            item=food_item,
            applicant_name="x",
            applicant_id_type="001",
            applicant_id_number="x",
            phone="",
            form_data={},
            uploads={},
        )


def test_window_intake_reports_every_bad_field(food_item, officials):
    with pytest.raises(ValidationError) as err:
        do_window_intake(
            actor=officials.hall_clerk,
            item=food_item,
            applicant_name="",
            applicant_id_type="001",
            applicant_id_number="91410800MA3XYW12X0",
            phone="123",
            form_data={**FOOD_FORM, "legal_rep": ""},
            uploads={},
        )
    errors = err.value.message_dict
    assert {"applicant_name", "applicant_id_number", "applicant_phone", "legal_rep"} <= set(errors)
    _nothing_saved()


def test_acting_on_someone_elses_case(food_item, enterprise_user, citizen, officials, make_staff):
    from yiwang.core.actions.users import do_create_enterprise
    from yiwang.core.identifiers import make_credit_code

    specs = _specs(food_item)
    app = do_apply(
        actor=enterprise_user,
        item=food_item,
        form_data=FOOD_FORM,
        uploads={f"material_{s.pk}": pdf() for s in specs.values()},
    )
    other = do_create_enterprise(
        actor=None,
        username="qiye2",
        enterprise_name="另一家公司",
        credit_code=make_credit_code("91", "410800", "MA3XYW99"),
        full_name="赵六",
        password=None,
        validate=False,
    )
    for actor in (other, citizen, officials.boai):
        with pytest.raises(Http404):
            do_act(actor=actor, application=app, action="withdraw", comment="x")
        with pytest.raises(Http404):
            do_open_material(actor=actor, material=app.materials.first())
    # A visible case without the role: refused with the role named, nothing moved.
    admin = make_staff("dept_admin", "410823", "market")
    with pytest.raises(ValidationError) as err:
        do_act(actor=admin, application=app, action="accept")
    assert err.value.code == "role_missing"
    app.refresh_from_db()
    assert app.case.state == "submitted" and list(
        app.case.events.values_list("action", flat=True)
    ) == ["start"]


def test_approval_undone_when_the_licence_cannot_be_signed(
    make_item, licence_types, enterprise_user, make_staff
):
    """博爱's market bureau has no usable e-seal: approving cannot issue the licence, so
    the approval is refused with the reason and the case still waits for a decision."""
    from yiwang.licences.actions import do_disable_seal
    from yiwang.licences.models import Seal
    from yiwang.services.tests.conftest import FOOD_FIELDS

    for seal in Seal.objects.filter(owner__code="410822-market"):
        do_disable_seal(actor=None, seal=seal, reason="印章损毁重制")

    item = make_item(
        "食品经营许可（新办）",
        division="410822",
        applicants="entity",
        licence_type_code="food_business",
        form_fields=FOOD_FIELDS,
        materials=[],
    )
    app = do_apply(actor=enterprise_user, item=item, form_data=FOOD_FORM, uploads={})
    approver = make_staff("approver", "410822", "market")
    do_act(actor=make_staff("window_clerk", "410822", "market"), application=app, action="accept")
    do_act(actor=approver, application=app, action="review")
    with pytest.raises(ValidationError) as err:
        do_act(actor=approver, application=app, action="approve")
    assert "没有可用的电子印章" in err.value.messages[0]
    app.refresh_from_db()
    assert app.case.state == "deciding" and app.outcome == "" and not app.licence_identifier
