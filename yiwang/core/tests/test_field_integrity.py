"""Encrypted values that do not decrypt (数据无法解密) and values moved between rows: a
broken ciphertext reads as a placeholder with an alarm and breaks no page, API or login;
a ciphertext or blind index copied into another row does not pass for that row's own."""

from __future__ import annotations

import datetime as dt
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from yiwang.core import alarms, crypto
from yiwang.core.actions import keys as key_actions
from yiwang.core.actions.users import do_create_citizen
from yiwang.core.errors import Invalid
from yiwang.core.fields import (
    Undecryptable,
    allocate_row_ids,
    assign_row_ids,
    bulk_update,
    index_for,
)
from yiwang.core.identifiers import make_id_number
from yiwang.core.models import AuditEntry, User

pytestmark = pytest.mark.django_db

PASSWORD = "Jz-test-pass-2026"
ZH = "数据无法解密"
EN = "data cannot be decrypted"
OTHER_ID = make_id_number("410823", dt.date(1980, 1, 1), 1)
LATER_ID = make_id_number("410823", dt.date(1990, 1, 1), 2)


def raw(model, field: str, pk) -> str:
    """The stored text of one column, read past the ORM (no decryption)."""
    qn = connection.ops.quote_name
    column = model._meta.get_field(field).column
    with connection.cursor() as cur:
        cur.execute(f"SELECT {qn(column)} FROM {qn(model._meta.db_table)} WHERE id = %s", [pk])
        return cur.fetchone()[0]


def set_raw(model, field: str, pk, value: str) -> None:
    """Write a column past the ORM, as someone with database access would."""
    qn = connection.ops.quote_name
    column = model._meta.get_field(field).column
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {qn(model._meta.db_table)} SET {qn(column)} = %s WHERE id = %s", [value, pk]
        )


def corrupt(model, field: str, pk) -> str:
    """Flip the last byte of a stored ciphertext; returns the corrupted stored text."""
    stored = raw(model, field, pk)
    broken = stored[:-4] + ("AAAA" if stored[-4:] != "AAAA" else "BBBB")
    set_raw(model, field, pk, broken)
    return broken


def alarm_entries():
    alarms.flush()
    return list(AuditEntry.objects.filter(action="core.alarm.undecryptable").order_by("id"))


@pytest.fixture
def other_citizen(db):
    return do_create_citizen(
        actor=None,
        username="lisi",
        full_name="李四",
        id_number=OTHER_ID,
        password=PASSWORD,
        phone="13900001111",
        validate=False,
    )


# --- a value that does not decrypt (item: one broken ciphertext breaks nothing) ---


def test_broken_value_reads_as_placeholder_and_alarms_once(citizen):
    broken = corrupt(User, "phone", citizen.pk)
    for _ in range(5):  # read again and again: still one alarm
        user = User.objects.get(pk=citizen.pk)
        assert user.phone == ZH and isinstance(user.phone, Undecryptable)
        assert user.id_number == "11010519491231002X"  # the row's other values still read
    assert list(User.objects.filter(pk=citizen.pk).values_list("phone", flat=True)) == [ZH]
    [entry] = alarm_entries()
    assert entry.object_type == "core.user" and entry.object_id == str(citizen.pk)
    assert entry.actor is None and entry.change["count"] == 1
    [detail] = entry.change["objects"]
    assert detail["column"] == "core.User.phone" and detail["stored"] == broken
    assert detail["stored_sm3"] == crypto.sm3_hex(broken.encode())


def test_auditors_find_the_alarm_on_the_audit_page(client, citizen, make_staff):
    corrupt(User, "phone", citizen.pk)
    assert isinstance(User.objects.get(pk=citizen.pk).phone, Undecryptable)
    alarms.flush()
    client.force_login(make_staff("auditor"))
    page = client.get(reverse("core:audit-search"), {"action": "core.alarm"})
    assert page.status_code == 200 and "core.alarm.undecryptable" in page.content.decode()


def test_many_broken_rows_make_one_alarm_entry(citizen, other_citizen):
    corrupt(User, "phone", citizen.pk)
    corrupt(User, "phone", other_citizen.pk)
    assert sorted(User.objects.values_list("phone", flat=True)) == [ZH, ZH]
    [entry] = alarm_entries()
    assert entry.object_id == "*" and entry.change["count"] == 2
    assert {o["id"] for o in entry.change["objects"]} == {str(citizen.pk), str(other_citizen.pk)}


