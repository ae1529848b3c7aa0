"""Key management (密钥管理): key ring from the environment or key files, `keys init`,
`keys status`, and SM4 key rotation with batched re-encryption."""

from __future__ import annotations

import base64
import datetime as dt
import json
import stat
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from yiwang.core import crypto, keys, signing
from yiwang.core.actions import keys as key_actions
from yiwang.core.actions.users import do_create_citizen
from yiwang.core.fields import index_bytes, index_for
from yiwang.core.identifiers import make_id_number
from yiwang.core.models import AuditEntry, Department, User

K1 = "00112233445566778899aabbccddeeff"
K2 = "ffeeddccbbaa99887766554433221100"
INDEX = "ab" * 32


@pytest.fixture
def fresh_keys(settings, tmp_path):
    """A key directory of this test's own: rotation must not leak into other tests."""
    settings.YIWANG_KEY_DIR = tmp_path / "keys"
    keys.keyring.cache_clear()
    return settings.YIWANG_KEY_DIR


def raw(model, field: str, pk) -> str:
    qn = connection.ops.quote_name
    column = model._meta.get_field(field).column
    with connection.cursor() as cur:
        cur.execute(f"SELECT {qn(column)} FROM {qn(model._meta.db_table)} WHERE id = %s", [pk])
        return cur.fetchone()[0]


def set_raw(model, field: str, pk, value: str) -> None:
    qn = connection.ops.quote_name
    column = model._meta.get_field(field).column
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {qn(model._meta.db_table)} SET {qn(column)} = %s WHERE id = %s", [value, pk]
        )


def make_citizens(n: int) -> list[User]:
    return [
        do_create_citizen(
            actor=None,
            username=f"citizen{i}",
            full_name=f"居民{i}",
            id_number=make_id_number("410823", dt.date(1980, 1, 1) + dt.timedelta(days=i), i),
            phone=f"1391234{i:04d}",
            password=None,
            validate=False,
        )
        for i in range(n)
    ]


# --- key ring from the environment ---


def test_env_key_ring(monkeypatch):
    monkeypatch.setenv("YIWANG_SM4_KEYS", f"1:{K1}, 2:{K2}")
    monkeypatch.setenv("YIWANG_INDEX_KEY", INDEX)
    keys.keyring.cache_clear()
    ring = keys.keyring()
    assert ring.sm4 == {1: bytes.fromhex(K1), 2: bytes.fromhex(K2)}
    assert ring.active == 2  # the highest version unless told otherwise
    assert ring.index_key == bytes.fromhex(INDEX)
    monkeypatch.setenv("YIWANG_SM4_ACTIVE", "1")
    keys.keyring.cache_clear()
    assert keys.keyring().active == 1
    assert crypto.encrypt_field("x", "t.T.f").startswith("sm4:v1:")


@pytest.mark.parametrize(
    ("sm4", "index", "active", "message"),
    [
        (f"1:{K1[:-2]}", INDEX, "", "16 字节"),
        (f"1:{K1}00", INDEX, "", "16 字节"),
        ("1:zz" + K1[2:], INDEX, "", "十六进制"),
        (K1, INDEX, "", "版本号"),
        (f"0:{K1}", INDEX, "", "版本号"),
        (f"1:{K1},1:{K2}", INDEX, "", "重复"),
        (f"1:{K1}", "", "", "YIWANG_INDEX_KEY"),
        (f"1:{K1}", "abcd", "", "至少"),
        (f"1:{K1}", INDEX, "3", "不在密钥环中"),
        (f"1:{K1}", INDEX, "v1", "YIWANG_SM4_ACTIVE"),
    ],
)
def test_env_key_ring_errors(monkeypatch, sm4, index, active, message):
    monkeypatch.setenv("YIWANG_SM4_KEYS", sm4)
    monkeypatch.setenv("YIWANG_INDEX_KEY", index)
    monkeypatch.setenv("YIWANG_SM4_ACTIVE", active)
    keys.keyring.cache_clear()
    with pytest.raises(ImproperlyConfigured, match=message):
        keys.keyring()


def test_add_version_refused_when_keys_come_from_env(monkeypatch):
    monkeypatch.setenv("YIWANG_SM4_KEYS", f"1:{K1}")
    monkeypatch.setenv("YIWANG_INDEX_KEY", INDEX)
    with pytest.raises(ImproperlyConfigured, match="--reencrypt-only"):
        keys.add_sm4_version()


# --- key files ---


def test_development_key_file_is_created_owner_only(fresh_keys):
    ring = keys.keyring()
    path = fresh_keys / keys.KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ring.active == 1 and len(ring.active_key) == 16 and len(ring.index_key) == 32


