"""National cryptography (商用密码, GB/T 39786): SM3 hashing and HMAC, SM4-GCM field
encryption with key versions, keyed SM3 blind indexes, SM2 signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from tongsuopy.crypto import hashes as ts_hashes
from tongsuopy.crypto import serialization as ts_serialization
from tongsuopy.crypto.asymciphers import ec as ts_ec

from yiwang.core.keys import keyring, platform_sm2_pem

NONCE_BYTES = 12
TAG_BYTES = 16


def sm3(data: bytes) -> bytes:
    """SM3 digest (GB/T 32905)."""
    return hashlib.new("sm3", data).digest()


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC-SM3: integrity and keyed indexes."""
    return hmac.new(key, data, "sm3").digest()


def sm4_ecb_block(key: bytes, block: bytes) -> bytes:
    """Encrypt one 16-byte block with SM4-ECB: only for checking the standard test vector."""
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """SM4-GCM: returns nonce ‖ ciphertext ‖ tag."""
    nonce = os.urandom(NONCE_BYTES)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    if aad:
        enc.authenticate_additional_data(aad)
    ct = enc.update(plaintext) + enc.finalize()
    return nonce + ct + enc.tag


def sm4_gcm_decrypt(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    nonce, ct, tag = blob[:NONCE_BYTES], blob[NONCE_BYTES:-TAG_BYTES], blob[-TAG_BYTES:]
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    if aad:
        dec.authenticate_additional_data(aad)
    return dec.update(ct) + dec.finalize()


def encrypt_field(value: str, context: str) -> str:
    """Encrypt a personal-data value for storage: ``sm4:v{version}:{base64}``.

    ``context`` (e.g. ``core.User.id_number``) is bound as associated data so a ciphertext
    copied into another column fails to decrypt.
    """
    ring = keyring()
    blob = sm4_gcm_encrypt(ring.active_key, value.encode(), context.encode())
    return f"sm4:v{ring.active}:{base64.b64encode(blob).decode()}"


def field_version(stored: str) -> int | None:
    """The key version a stored value was encrypted with, or None for clear text."""
    if not stored.startswith("sm4:v"):
        return None
    return int(stored[5 : stored.index(":", 5)])


def decrypt_field(stored: str, context: str) -> str:
    version = field_version(stored)
    if version is None:
        return stored
    payload = stored[stored.index(":", 5) + 1 :]
    key = keyring().sm4[version]
    return sm4_gcm_decrypt(key, base64.b64decode(payload), context.encode()).decode()


def blind_index(value: str, context: str) -> str:
    """Keyed SM3 blind index (HMAC-SM3) for exact lookups on encrypted fields."""
    normalized = value.strip().upper()
    return hmac_sm3(keyring().index_key, f"{context}\x1f{normalized}".encode()).hex()


# --- SM2 (GB/T 32918) ---


def generate_sm2_pem() -> bytes:
    key = ts_ec.generate_private_key(ts_ec.SM2())
    return key.private_bytes(
        ts_serialization.Encoding.PEM,
        ts_serialization.PrivateFormat.PKCS8,
        ts_serialization.NoEncryption(),
    )


def load_sm2_private(pem: bytes):
    return ts_serialization.load_pem_private_key(pem, password=None)


def load_sm2_public(pem: bytes):
    return ts_serialization.load_pem_public_key(pem)


def sm2_public_pem(private_key) -> bytes:
    return private_key.public_key().public_bytes(
        ts_serialization.Encoding.PEM, ts_serialization.PublicFormat.SubjectPublicKeyInfo
    )


def sm2_sign(private_key, data: bytes) -> bytes:
    """SM2 signature with SM3 and the default ID (DER r,s): interoperable with GB/T 32918."""
    return private_key.sign(data, ts_ec.ECDSA(ts_hashes.SM3()))


def sm2_verify(public_key, signature: bytes, data: bytes) -> bool:
    try:
        public_key.verify(signature, data, ts_ec.ECDSA(ts_hashes.SM3()))
    except Exception:
        return False
    return True


@lru_cache(maxsize=1)
def platform_key():
    """The platform SM2 private key object."""
    return load_sm2_private(platform_sm2_pem())


def platform_public_pem() -> str:
    return sm2_public_pem(platform_key()).decode()


def platform_key_id() -> str:
    """Short fingerprint of the platform public key, stored beside each signature."""
    return sm3_hex(platform_public_pem().encode())[:16]