def test_staff_list_and_admin_pages_show_the_placeholder(client, make_staff):
    admin = make_staff("dept_admin", "410800", "big_data", username="boss")
    member = make_staff("approver", "410800", "big_data", phone="13700002222")
    corrupt(User, "phone", member.pk)
    client.force_login(admin)
    page = client.get(reverse("core:staff-list"))
    assert page.status_code == 200 and ZH in page.content.decode()
    english = client.get(reverse("core:staff-list"), HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200

    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    client.force_login(User.objects.get(pk=admin.pk))
    listing = client.get(reverse("admin:core_user_changelist"))
    assert listing.status_code == 200 and ZH in listing.content.decode()
    detail = client.get(reverse("admin:core_user_change", args=[member.pk]))
    assert detail.status_code == 200
    assert len(alarm_entries()) >= 1


def test_citizen_pages_api_and_login_survive_broken_values(client, citizen):
    corrupt(User, "id_number", citizen.pk)
    corrupt(User, "phone", citizen.pk)
    response = client.post(
        reverse("web:login"), {"username": citizen.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:citizen")
    home = client.get(reverse("web:citizen"))
    assert home.status_code == 200 and ZH in home.content.decode()
    assert client.get(reverse("core:account")).status_code == 200
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["id_number"] == ZH and me.json()["phone"] == ZH
    client.cookies["django_language"] = "en"
    assert EN in client.get(reverse("web:citizen")).content.decode()
    assert client.get("/api/v1/me").json()["phone"] == EN
    [entry] = alarm_entries()
    assert {o["column"] for o in entry.change["objects"]} == {
        "core.User.id_number",
        "core.User.phone",
    }


def test_broken_totp_secret_refuses_the_code_without_failing(client, make_staff):
    import pyotp

    from yiwang.core.actions.identity import do_enable_totp
    from yiwang.core.identity import totp

    staff = make_staff("approver")
    secret = totp.new_secret()
    do_enable_totp(actor=staff, user=staff, secret=secret, code=pyotp.TOTP(secret).now())
    corrupt(User, "totp_secret", staff.pk)
    client.post(reverse("web:login"), {"username": staff.username, "password": PASSWORD})
    next_code = pyotp.TOTP(secret).at(time.time() + 30)  # valid, and not a replay
    answer = client.post(reverse("core:login_totp"), {"code": next_code})
    assert answer.status_code == 200  # refused on the page, not a 500, not let through
    assert "_auth_user_id" not in client.session


def test_saving_a_row_keeps_the_stored_value_it_cannot_read(citizen):
    broken = corrupt(User, "phone", citizen.pk)
    index = raw(User, "phone_index", citizen.pk)
    user = User.objects.get(pk=citizen.pk)
    user.full_name = "张三丰"
    user.save()
    assert raw(User, "phone", citizen.pk) == broken
    assert raw(User, "phone_index", citizen.pk) == index
    assert raw(User, "full_name", citizen.pk) == "张三丰"

    # A form that sent the placeholder back as text changes nothing either.
    user = User.objects.get(pk=citizen.pk)
    user.phone = ZH
    user.save(update_fields=["phone", "phone_index"])
    user.phone = EN
    user.save()
    assert raw(User, "phone", citizen.pk) == broken
    assert raw(User, "phone_index", citizen.pk) == index

    # A new value is a repair: written, and read back.
    user.phone = "13711112222"
    user.save()
    assert User.objects.get(pk=citizen.pk).phone == "13711112222"


def test_a_placeholder_assigned_to_another_row_keeps_that_rows_value(citizen, other_citizen):
    corrupt(User, "phone", citizen.pk)
    other = User.objects.get(pk=other_citizen.pk)
    other.phone = User.objects.get(pk=citizen.pk).phone  # the placeholder, not data
    other.save()
    assert User.objects.get(pk=other_citizen.pk).phone == "13900001111"


def test_the_placeholder_is_never_stored_as_data(db):
    user = User(username="fresh", kind=User.Kind.CITIZEN, phone=ZH)
    with pytest.raises(Invalid), transaction.atomic():
        user.save()
    assert not User.objects.filter(username="fresh").exists()


# --- values moved between rows (item: bind to the row, unforgeable blind indexes) ---


def test_ciphertext_copied_into_another_row_does_not_decrypt(citizen, other_citizen):
    set_raw(User, "id_number", other_citizen.pk, raw(User, "id_number", citizen.pk))
    moved = User.objects.get(pk=other_citizen.pk)
    assert moved.id_number != citizen.id_number
    assert isinstance(moved.id_number, Undecryptable)
    assert User.objects.get(pk=citizen.pk).id_number == citizen.id_number
    [entry] = alarm_entries()
    assert entry.object_id == str(other_citizen.pk)


def test_ciphertext_and_index_copied_together_do_not_decrypt(citizen, other_citizen):
    for field in ("phone", "phone_index"):
        set_raw(User, field, other_citizen.pk, raw(User, field, citizen.pk))
    moved = User.objects.get(pk=other_citizen.pk)
    assert moved.phone != citizen.phone and isinstance(moved.phone, Undecryptable)


def test_blind_index_copied_into_another_row_is_caught_on_read(citizen, other_citizen):
    """Only the index moved: the row's own ciphertext still opens, but its index is not
    the value's own — it reads as undecryptable and alarms."""
    set_raw(User, "phone_index", other_citizen.pk, raw(User, "phone_index", citizen.pk))
    found = list(User.objects.filter(phone_index=index_for(User, "phone", citizen.phone)))
    assert {u.pk for u in found} == {citizen.pk, other_citizen.pk}  # the lookup itself
    by_pk = {u.pk: u for u in found}
    assert by_pk[citizen.pk].phone == citizen.phone
    assert isinstance(by_pk[other_citizen.pk].phone, Undecryptable)
    assert "index" in alarm_entries()[0].change["objects"][0]["reason"]


def test_values_are_bound_to_their_rows_and_lookups_still_work(citizen, other_citizen):
    stored = raw(User, "id_number", citizen.pk)
    assert stored.startswith("sm4:v1:r:") and crypto.is_row_bound(stored)
    assert crypto.decrypt_field(stored, "core.User.id_number", str(citizen.pk)) == (
        citizen.id_number
    )
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_field(stored, "core.User.id_number", str(other_citizen.pk))
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_field(stored, "core.User.id_number")
    assert User.objects.get(id_number_index=index_for(User, "id_number", OTHER_ID)) == (
        other_citizen
    )
    assert dict(User.objects.filter(kind="citizen").values_list("username", "phone")) == {
        "zhangsan": "13812345678",
        "lisi": "13900001111",
    }


def test_column_bound_values_still_read_and_rotation_binds_them(citizen, settings):
    legacy = crypto.encrypt_field(citizen.phone, "core.User.phone")  # before row binding
    set_raw(User, "phone", citizen.pk, legacy)
    assert User.objects.get(pk=citizen.pk).phone == citizen.phone
    columns = key_actions.key_status()["columns"]
    assert columns["core.User.phone"]["column_bound"] == 1

    settings.YIWANG = {**settings.YIWANG, "FIELD_LEGACY_READ": False}
    assert isinstance(User.objects.get(pk=citizen.pk).phone, Undecryptable)
    settings.YIWANG = {**settings.YIWANG, "FIELD_LEGACY_READ": True}

    call_command("keys", "rotate", "--reencrypt-only", "--no-progress", stdout=StringIO())
    assert raw(User, "phone", citizen.pk).startswith("sm4:v1:r:")
    assert User.objects.get(pk=citizen.pk).phone == citizen.phone
    assert key_actions.key_status()["columns"]["core.User.phone"]["column_bound"] == 0


def test_rotation_refuses_to_bind_a_value_moved_from_another_row(citizen, other_citizen):
    """A column-bound value copied into another row before rotation: its blind index is
    not that row's, so rotation reports it rather than binding it to the wrong row."""
    legacy = crypto.encrypt_field(citizen.phone, "core.User.phone")
    set_raw(User, "phone", other_citizen.pk, legacy)
    result = key_actions.do_reencrypt(actor=None)
    assert result["core.User"]["failed"] == 1
    assert raw(User, "phone", other_citizen.pk) == legacy


def test_bulk_paths_bind_each_row(db):
    people = [
        User(username=f"bulk{i}", kind=User.Kind.CITIZEN, phone=f"1370000{i:04d}") for i in range(3)
    ]
    User.objects.bulk_create(people[:1])  # one by one: the key comes from the sequence
    assign_row_ids(people[1:])  # many: one query
    User.objects.bulk_create(people[1:])
    assert len({p.pk for p in people}) == 3
    for p in people:
        assert User.objects.get(pk=p.pk).phone == p.phone
    for p in people:
        p.phone = "138" + p.phone[3:]
    bulk_update(User.objects, people, ["phone", "phone_index"])
    for p in people:
        assert User.objects.get(phone_index=index_for(User, "phone", p.phone)).pk == p.pk
    # Each refusal in a savepoint of its own: the test's transaction stays usable.
    with pytest.raises(TypeError), transaction.atomic():
        User.objects.filter(pk=people[0].pk).update(phone="13800000000")
    with pytest.raises(TypeError), transaction.atomic():
        User.objects.bulk_update(people, ["phone"])
    with pytest.raises(ValueError, match="phone_index"), transaction.atomic():
        people[0].save(update_fields=["phone"])


def test_row_ids_are_drawn_ahead_without_collisions(citizen):
    drawn = allocate_row_ids(User, 3)
    assert drawn == sorted(drawn) and len(set(drawn)) == 3 and min(drawn) > citizen.pk
    later = do_create_citizen(
        actor=None,
        username="later",
        full_name="后来",
        id_number=LATER_ID,
        password=None,
        validate=False,
    )
    assert later.pk > max(drawn)
    assert User.objects.get(pk=later.pk).id_number == LATER_ID
