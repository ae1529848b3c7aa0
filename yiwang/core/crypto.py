"""National cryptography (商用密码, GB/T 39786): SM3 hashing and HMAC, SM4-GCM field
encryption with key versions, keyed SM3 blind indexes, SM2 signatures."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.bindings._rust import openssl as _rust_openssl
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from tongsuopy.crypto import exceptions as ts_exceptions
from tongsuopy.crypto import hashes as ts_hashes
from tongsuopy.crypto import serialization as ts_serialization
from tongsuopy.crypto.asymciphers import ec as ts_ec

from yiwang.core.keys import keyring, platform_sm2_pem, sm4_key

NONCE_BYTES = 12
TAG_BYTES = 16
FIELD_PREFIX = "sm4:v"
_FIELD_RE = re.compile(r"^sm4:v(\d+):(r:)?(.*)$", re.DOTALL)


class DecryptionError(ValueError):
    """A stored ciphertext could not be decrypted: tampered, moved to another column or
    row (other associated data), truncated, or encrypted with an unknown key version."""


def sm3(data: bytes) -> bytes:
    """SM3 digest (GB/T 32905)."""
    return hashlib.new("sm3", data).digest()


def sm3_hex(data: bytes) -> str:
    """SM3 digest as 64 hex characters."""
    return hashlib.new("sm3", data).hexdigest()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC-SM3: integrity and keyed indexes."""
    return hmac.new(key, data, "sm3").digest()


def sm4_ecb_block(key: bytes, block: bytes) -> bytes:
    """Encrypt one 16-byte block with SM4-ECB: only for checking the standard test vector."""
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


@lru_cache(maxsize=16)
def _sm4(key: bytes) -> algorithms.SM4:
    """One SM4 algorithm object per key (its key check runs once, not per value)."""
    return algorithms.SM4(key)


def _public_encryptor(algorithm: algorithms.SM4, nonce: bytes) -> Any:
    return Cipher(algorithm, modes.GCM(nonce)).encryptor()


def _public_decryptor(algorithm: algorithms.SM4, nonce: bytes, tag: bytes) -> Any:
    return Cipher(algorithm, modes.GCM(nonce, tag)).decryptor()


_Encryptor = Callable[[algorithms.SM4, bytes], Any]
_Decryptor = Callable[[algorithms.SM4, bytes, bytes], Any]


@lru_cache(maxsize=1)
def _gcm_factories() -> tuple[_Encryptor, _Decryptor]:
    """How SM4-GCM contexts are made. ``Cipher(...).encryptor()`` re-checks the algorithm
    and mode on every call (abstract-class ``isinstance`` checks), which costs as much as
    the encryption of a short value; the pinned ``cryptography`` makes the same context
    directly in its OpenSSL binding. That shortcut is used only after it has produced the
    same ciphertext and tag as the public API for a fixed key, nonce and associated data,
    and opened it again — after an upgrade that changes the binding, the public API is
    used."""
    try:
        ciphers = _rust_openssl.ciphers

        def fast_enc(algorithm: algorithms.SM4, nonce: bytes) -> Any:
            return ciphers.create_encryption_ctx(algorithm, modes.GCM(nonce))

        def fast_dec(algorithm: algorithms.SM4, nonce: bytes, tag: bytes) -> Any:
            return ciphers.create_decryption_ctx(algorithm, modes.GCM(nonce, tag))

        key, nonce, aad, text = bytes(range(16)), bytes(range(12)), b"aad", b"known answer"
        blobs = []
        for make in (_public_encryptor, fast_enc):
            enc = make(_sm4(key), nonce)
            enc.authenticate_additional_data(aad)
            blobs.append(enc.update(text) + enc.finalize() + enc.tag)
        dec = fast_dec(_sm4(key), nonce, blobs[1][-TAG_BYTES:])
        dec.authenticate_additional_data(aad)
        opened = dec.update(blobs[1][:-TAG_BYTES]) + dec.finalize()
        if blobs[0] == blobs[1] and opened == text:
            return fast_enc, fast_dec
    except Exception:  # any surprise in the private binding: the public API
        pass
    return _public_encryptor, _public_decryptor


def _seal(encryptor: _Encryptor, algorithm: algorithms.SM4, nonce: bytes, data: bytes, aad: bytes):
    enc = encryptor(algorithm, nonce)
    if aad:
        enc.authenticate_additional_data(aad)
    ct = enc.update(data) + enc.finalize()
    return nonce + ct + enc.tag


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """SM4-GCM with a random 96-bit nonce: returns nonce ‖ ciphertext ‖ tag."""
    return _seal(_gcm_factories()[0], _sm4(key), os.urandom(NONCE_BYTES), plaintext, aad)


