"""消息通知: in-app messages, channel deliveries with retries, the messages page."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from yiwang.core.actions.notify import do_notify
from yiwang.core.models import AuditEntry, Delivery, Notification
from yiwang.core.notify.channels import Channel, ChannelError
from yiwang.core.tasks import send_delivery


class BrokenChannel(Channel):
    """A channel whose gateway is down."""

    name = "sms"

    def can_reach(self, user) -> bool:
        return True

    def send(self, user, notification) -> None:
        raise ChannelError("网关不可用")


@pytest.fixture
def reachable(citizen):
    citizen.email = "zhangsan@example.cn"
    citizen.save(update_fields=["email"])
    return citizen


def test_notify_creates_message_and_deliveries_and_queues_them(
    reachable, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = do_notify(
            actor=None, user=reachable, title="办件已受理", body="请留意进度", url="/x/"
        )
    assert Notification.objects.get() == note
    assert sorted(note.deliveries.values_list("channel", flat=True)) == ["email", "sms"]
    queued = DBTaskResult.objects.filter(task_path="yiwang.core.tasks.send_delivery")
    assert queued.count() == 2
    assert AuditEntry.objects.filter(action="core.notification.send").exists()


def test_only_reachable_channels_get_a_delivery(make_staff):
    staff = make_staff("window_clerk")  # no email, no phone
    note = do_notify(actor=None, user=staff, title="t")
    assert not note.deliveries.exists()


def test_delivery_task_sends_email_and_logs_masked_sms(reachable, caplog):
    note = do_notify(actor=None, user=reachable, title="办件已受理", body="正文")
    email = note.deliveries.get(channel="email")
    sms = note.deliveries.get(channel="sms")
    assert send_delivery.call(email.pk) == "sent"
    assert mail.outbox[-1].to == ["zhangsan@example.cn"]
    assert mail.outbox[-1].subject == "办件已受理"
    with caplog.at_level("INFO", logger="yiwang.notify"):
        assert send_delivery.call(sms.pk) == "sent"
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
    assert send_delivery.call(email.pk) == "sent"  # already sent: not sent twice
    assert len(mail.outbox) == 1


def test_failed_delivery_is_retried_then_marked_failed(reachable, settings):
    settings.YIWANG = {
        **settings.YIWANG,
        "NOTIFY_CHANNELS": {"sms": f"{__name__}.BrokenChannel"},
        "NOTIFY_MAX_ATTEMPTS": 2,
    }
    note = do_notify(actor=None, user=reachable, title="t", channels=("sms",))
    d = note.deliveries.get()
    assert send_delivery.call(d.pk) == "pending"
    d.refresh_from_db()
    assert (d.attempts, d.status, d.error) == (1, "pending", "ChannelError: 网关不可用")
    retry = DBTaskResult.objects.filter(task_path="yiwang.core.tasks.send_delivery").latest(
        "enqueued_at"
    )
    assert retry.run_after is not None and retry.args_kwargs["args"] == [d.pk]
    assert send_delivery.call(d.pk) == "failed"
    d.refresh_from_db()
    assert (d.attempts, d.status) == (2, Delivery.Status.FAILED)


def test_messages_page_unread_count_and_mark_read(client, reachable):
    do_notify(actor=None, user=reachable, title="第一条", channels=())
    do_notify(actor=None, user=reachable, title="第二条", channels=())
    client.force_login(reachable)
    page = client.get("/messages/").content.decode()
    assert "第一条" in page and "第二条" in page
    assert 'id="unread-count"' in page and ">2</span>" in page
    first = Notification.objects.get(title="第一条")
    assert client.post("/messages/", {"id": first.pk}).status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    page = client.get("/messages/").content.decode()
    assert ">1</span>" in page
    client.post("/messages/", {"all": "1"})
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert 'id="unread-count"' not in client.get("/messages/").content.decode()


def test_cannot_mark_someone_elses_message(client, reachable, make_staff):
    note = do_notify(actor=None, user=reachable, title="私信", channels=())
    other = make_staff("window_clerk")
    client.force_login(other)
    client.post("/messages/", {"id": note.pk})
    note.refresh_from_db()
    assert note.read_at is None
    assert "私信" not in client.get("/messages/").content.decode()


def test_notify_many_inserts_in_bulk_and_sends_the_batch(
    reachable, make_staff, django_capture_on_commit_callbacks
):
    from yiwang.core.actions.notify import do_notify_many
    from yiwang.core.tasks import send_deliveries

    silent = make_staff("window_clerk")  # no email, no phone: in-app only
    with django_capture_on_commit_callbacks(execute=True):
        notes = do_notify_many(actor=None, users=[reachable, silent], title="暴雨预警", body="注意")
    assert [n.user for n in notes] == [reachable, silent]
    assert Notification.objects.filter(title="暴雨预警").count() == 2
    assert sorted(Delivery.objects.values_list("channel", flat=True)) == ["email", "sms"]
    queued = DBTaskResult.objects.filter(task_path="yiwang.core.tasks.send_deliveries")
    assert queued.count() == 1  # one task for the batch, not one per delivery
    entry = AuditEntry.objects.get(action="core.notification.send_many")
    assert entry.change["users"] == [reachable.pk, silent.pk]
    ids = list(Delivery.objects.values_list("pk", flat=True))
    assert send_deliveries.call(ids) == {"sent": 2}
    assert mail.outbox[-1].subject == "暴雨预警"


def test_a_mark_read_post_naming_no_message_marks_nothing(client, reachable):
    # The buttons carry nothing typed: an odd post returns to the list (no form to
    # re-render) and marks nothing.
    do_notify(actor=None, user=reachable, title="第三条", channels=())
    client.force_login(reachable)
    for odd in ({"id": "abc"}, {"id": "-1"}, {"id": "99999999999999999999"}, {}):
        assert client.post("/messages/", odd).status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
