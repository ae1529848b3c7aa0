"""Key material (密钥管理): SM4 field keys with versions, the SM3 blind-index key, the SM2
platform key and the OIDC signing key. Keys come from the environment or key files, never
from the database; a development key file is created on first use outside production."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_FILE_NAME = "keys.json"


@dataclass(frozen=True)
class KeyRing:
    """The keys in force: SM4 keys by version, the active version, the blind-index key."""

    sm4: dict[int, bytes]
    active: int
    index_key: bytes

    @property
    def active_key(self) -> bytes:
        return self.sm4[self.active]


def key_dir() -> Path:
    return Path(settings.YIWANG_KEY_DIR)


def _parse_versions(text: str) -> dict[int, bytes]:
    """Parse ``"1:hex,2:hex"`` into ``{1: key, 2: key}``, checking each is 128 bits."""
    out: dict[int, bytes] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        version, _, hexkey = part.partition(":")
        key = bytes.fromhex(hexkey)
        if len(key) != 16:
            raise ImproperlyConfigured(f"SM4 key version {version} must be 16 bytes")
        out[int(version)] = key
    return out


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def _load_file() -> dict:
    path = key_dir() / KEY_FILE_NAME
    if path.exists():
        return json.loads(path.read_text())
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            "No key material: set YIWANG_SM4_KEYS and YIWANG_INDEX_KEY or run `yiwang keys init`."
        )
    data = {"sm4": {"1": secrets.token_hex(16)}, "active": 1, "index": secrets.token_hex(32)}
    _write_private(path, json.dumps(data, indent=2))
    return data


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    """Return the key ring from ``YIWANG_SM4_KEYS``/``YIWANG_INDEX_KEY`` or the key file."""
    env_keys = os.environ.get("YIWANG_SM4_KEYS")
    if env_keys:
        sm4 = _parse_versions(env_keys)
        index_hex = os.environ.get("YIWANG_INDEX_KEY", "")
        if not index_hex:
            raise ImproperlyConfigured("YIWANG_INDEX_KEY must be set with YIWANG_SM4_KEYS")
        active = int(os.environ.get("YIWANG_SM4_ACTIVE", max(sm4)))
        return KeyRing(sm4=sm4, active=active, index_key=bytes.fromhex(index_hex))
    data = _load_file()
    sm4 = {int(v): bytes.fromhex(k) for v, k in data["sm4"].items()}
    return KeyRing(sm4=sm4, active=int(data["active"]), index_key=bytes.fromhex(data["index"]))


def add_sm4_version() -> int:
    """Create a new SM4 key version in the key file and make it active (for `keys rotate`)."""
    if os.environ.get("YIWANG_SM4_KEYS"):
        raise ImproperlyConfigured(
            "Keys come from the environment: add the new version to YIWANG_SM4_KEYS and "
            "set YIWANG_SM4_ACTIVE, then run `yiwang keys rotate --reencrypt-only`."
        )
    data = _load_file()
    version = max(int(v) for v in data["sm4"]) + 1
    data["sm4"][str(version)] = secrets.token_hex(16)
    data["active"] = version
    _write_private(key_dir() / KEY_FILE_NAME, json.dumps(data, indent=2))
    keyring.cache_clear()
    return version


def _pem_file(env_name: str, file_name: str, generate) -> bytes:
    """Read a PEM private key from the path in ``env_name`` or the key dir, creating it in dev."""
    explicit = os.environ.get(env_name)
    path = Path(explicit) if explicit else key_dir() / file_name
    if path.exists():
        return path.read_bytes()
    if settings.PRODUCTION or explicit:
        raise ImproperlyConfigured(f"Key file {path} is missing ({env_name})")
    pem = generate()
    _write_private(path, pem.decode())
    return pem


@lru_cache(maxsize=1)
def platform_sm2_pem() -> bytes:
    """The platform's SM2 private key (PEM), used to sign ledger heads and e-seals."""
    from yiwang.core.crypto import generate_sm2_pem

    return _pem_file("YIWANG_SM2_KEY_FILE", "platform-sm2.pem", generate_sm2_pem)


@lru_cache(maxsize=1)
def oidc_rsa_pem() -> str:
    """RSA key for OIDC ID tokens (RS256 is what relying parties understand)."""

    def generate() -> bytes:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    return _pem_file("YIWANG_OIDC_KEY_FILE", "oidc-rsa.pem", generate).decode()
