"""一件事一次办: one combined form, one application per item in its own department, the
bundle done only when every part is."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from yiwang.services.actions.applications import do_act
from yiwang.services.actions.bundles import bundle_status, combined_fields, do_apply_bundle
from yiwang.services.models import Application, Bundle, BundleApplication, BundleItem, Material

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def newborn(make_item):
    """新生儿出生一件事: 出生登记 (public security) and 社保卡申领 (human resources) in 武陟县;
    both ask the baby's name and the 户口簿."""
    shared = {"name": "baby_name", "label": "新生儿姓名", "type": "text", "required": True}
    hukou = make_item(
        "出生登记",
        line="public_security",
        applicants="person",
        form_fields=[
            shared,
            {"name": "birth_date", "label": "出生日期", "type": "date", "required": True},
        ],
        materials=[{"name": "户口簿"}, {"name": "出生医学证明"}],
        promised_days=3,
    )
    card = make_item(
        "社会保障卡申领",
        line="human_resources",
        applicants="person",
        form_fields=[
            {**shared, "required": False},
            {
                "name": "bank",
                "label": "开户银行",
                "type": "select",
                "required": True,
                "choices": [["icbc", "工商银行"], ["abc", "农业银行"]],
            },
        ],
        materials=[{"name": "户口簿"}],
        promised_days=5,
    )
    bundle = Bundle.objects.create(
        code="LIFE-BIRTH", name="新生儿出生一件事", kind="life", published=True
    )
    BundleItem.objects.create(bundle=bundle, item=hukou, position=1)
    BundleItem.objects.create(bundle=bundle, item=card, position=2)
    return bundle, hukou, card


def _files(hukou, card, **override):
    hk = hukou.materials.get(name="户口簿")
    cert = hukou.materials.get(name="出生医学证明")
    files = {
        f"material_{hk.pk}": SimpleUploadedFile("户口簿.pdf", PDF),
        f"material_{cert.pk}": SimpleUploadedFile("出生证.pdf", PDF + b"2"),
    }
    files.update(override)
    return files


FORM = {"baby_name": "张小三", "birth_date": "2026-11-20", "bank": "icbc"}


def test_combined_form_asks_each_field_once(newborn):
    bundle, _hukou, _card = newborn
    fields = combined_fields(bundle)
    assert [f["name"] for f in fields] == ["baby_name", "birth_date", "bank"]
    assert fields[0]["required"] is True


def test_bundle_fans_out_and_completes_only_when_both_parts_do(newborn, citizen, make_staff):
    bundle, hukou, card = newborn
    submission = do_apply_bundle(
        actor=citizen, bundle=bundle, form_data=FORM, uploads=_files(hukou, card)
    )
    parts = {a.item_id: a for a in submission.parts.select_related("case")}
    assert set(parts) == {hukou.pk, card.pk}
    a, b = parts[hukou.pk], parts[card.pk]
    assert a.case.department == hukou.department and b.case.department == card.department
    assert a.case.department != b.case.department
    assert a.form_data == {"baby_name": "张小三", "birth_date": "2026-11-20"}
    assert b.form_data == {"baby_name": "张小三", "bank": "icbc"}
    # The 户口簿 was uploaded once and serves both parts.
    hk_a = a.materials.get(name="户口簿")
    hk_b = b.materials.get(name="户口簿")
    assert hk_a.file.name == hk_b.file.name and hk_a.sm3 == hk_b.sm3 != ""
    assert bundle_status(submission)["label"] == "办理中"

    def approve(app, line):
        clerk = make_staff("window_clerk", "410823", line)
        approver = make_staff("approver", "410823", line)
        do_act(actor=clerk, application=app, action="accept")
        do_act(actor=approver, application=app, action="review")
        do_act(actor=approver, application=app, action="approve")

    approve(a, "public_security")
    submission.refresh_from_db()
    assert submission.completed_at is None
    assert bundle_status(submission) == {
        "code": "partial",
        "label": "部分办结",
        "done": 1,
        "total": 2,
    }
    approve(b, "human_resources")
    submission.refresh_from_db()
    assert submission.completed_at is not None
    assert bundle_status(submission)["label"] == "全部办结"
    a.refresh_from_db()
    b.refresh_from_db()
    assert submission.completed_at == max(a.completed_at, b.completed_at)


