"""办件进度短信: each step of an application (受理, 补正, 办结) reaches the applicant by
SMS through the configured SMS backend, in plain words; switched off in 个人中心, only
the in-app message (and email) go."""

from __future__ import annotations

import pytest

from yiwang.core.models import Delivery
from yiwang.core.notify import sms
from yiwang.core.tasks import send_delivery
from yiwang.services.actions.applications import do_act, do_apply
from yiwang.services.tests.test_applications import FOOD_FORM, pdf


@pytest.fixture(autouse=True)
def _sms_outbox(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.YIWANG = {**settings.YIWANG, "SMS_BACKEND": "locmem"}
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _send_pending() -> list[str]:
    for pk in Delivery.objects.filter(channel="sms", status="pending").values_list("pk", flat=True):
        send_delivery.call(pk)
    return [m.text for m in sms.outbox]


def _apply(food_item, enterprise_user):
    enterprise_user.phone = "13900001111"
    enterprise_user.save()
    place = food_item.materials.get(name="经营场所使用证明")
    licence = food_item.materials.get(name="营业执照")
    return do_apply(
        actor=enterprise_user,
        item=food_item,
        form_data=FOOD_FORM,
        uploads={f"material_{place.pk}": pdf(), f"material_{licence.pk}": pdf("执照.pdf")},
    )


def test_each_step_is_sent_by_sms_in_plain_words(food_item, enterprise_user, officials):
    app = _apply(food_item, enterprise_user)
    do_act(
        actor=officials.clerk,
        application=app,
        action="request_correction",
        comment="场所证明不清晰",
    )
    texts = _send_pending()
    assert texts[0].startswith("您的申请已提交：食品经营许可（新办）")
    assert texts[1] == "您的申请需要补正材料：食品经营许可（新办）。场所证明不清晰"
    place = food_item.materials.get(name="经营场所使用证明")
    do_act(
        actor=enterprise_user,
        application=app,
        action="resubmit",
        uploads={f"material_{place.pk}": pdf("新证明.pdf")},
    )
    do_act(actor=officials.clerk, application=app, action="accept")
    do_act(actor=officials.approver, application=app, action="review")
    do_act(actor=officials.approver, application=app, action="approve", comment="符合条件")
    texts = _send_pending()
    assert "您的申请已受理：食品经营许可（新办）" in texts
    assert any(t.startswith("您的办件已办结：食品经营许可（新办）（准予）") for t in texts)
    assert all(m.phone == "13900001111" for m in sms.outbox)
    for text in texts:  # no internal codes: states and actions in words
        assert "request_correction" not in text and "reviewing" not in text


def test_switched_off_in_my_space_no_sms_but_the_message(
    client, food_item, enterprise_user, officials
):
    client.force_login(enterprise_user)
    page = client.get("/services/me/notices/")
    assert page.status_code == 200 and "办件进度短信提醒" in page.content.decode()
    done = client.post("/services/me/notices/", {"progress_sms": "off"}, follow=True)
    assert "已关闭办件进度短信提醒" in done.content.decode()
    app = _apply(food_item, enterprise_user)
    do_act(actor=officials.clerk, application=app, action="accept")
    assert _send_pending() == []
    assert enterprise_user.notifications.filter(title__startswith="您的申请已受理").exists()
    client.post("/services/me/notices/", {"progress_sms": "on"})
    do_act(actor=officials.approver, application=app, action="review")
    assert len(_send_pending()) == 1


def test_the_citizens_space_links_bookings_and_sms_settings(client, citizen):
    client.force_login(citizen)
    html = client.get("/me/").content.decode()
    assert "/services/me/bookings/" in html and "/services/me/notices/" in html