def test_production_without_keys_refuses(fresh_keys, settings):
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match="keys init"):
        keys.keyring()
    assert not (fresh_keys / keys.KEY_FILE_NAME).exists()


def test_production_refuses_a_key_file_others_can_read(fresh_keys, settings):
    call_command("keys", "init", stdout=StringIO())
    (fresh_keys / keys.KEY_FILE_NAME).chmod(0o644)
    settings.PRODUCTION = True
    keys.keyring.cache_clear()
    with pytest.raises(ImproperlyConfigured, match="0600"):
        keys.keyring()


def test_keys_init_creates_files_and_never_overwrites(fresh_keys, settings):
    out = StringIO()
    call_command("keys", "init", stdout=out)
    names = {keys.KEY_FILE_NAME, keys.PLATFORM_SM2_FILE, keys.OIDC_RSA_FILE}
    assert {p.name for p in fresh_keys.iterdir()} == names
    for name in names:
        assert stat.S_IMODE((fresh_keys / name).stat().st_mode) == 0o600
    before = {name: (fresh_keys / name).read_bytes() for name in names}
    assert "已生成" in out.getvalue()

    again = StringIO()
    call_command("keys", "init", stdout=again)
    assert again.getvalue().count("已存在，未覆盖") == 3
    assert {name: (fresh_keys / name).read_bytes() for name in names} == before

    # The files it wrote are what production then loads.
    settings.PRODUCTION = True
    keys.keyring.cache_clear()
    data = json.loads(before[keys.KEY_FILE_NAME])
    assert keys.keyring().active_key == bytes.fromhex(data["sm4"]["1"])
    pem = before[keys.PLATFORM_SM2_FILE]
    assert crypto.load_sm2_private(pem) is not None


def test_stale_process_reads_a_newer_key_version(fresh_keys):
    """A process that cached the ring before rotation still reads values written after it."""
    keys.keyring()  # cached: only v1
    path = fresh_keys / keys.KEY_FILE_NAME
    data = json.loads(path.read_text())
    data["sm4"]["2"] = K2
    data["active"] = 2
    keys.write_private(path, json.dumps(data))
    blob = crypto.sm4_gcm_encrypt(bytes.fromhex(K2), b"13912345678", b"core.User.phone")
    stored = f"sm4:v2:{base64.b64encode(blob).decode()}"
    assert crypto.decrypt_field(stored, "core.User.phone") == "13912345678"


# --- rotation ---


@pytest.mark.django_db
def test_rotation_reencrypts_everything_and_keeps_it_readable(fresh_keys, city, make_staff):
    people = make_citizens(5)
    dept = city.department("410823", "market")
    key_actions.do_issue_department_key(actor=None, department=dept)
    dept.refresh_from_db()
    sig = signing.department_sign(dept, b"before rotation")
    assert all(raw(User, "id_number", p.pk).startswith("sm4:v1:") for p in people)
    indexes = set(User.objects.values_list("pk", "id_number_index", "phone_index"))

    out = StringIO()
    call_command("keys", "rotate", "--batch-size", "2", "--no-progress", stdout=out)
    assert keys.keyring().active == 2
    assert "v2" in out.getvalue()

    for p in people:
        stored = raw(User, "id_number", p.pk)
        assert stored.startswith("sm4:v2:")
        fresh = User.objects.get(pk=p.pk)
        assert fresh.id_number == p.id_number and fresh.phone == p.phone
        # Blind indexes use the index key: rotation leaves them valid.
        assert User.objects.get(id_number_index=index_for(User, "id_number", p.id_number)) == p
    # Each row's stored index was checked against its value and left as it was.
    assert set(User.objects.values_list("pk", "id_number_index", "phone_index")) == indexes
    dept.refresh_from_db()
    assert dept.sm2_private_enc.startswith("sm4:v2:")
    assert signing.department_verify(dept, signing.department_sign(dept, b"after"), b"after")
    assert signing.department_verify(dept, sig, b"before rotation")

    entries = {e.object_id: e for e in AuditEntry.objects.filter(action="core.keys.reencrypt")}
    assert entries["core.User"].change["reencrypted"] == 10  # 5 id numbers + 5 phones
    assert entries["core.Department"].change["reencrypted"] == 1
    assert AuditEntry.objects.filter(action="core.keys.rotate").count() == 1

    status = key_actions.key_status()
    assert status["active"] == 2
    assert status["columns"]["core.User.id_number"] == {
        "v1": 0,
        "v2": 5,
        "clear": 0,
        "other": 0,
        "column_bound": 0,
        "total": 5,
    }

    # A second run (re-encrypt only) finds nothing to do.
    result = key_actions.do_rotate_keys(actor=None, reencrypt_only=True)
    assert result.active == result.previous == 2
    assert all(c["reencrypted"] == 0 for c in result.models.values())