def sm4_gcm_decrypt(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    """Open nonce ‖ ciphertext ‖ tag; raises DecryptionError when the tag does not match."""
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("SM4-GCM ciphertext is too short")
    nonce, ct, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
    dec = _gcm_factories()[1](_sm4(key), nonce, tag)
    if aad:
        dec.authenticate_additional_data(aad)
    try:
        return dec.update(ct) + dec.finalize()
    except InvalidTag:
        raise DecryptionError("SM4-GCM authentication failed") from None


ROW_MARK = "r:"


def _row_aad(context: str, row: str) -> bytes:
    """Associated data of a row-bound value: the column and the row's primary key."""
    return f"{context}\x1f{row}".encode()


def encrypt_field(value: str, context: str, row: str | None = None) -> str:
    """Encrypt a personal-data value for storage.

    ``context`` (``app_label.Model.field``: the table and column) is always bound as
    associated data, so a ciphertext copied into another column fails to decrypt. With
    ``row`` (the row's primary key) the value is *row-bound* (``sm4:v{n}:r:{base64}``,
    associated data ``context ␟ row``): copied into another row of the same column it fails
    too. Without it (``sm4:v{n}:{base64}``) it is *column-bound*, as every value was before
    row binding and as plain columns holding one key each still are.
    """
    ring = keyring()
    if row is None:
        blob = sm4_gcm_encrypt(ring.active_key, value.encode(), context.encode())
        return f"{FIELD_PREFIX}{ring.active}:{base64.b64encode(blob).decode()}"
    blob = sm4_gcm_encrypt(ring.active_key, value.encode(), _row_aad(context, row))
    return f"{FIELD_PREFIX}{ring.active}:{ROW_MARK}{base64.b64encode(blob).decode()}"


def encrypt_many(
    values: Sequence[str], context: str, rows: Sequence[str] | None = None
) -> list[str]:
    """``encrypt_field`` of many values of one column at once (批量加密: imports, key
    rotation): the same stored form, each value with its own random nonce, but the nonces
    drawn from the system's random source in one call, and the key's SM4 object and the
    associated-data prefix made once. With ``rows`` (one primary key per value) each value
    is bound to its row, as ``encrypt_field(value, context, row)``."""
    n = len(values)
    if rows is not None and len(rows) != n:
        raise ValueError("encrypt_many: one row per value")
    if not n:
        return []
    ring = keyring()
    encryptor, algorithm = _gcm_factories()[0], _sm4(ring.active_key)
    nonces = os.urandom(NONCE_BYTES * n)
    b64 = binascii.b2a_base64
    if rows is None:
        prefix, aad = f"{FIELD_PREFIX}{ring.active}:", context.encode()
        aads: Iterable[bytes] = [aad] * n
    else:
        prefix, head = f"{FIELD_PREFIX}{ring.active}:{ROW_MARK}", f"{context}\x1f"
        aads = [(head + row).encode() for row in rows]
    out: list[str] = []
    for i, (value, aad) in enumerate(zip(values, aads, strict=True)):
        nonce = nonces[i * NONCE_BYTES : (i + 1) * NONCE_BYTES]
        enc = encryptor(algorithm, nonce)
        enc.authenticate_additional_data(aad)
        blob = nonce + enc.update(value.encode()) + enc.finalize() + enc.tag
        out.append(prefix + b64(blob, newline=False).decode())
    return out


def is_encrypted(stored: str) -> bool:
    """Whether a stored value has the ``sm4:v{n}:`` form (else it is legacy clear text)."""
    return bool(stored) and _FIELD_RE.match(stored) is not None


def is_row_bound(stored: str) -> bool:
    """Whether a stored value is bound to its row (``sm4:v{n}:r:…``)."""
    match = _FIELD_RE.match(stored or "")
    return match is not None and match.group(2) is not None


def field_version(stored: str) -> int | None:
    """The key version a stored value was encrypted with, or None for clear text."""
    match = _FIELD_RE.match(stored or "")
    return int(match.group(1)) if match else None


def decrypt_field(stored: str, context: str, row: str | None = None, *, legacy: bool = True) -> str:
    """Decrypt a stored value with the key of the version it names.

    A row-bound value opens only with the ``row`` it was written for. ``legacy`` says
    whether a read for a row also accepts what was stored before row binding: clear text
    (rows written before encryption was switched on) and column-bound ciphertexts, until
    `keys rotate --reencrypt-only` has bound them. Without ``row`` (plain columns) clear
    text passes through, as it always has."""
    match = _FIELD_RE.match(stored or "")
    if match is None:
        if row is not None and not legacy and stored:
            raise DecryptionError("clear text where a row-bound ciphertext is expected")
        return stored
    version = int(match.group(1))
    if match.group(2) is not None:
        if row is None:
            raise DecryptionError("a row-bound ciphertext needs its row to be read")
        aad = _row_aad(context, row)
    elif row is not None and not legacy:
        raise DecryptionError("column-bound ciphertext where a row-bound one is expected")
    else:
        aad = context.encode()
    key = sm4_key(version)
    if key is None:
        raise DecryptionError(f"SM4 key version {version} is not in the key ring")
    try:
        blob = base64.b64decode(match.group(3), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("stored ciphertext is not valid base64") from None
    return sm4_gcm_decrypt(key, blob, aad).decode()


def reencrypt_field(stored: str, context: str, row: str | None = None) -> str:
    """The same clear value under the active key version (for key rotation); with ``row``
    a legacy value (clear text, column-bound) comes out bound to that row."""
    return encrypt_field(decrypt_field(stored, context, row, legacy=True), context, row)


@lru_cache(maxsize=256)
def _index_prototype(key: bytes, context: str) -> Any:
    """HMAC-SM3 under ``key`` with ``context ␟`` already fed in: the keyed pads are
    computed once, and each index copies this state and adds only its value."""
    return hmac.new(key, f"{context}\x1f".encode(), "sm3")


INDEX_BYTES = 16  # a stored blind index: the first 128 bits of its HMAC-SM3


def keyed_digest(value: str, context: str) -> str:
    """The whole HMAC-SM3 (64 hex characters) of ``value`` (trimmed, in capitals) under
    the index key in ``context``: for keyed hashes kept in full, such as recovery codes
    and SMS codes. Its first 32 characters are ``blind_index`` of the same value."""
    h = _index_prototype(keyring().index_key, context).copy()
    h.update(value.strip().upper().encode())
    return h.hexdigest()


def blind_index(value: str, context: str) -> str:
    """Keyed SM3 blind index (盲索引, HMAC-SM3) for exact lookups on encrypted fields: the
    first ``INDEX_BYTES`` (128 bits) of the HMAC, as 32 hex characters. The column holds
    those 16 bytes (``fields.BlindIndexField``); 128 bits keep collisions out of reach at
    any registry size, half the key of the whole digest.

    Uses the separate index key, so it does not change when SM4 keys rotate."""
    h = _index_prototype(keyring().index_key, context).copy()
    h.update(value.strip().upper().encode())
    return h.digest()[:INDEX_BYTES].hex()


def index_many(values: Iterable[str], context: str) -> list[str]:
    """``blind_index`` of many values of one column (批量盲索引): the same 32 hex
    characters each, the keyed HMAC state copied per value instead of rebuilt."""
    proto = _index_prototype(keyring().index_key, context)
    out: list[str] = []
    for value in values:
        h = proto.copy()
        h.update(value.strip().upper().encode())
        out.append(h.digest()[:INDEX_BYTES].hex())
    return out


# --- SM2 (GB/T 32918) ---

_VERIFY_ERRORS = (ts_exceptions.InvalidSignature, ts_exceptions.InternalError, ValueError)


def generate_sm2_private() -> Any:
    """A new SM2 private key object."""
    return ts_ec.generate_private_key(ts_ec.SM2())


def sm2_private_pem(private_key: Any) -> bytes:
    """PKCS#8 PEM of an SM2 private key (unencrypted: callers encrypt or chmod 0600)."""
    return private_key.private_bytes(
        ts_serialization.Encoding.PEM,
        ts_serialization.PrivateFormat.PKCS8,
        ts_serialization.NoEncryption(),
    )


def generate_sm2_pem() -> bytes:
    """A new SM2 private key as PKCS#8 PEM."""
    return sm2_private_pem(generate_sm2_private())


def load_sm2_private(pem: bytes) -> Any:
    """Load an SM2 private key from PEM."""
    return ts_serialization.load_pem_private_key(pem, password=None)


def load_sm2_public(pem: bytes) -> Any:
    """Load an SM2 public key from SubjectPublicKeyInfo PEM."""
    return ts_serialization.load_pem_public_key(pem)


def sm2_public_pem(private_key: Any) -> bytes:
    """SubjectPublicKeyInfo PEM of the public half of an SM2 private key."""
    return private_key.public_key().public_bytes(
        ts_serialization.Encoding.PEM, ts_serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sm2_sign(private_key: Any, data: bytes) -> bytes:
    """SM2 signature with SM3 and the default ID (DER r,s): interoperable with GB/T 32918."""
    return private_key.sign(data, ts_ec.ECDSA(ts_hashes.SM3()))


def sm2_verify(public_key: Any, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` (DER r,s) is a valid SM2 signature of ``data``."""
    try:
        public_key.verify(signature, data, ts_ec.ECDSA(ts_hashes.SM3()))
    except _VERIFY_ERRORS:
        return False
    return True


@lru_cache(maxsize=1)
def platform_key() -> Any:
    """The platform SM2 private key object."""
    return load_sm2_private(platform_sm2_pem())


def platform_public_pem() -> str:
    """The platform SM2 public key (PEM), published for verifiers."""
    return sm2_public_pem(platform_key()).decode()


def platform_key_id() -> str:
    """Short fingerprint of the platform public key, stored beside each signature."""
    return sm3_hex(platform_public_pem().encode())[:16]