def test_refused_part_shows_and_bundle_still_completes(newborn, citizen, make_staff):
    bundle, hukou, card = newborn
    submission = do_apply_bundle(
        actor=citizen, bundle=bundle, form_data=FORM, uploads=_files(hukou, card)
    )
    a = submission.parts.get(item=hukou)
    clerk = make_staff("window_clerk", "410823", "public_security")
    do_act(actor=clerk, application=a, action="not_accept", comment="材料不全")
    submission.refresh_from_db()
    assert bundle_status(submission)["label"] == "有不予办理" and submission.completed_at is None
    b = submission.parts.get(item=card)
    do_act(actor=citizen, application=b, action="withdraw", comment="改日再办")
    submission.refresh_from_db()
    assert submission.completed_at is not None


def test_bad_bundle_input_saves_nothing(newborn, citizen, enterprise_user):
    bundle, hukou, card = newborn
    hk = hukou.materials.get(name="户口簿")
    with pytest.raises(ValidationError) as err:
        do_apply_bundle(
            actor=citizen,
            bundle=bundle,
            form_data={"baby_name": "", "birth_date": "2026-13-01", "bank": "cash"},
            uploads=_files(
                hukou, card, **{f"material_{hk.pk}": SimpleUploadedFile("x.pdf", b"MZ")}
            ),
        )
    errors = err.value.message_dict
    assert errors["baby_name"] == ["请填写「新生儿姓名」。"]
    assert "日期" in errors["birth_date"][0] and errors["bank"] == ["「开户银行」不是可选的取值。"]
    assert "户口簿" in errors[f"material_{hk.pk}"][0]
    with pytest.raises(ValidationError) as err:
        do_apply_bundle(
            actor=enterprise_user, bundle=bundle, form_data=FORM, uploads=_files(hukou, card)
        )
    assert err.value.code == "wrong_kind"
    assert not BundleApplication.objects.exists() and not Application.objects.exists()
    assert not Material.objects.exists()


def test_bundle_pages_and_api(newborn, citizen, client):
    bundle, hukou, card = newborn
    client.force_login(citizen)
    page = client.get(reverse("services:bundles")).content.decode()
    assert "新生儿出生一件事" in page
    form_page = client.get(reverse("services:bundle-apply", args=[bundle.code])).content.decode()
    assert form_page.count('name="baby_name"') == 1
    assert form_page.count('type="file"') == 2 and form_page.count("<strong>户口簿</strong>") == 1
    bad = client.post(reverse("services:bundle-apply", args=[bundle.code]), {"baby_name": ""})
    assert bad.status_code == 400 and "请填写「新生儿姓名」。" in bad.content.decode()
    assert not BundleApplication.objects.exists()
    response = client.post(
        reverse("services:bundle-apply", args=[bundle.code]), {**FORM, **_files(hukou, card)}
    )
    submission = BundleApplication.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("services:my-bundle", args=[submission.number])
    detail = client.get(response["Location"]).content.decode()
    assert "办理中" in detail and "出生登记" in detail and "社会保障卡申领" in detail
    api = client.get(f"/api/v1/services/bundles/applications/{submission.number}").json()
    assert api["status"] == "open" and len(api["parts"]) == 2
    listing = client.get("/api/v1/services/bundles").json()
    assert listing["items"][0]["code"] == "LIFE-BIRTH"
    fields = client.get("/api/v1/services/bundles/LIFE-BIRTH").json()
    assert [f["name"] for f in fields["fields"]] == ["baby_name", "birth_date", "bank"]
