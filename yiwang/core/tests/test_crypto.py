"""National cryptography: standard vectors, SM4-GCM field encryption, encrypted columns,
blind indexes, SM2 signatures by the platform and by departments."""

from __future__ import annotations

import base64

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from yiwang.core import crypto, signing
from yiwang.core.actions.keys import do_issue_department_key
from yiwang.core.fields import index_for
from yiwang.core.keys import keyring
from yiwang.core.models import AuditEntry, Department, User

ID = "11010519491231002X"


def raw_column(model, field: str, pk) -> str:
    """The stored text of one column, read past the ORM (no decryption)."""
    table = model._meta.db_table
    column = model._meta.get_field(field).column
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(f"SELECT {qn(column)} FROM {qn(table)} WHERE id = %s", [pk])
        return cur.fetchone()[0]


def test_sm3_standard_vector():
    assert crypto.sm3_hex(b"abc") == (
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )
    assert crypto.sm3(b"abc").hex() == crypto.sm3_hex(b"abc")


def test_sm4_ecb_standard_vector():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    assert crypto.sm4_ecb_block(key, key).hex() == "681edf34d206965e86b3e94f536e4246"


def test_hmac_sm3_depends_on_key():
    assert crypto.hmac_sm3(b"k1", b"data") != crypto.hmac_sm3(b"k2", b"data")
    assert len(crypto.hmac_sm3(b"k1", b"data")) == 32


def test_sm4_gcm_round_trip_and_tamper_detection():
    key = bytes(range(16))
    blob = crypto.sm4_gcm_encrypt(key, "焦作市解放区".encode(), b"ctx")
    assert crypto.sm4_gcm_decrypt(key, blob, b"ctx").decode() == "焦作市解放区"
    flipped = bytearray(blob)
    flipped[crypto.NONCE_BYTES] ^= 0x01
    with pytest.raises(crypto.DecryptionError):
        crypto.sm4_gcm_decrypt(key, bytes(flipped), b"ctx")
    with pytest.raises(crypto.DecryptionError):
        crypto.sm4_gcm_decrypt(key, blob, b"other")
    with pytest.raises(crypto.DecryptionError):
        crypto.sm4_gcm_decrypt(key, blob[:10])


def test_field_encryption_round_trip_is_randomised_and_versioned():
    a = crypto.encrypt_field(ID, "core.User.id_number")
    b = crypto.encrypt_field(ID, "core.User.id_number")
    assert a != b and ID not in a
    assert a.startswith("sm4:v1:") and crypto.field_version(a) == 1
    assert crypto.decrypt_field(a, "core.User.id_number") == ID
    assert crypto.field_version("13812345678") is None


def test_flipped_stored_byte_fails():
    stored = crypto.encrypt_field(ID, "core.User.id_number")
    prefix, payload = stored.rsplit(":", 1)
    blob = bytearray(base64.b64decode(payload))
    blob[-1] ^= 0x80
    tampered = f"{prefix}:{base64.b64encode(bytes(blob)).decode()}"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_field(tampered, "core.User.id_number")


def test_value_moved_to_another_column_fails():
    stored = crypto.encrypt_field(ID, "core.User.id_number")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_field(stored, "core.User.phone")


def test_unknown_key_version_is_a_clear_error():
    stored = crypto.encrypt_field(ID, "core.User.id_number").replace("sm4:v1:", "sm4:v99:")
    with pytest.raises(crypto.DecryptionError, match="99"):
        crypto.decrypt_field(stored, "core.User.id_number")


@pytest.mark.django_db
def test_encrypted_field_stores_no_clear_text(citizen):
    stored_id = raw_column(User, "id_number", citizen.pk)
    stored_phone = raw_column(User, "phone", citizen.pk)
    assert stored_id.startswith("sm4:v1:") and ID not in stored_id
    assert stored_phone.startswith("sm4:v1:") and "13812345678" not in stored_phone
    fresh = User.objects.get(pk=citizen.pk)
    assert fresh.id_number == ID
    assert fresh.phone == "13812345678"


@pytest.mark.django_db
def test_ciphertext_looking_input_is_still_encrypted(citizen):
    """Input that merely looks like ``sm4:v1:…`` must not be planted in the column."""
    planted = crypto.encrypt_field("11010519491231002X", "core.User.phone")
    citizen.phone = planted
    citizen.save(update_fields=["phone", "phone_index"])
    stored = raw_column(User, "phone", citizen.pk)
    assert stored != planted
    assert User.objects.get(pk=citizen.pk).phone == planted


