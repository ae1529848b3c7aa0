"""SM2 signatures (GB/T 32918, SM3 with the default ID) by the platform and by
departments (部门签名), plus DER ⇄ raw r‖s conversion for consumers that want 64 bytes."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.core import crypto

DEPARTMENT_KEY_CONTEXT = "core.Department.sm2_private"
SM2_COORD_BYTES = 32


def signature_to_raw(der: bytes) -> bytes:
    """DER ``SEQUENCE {r, s}`` → 64-byte r‖s (each big-endian, left-padded to 32 bytes)."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(SM2_COORD_BYTES, "big") + s.to_bytes(SM2_COORD_BYTES, "big")


def signature_from_raw(raw: bytes) -> bytes:
    """64-byte r‖s → DER ``SEQUENCE {r, s}`` as ``sm2_verify`` expects."""
    if len(raw) != 2 * SM2_COORD_BYTES:
        raise ValueError("raw SM2 signature must be 64 bytes (r‖s)")
    r = int.from_bytes(raw[:SM2_COORD_BYTES], "big")
    s = int.from_bytes(raw[SM2_COORD_BYTES:], "big")
    return encode_dss_signature(r, s)


def platform_sign(data: bytes) -> bytes:
    """Sign with the platform SM2 key (ledger heads, e-seal makers); DER (r, s)."""
    return crypto.sm2_sign(crypto.platform_key(), data)


def platform_verify(signature: bytes, data: bytes, public_pem: str | None = None) -> bool:
    """Verify a platform signature, against ``public_pem`` when given (an older published
    platform key), else against the current platform key."""
    if public_pem is None:
        public = crypto.platform_key().public_key()
    else:
        public = _public_from_pem(public_pem)
    return crypto.sm2_verify(public, signature, data)


@lru_cache(maxsize=256)
def _private_from_enc(stored: str) -> Any:
    """Decrypt and load a department private key; keyed by the ciphertext, so a new key
    or a re-encryption is a new cache entry."""
    pem = crypto.decrypt_field(stored, DEPARTMENT_KEY_CONTEXT)
    return crypto.load_sm2_private(pem.encode())


@lru_cache(maxsize=256)
def _public_from_pem(pem: str) -> Any:
    return crypto.load_sm2_public(pem.encode())


def department_sign(department: Any, data: bytes) -> bytes:
    """Sign ``data`` with the department's SM2 key (issued by ``do_issue_department_key``)."""
    if not department.sm2_private_enc:
        raise ValidationError(
            _("部门「%(name)s」尚未签发 SM2 密钥。"),
            code="no_department_key",
            params={"name": department.name},
        )
    return crypto.sm2_sign(_private_from_enc(department.sm2_private_enc), data)


def department_verify(department: Any, signature: bytes, data: bytes) -> bool:
    """True when ``signature`` (DER r,s) is the department's SM2 signature of ``data``."""
    if not department.sm2_public_pem:
        return False
    try:
        public = _public_from_pem(department.sm2_public_pem)
    except ValueError:
        return False
    return crypto.sm2_verify(public, signature, data)