@pytest.mark.django_db
def test_old_values_stay_readable_mid_rotation(fresh_keys):
    people = make_citizens(6)
    keys.add_sm4_version()
    seen: list[tuple[int, int]] = []

    def progress(col, done):
        if col.label != "core.User.id_number":
            return
        versions = [crypto.field_version(raw(User, "id_number", p.pk)) for p in people]
        seen.append((versions.count(1), versions.count(2)))
        # Mixed versions: every row still reads back clear.
        assert [User.objects.get(pk=p.pk).id_number for p in people] == [
            p.id_number for p in people
        ]

    key_actions.do_reencrypt(actor=None, batch_size=2, progress=progress)
    assert seen == [(4, 2), (2, 4), (0, 6)]


@pytest.mark.django_db
def test_keys_status_counts_versions_and_clear_text(fresh_keys):
    people = make_citizens(3)
    set_raw(User, "phone", people[0].pk, "13900000000")  # legacy clear text, its own index
    set_raw(User, "phone_index", people[0].pk, index_bytes(index_for(User, "phone", "13900000000")))
    keys.add_sm4_version()
    do_create_citizen(
        actor=None,
        username="late",
        full_name="新用户",
        id_number=make_id_number("410822", dt.date(1990, 5, 6), 77),
        phone="13711112222",
        password=None,
        validate=False,
    )
    out = StringIO()
    call_command("keys", "status", stdout=out)
    text = out.getvalue()
    assert "当前 SM4 密钥版本：v2" in text
    phone_line = next(line for line in text.splitlines() if line.startswith("core.User.phone "))
    assert "v1=2" in phone_line and "v2=1" in phone_line and "明文=1" in phone_line

    js = StringIO()
    call_command("keys", "status", "--json", stdout=js)
    data = json.loads(js.getvalue())
    assert data["columns"]["core.User.phone"]["clear"] == 1
    assert data["columns"]["core.User.id_number"]["v1"] == 3
    assert data["columns"]["core.User.id_number"]["v2"] == 1
    assert "core.Department.sm2_private_enc" in data["columns"]

    # Rotation encrypts the legacy clear text too.
    call_command("keys", "rotate", "--reencrypt-only", "--no-progress", stdout=StringIO())
    assert raw(User, "phone", people[0].pk).startswith("sm4:v2:")
    assert User.objects.get(pk=people[0].pk).phone == "13900000000"


@pytest.mark.django_db
def test_concurrent_write_during_rotation_wins(fresh_keys, monkeypatch):
    people = make_citizens(3)
    keys.add_sm4_version()
    target = people[1]
    original = crypto.encrypt_many

    def racing(values, context, rows=None):
        new = original(values, context, rows)
        if context == "core.User.phone" and target.phone in values:
            # A writer saves a new phone number between our read and our update.
            target.phone = "13800001111"
            target.save(update_fields=["phone", "phone_index"])
        return new

    monkeypatch.setattr(crypto, "encrypt_many", racing)
    result = key_actions.do_reencrypt(actor=None, batch_size=10)
    assert result["core.User"]["skipped"] == 1
    assert User.objects.get(pk=target.pk).phone == "13800001111"


@pytest.mark.django_db
def test_tampered_value_is_reported_and_the_rest_rotates(fresh_keys):
    people = make_citizens(3)
    stored = raw(User, "phone", people[0].pk)
    set_raw(
        User, "phone", people[0].pk, stored[:-4] + ("AAAA" if stored[-4:] != "AAAA" else "BBBB")
    )
    keys.add_sm4_version()
    with pytest.raises(CommandError, match="无法解密"):
        call_command("keys", "rotate", "--reencrypt-only", "--no-progress", stdout=StringIO())
    assert raw(User, "phone", people[1].pk).startswith("sm4:v2:")
    assert raw(User, "phone", people[0].pk).startswith("sm4:v1:")
    entry = AuditEntry.objects.get(action="core.keys.reencrypt", object_id="core.User")
    assert entry.change["failed"] == 1


@pytest.mark.django_db
def test_rotation_needs_system_permission(fresh_keys, make_staff):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        key_actions.do_rotate_keys(actor=make_staff("approver"))
    assert keys.keyring().active == 1
    key_actions.do_rotate_keys(actor=make_staff("sysadmin"))
    assert keys.keyring().active == 2


def test_encrypted_columns_cover_every_encrypted_field():
    labels = {c.label for c in key_actions.encrypted_columns()}
    assert {
        "core.User.id_number",
        "core.User.phone",
        "core.User.totp_secret",
        "core.Department.sm2_private_enc",
    } <= labels
    dept = next(c for c in key_actions.encrypted_columns() if c.model is Department)
    assert dept.context == signing.DEPARTMENT_KEY_CONTEXT