@pytest.mark.django_db
def test_blind_index_finds_citizen_by_id_number(citizen):
    found = User.objects.filter(id_number_index=index_for(User, "id_number", ID))
    assert list(found) == [citizen]
    # Normalisation: lower-case x and surrounding spaces find the same person.
    assert User.objects.filter(
        id_number_index=index_for(User, "id_number", " 11010519491231002x ")
    ).exists()
    other = index_for(User, "id_number", "110105194912310021")
    assert not User.objects.filter(id_number_index=other).exists()
    assert raw_column(User, "id_number_index", citizen.pk) != ID


def test_blind_index_is_keyed_per_context():
    assert crypto.blind_index(ID, "core.User.id_number") != crypto.blind_index(ID, "x.Y.z")
    assert len(crypto.blind_index(ID, "core.User.id_number")) == 32  # 16 bytes in hex


def _public_open(stored: str, aad: bytes) -> str:
    """Open a stored value with nothing but the public ``cryptography`` API."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    blob = base64.b64decode(stored.rsplit(":", 1)[1])
    nonce, body, tag = blob[:12], blob[12:-16], blob[-16:]
    dec = Cipher(algorithms.SM4(keyring().active_key), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(aad)
    return (dec.update(body) + dec.finalize()).decode()


def _public_seal(clear: str, aad: bytes, *, row_bound: bool) -> str:
    """A stored value made as every value was before batch encryption: public API, a
    fresh cipher object and nonce."""
    import os

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce = os.urandom(12)
    enc = Cipher(algorithms.SM4(keyring().active_key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad)
    blob = nonce + enc.update(clear.encode()) + enc.finalize() + enc.tag
    mark = "r:" if row_bound else ""
    return f"sm4:v{keyring().active}:{mark}{base64.b64encode(blob).decode()}"


def test_batch_encryption_is_the_stored_form_of_one_value_at_a_time():
    context, values = "data.Person.name", ["张三", "", "焦作市解放区民主南路 1 号"]
    rows = ["7", "8", "9"]
    bound = crypto.encrypt_many(values, context, rows)
    for stored, clear, row in zip(bound, values, rows, strict=True):
        assert stored.startswith("sm4:v1:r:") and crypto.is_row_bound(stored)
        assert crypto.decrypt_field(stored, context, row, legacy=False) == clear
        assert _public_open(stored, f"{context}\x1f{row}".encode()) == clear
        with pytest.raises(crypto.DecryptionError):  # bound to its own row only
            crypto.decrypt_field(stored, context, "10")
    plain = crypto.encrypt_many(values, context)
    assert [crypto.decrypt_field(s, context) for s in plain] == values
    assert _public_open(plain[2], context.encode()) == values[2]
    # Every value has its own nonce, though they were drawn in one call.
    same = crypto.encrypt_many([ID] * 50, context, [str(i) for i in range(50)])
    assert len({base64.b64decode(s[len("sm4:v1:r:") :])[:12] for s in same}) == 50
    assert crypto.encrypt_many([], context) == []
    with pytest.raises(ValueError):
        crypto.encrypt_many(["a", "b"], context, ["1"])


def test_values_stored_before_batch_encryption_still_open():
    context = "core.User.phone"
    assert (
        crypto.decrypt_field(
            _public_seal("13812345678", context.encode(), row_bound=False), context
        )
        == "13812345678"
    )
    old = _public_seal("13812345678", f"{context}\x1f42".encode(), row_bound=True)
    assert crypto.decrypt_field(old, context, "42", legacy=False) == "13812345678"
    assert (
        crypto.decrypt_field(crypto.reencrypt_field(old, context, "42"), context, "42")
        == "13812345678"
    )


def test_without_the_binding_shortcut_values_still_seal_and_open(monkeypatch):
    """Should an upgrade of ``cryptography`` change its OpenSSL binding, encryption falls
    back to the public API and reads what was written either way."""
    written = crypto.encrypt_many([ID], "x.Y.z", ["1"])[0]
    monkeypatch.setattr(crypto, "_rust_openssl", object())
    crypto._gcm_factories.cache_clear()
    try:
        stored = crypto.encrypt_many([ID], "x.Y.z", ["1"])[0]
        assert crypto.decrypt_field(stored, "x.Y.z", "1") == ID
        assert crypto.decrypt_field(written, "x.Y.z", "1") == ID
        assert _public_open(stored, b"x.Y.z\x1f1") == ID
    finally:
        crypto._gcm_factories.cache_clear()


def test_batch_blind_indexes_equal_one_at_a_time_and_plain_hmac():
    import hmac

    context, values = "core.User.id_number", [ID, " 11010519491231002x ", "110105194912310021"]
    many = crypto.index_many(values, context)
    assert many == [crypto.blind_index(v, context) for v in values]
    assert many[0] == many[1] != many[2]
    expected = hmac.new(keyring().index_key, f"{context}\x1f{ID}".encode(), "sm3").hexdigest()
    assert many[0] == expected[:32]  # the first 128 bits of the HMAC-SM3
    assert crypto.keyed_digest(ID, context) == expected
    assert crypto.index_many([], context) == []


def test_sm2_sign_verify_and_tampered_data_fails():
    key = crypto.generate_sm2_private()
    sig = crypto.sm2_sign(key, b"seal data")
    assert crypto.sm2_verify(key.public_key(), sig, b"seal data")
    assert not crypto.sm2_verify(key.public_key(), sig, b"seal datA")
    assert not crypto.sm2_verify(key.public_key(), b"not a signature", b"seal data")
    other = crypto.generate_sm2_private()
    assert not crypto.sm2_verify(other.public_key(), sig, b"seal data")


def test_sm2_pem_round_trip():
    key = crypto.generate_sm2_private()
    loaded = crypto.load_sm2_private(crypto.sm2_private_pem(key))
    public = crypto.load_sm2_public(crypto.sm2_public_pem(key))
    assert crypto.sm2_verify(public, crypto.sm2_sign(loaded, b"m"), b"m")


def test_platform_sign_verify():
    sig = signing.platform_sign(b"ledger head")
    assert signing.platform_verify(sig, b"ledger head")
    assert signing.platform_verify(sig, b"ledger head", public_pem=crypto.platform_public_pem())
    assert not signing.platform_verify(sig, b"ledger head!")
    stranger = crypto.sm2_public_pem(crypto.generate_sm2_private()).decode()
    assert not signing.platform_verify(sig, b"ledger head", public_pem=stranger)
    assert len(crypto.platform_key_id()) == 16


def test_raw_signature_conversion_round_trip():
    key = crypto.generate_sm2_private()
    for i in range(20):  # some r or s have leading zero bytes: padding must hold
        data = f"message {i}".encode()
        der = crypto.sm2_sign(key, data)
        raw = signing.signature_to_raw(der)
        assert len(raw) == 64
        assert signing.signature_from_raw(raw) == der
        assert crypto.sm2_verify(key.public_key(), signing.signature_from_raw(raw), data)
    with pytest.raises(ValueError):
        signing.signature_from_raw(b"\x01" * 63)


@pytest.mark.django_db
def test_department_key_issue_sign_verify(city, make_staff):
    admin = make_staff("sysadmin")
    dept = city.department("410823", "market")
    public_pem = do_issue_department_key(actor=admin, department=dept)
    dept.refresh_from_db()
    assert dept.sm2_public_pem == public_pem
    assert "PUBLIC KEY" in public_pem

    stored = raw_column(Department, "sm2_private_enc", dept.pk)
    assert stored.startswith("sm4:v1:")
    assert "PRIVATE KEY" not in stored
    clear_pem = crypto.decrypt_field(stored, signing.DEPARTMENT_KEY_CONTEXT)
    assert clear_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert clear_pem not in stored

    sig = signing.department_sign(dept, b"licence 001")
    assert signing.department_verify(dept, sig, b"licence 001")
    assert not signing.department_verify(dept, sig, b"licence 002")
    other = city.department("410822", "market")
    do_issue_department_key(actor=admin, department=other)
    other.refresh_from_db()
    assert not signing.department_verify(other, sig, b"licence 001")

    entry = AuditEntry.objects.filter(action="core.department.issue_key").first()
    assert entry is not None and entry.object_id == str(dept.pk)


@pytest.mark.django_db
def test_department_key_is_not_replaced_silently_and_needs_permission(city, make_staff):
    dept = city.department("410823", "market")
    with pytest.raises(PermissionDenied):
        do_issue_department_key(actor=make_staff("window_clerk"), department=dept)
    admin = make_staff("sysadmin")
    first = do_issue_department_key(actor=admin, department=dept)
    with pytest.raises(ValidationError) as exc:
        do_issue_department_key(actor=admin, department=dept)
    assert exc.value.code == "department_key_exists"
    second = do_issue_department_key(actor=admin, department=dept, replace=True)
    assert second != first


@pytest.mark.django_db
def test_department_without_key_cannot_sign(city):
    dept = city.department("410823", "market")
    with pytest.raises(ValidationError) as exc:
        signing.department_sign(dept, b"x")
    assert exc.value.code == "no_department_key"
    assert not signing.department_verify(dept, b"x", b"x")
