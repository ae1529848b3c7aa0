"""Key material (密钥管理): SM4 field keys with versions, the SM3 blind-index key, the SM2
platform key and the OIDC signing key. Keys come from the environment or key files, never
from the database; a development key file is created on first use outside production."""

from __future__ import annotations

import json
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_FILE_NAME = "keys.json"
PLATFORM_SM2_FILE = "platform-sm2.pem"
OIDC_RSA_FILE = "oidc-rsa.pem"
SM4_KEY_BYTES = 16
INDEX_KEY_MIN_BYTES = 32


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
    """Directory of the key files (settings.YIWANG_KEY_DIR)."""
    return Path(settings.YIWANG_KEY_DIR)


def _hex_key(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text.strip())
    except ValueError:
        raise ImproperlyConfigured(
            f"{what} 不是有效的十六进制字符串（{what} is not hex）"
        ) from None


def parse_sm4_versions(text: str) -> dict[int, bytes]:
    """Parse ``"1:hex,2:hex"`` into ``{1: key, 2: key}``, checking each is 128 bits."""
    out: dict[int, bytes] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        version_text, sep, hexkey = part.partition(":")
        if not sep or not version_text.strip().isdigit() or int(version_text) < 1:
            raise ImproperlyConfigured(
                f"YIWANG_SM4_KEYS 条目 {part[:12]!r}… 应为「版本号:十六进制密钥」，版本号为正整数"
            )
        version = int(version_text)
        if version in out:
            raise ImproperlyConfigured(f"YIWANG_SM4_KEYS 中版本 {version} 重复")
        key = _hex_key(hexkey, f"SM4 密钥版本 {version}")
        if len(key) != SM4_KEY_BYTES:
            raise ImproperlyConfigured(
                f"SM4 密钥版本 {version} 应为 16 字节（32 个十六进制字符），实为 {len(key)} 字节"
            )
        out[version] = key
    if not out:
        raise ImproperlyConfigured("YIWANG_SM4_KEYS 中没有任何 SM4 密钥")
    return out


def _index_key(text: str) -> bytes:
    key = _hex_key(text, "YIWANG_INDEX_KEY")
    if len(key) < INDEX_KEY_MIN_BYTES:
        raise ImproperlyConfigured(
            f"盲索引密钥 YIWANG_INDEX_KEY 至少应为 {INDEX_KEY_MIN_BYTES} 字节，实为 {len(key)} 字节"
        )
    return key


def _ring(sm4: dict[int, bytes], active: int, index_key: bytes) -> KeyRing:
    if active not in sm4:
        raise ImproperlyConfigured(f"当前 SM4 密钥版本 {active} 不在密钥环中（{sorted(sm4)}）")
    return KeyRing(sm4=sm4, active=active, index_key=index_key)


def write_private(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write a key file readable by its owner only (0600). ``exclusive`` refuses to
    replace an existing file; otherwise the file is replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:  # mkstemp creates the file 0600
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_mode(path: Path) -> None:
    """In production a key file others can read is a configuration error."""
    if settings.PRODUCTION and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise ImproperlyConfigured(f"密钥文件 {path} 权限过宽，应为 0600（chmod 600）")


def new_key_file_data() -> dict:
    """Fresh key-file content: SM4 version 1 and a 256-bit blind-index key."""
    return {
        "sm4": {"1": secrets.token_hex(SM4_KEY_BYTES)},
        "active": 1,
        "index": secrets.token_hex(INDEX_KEY_MIN_BYTES),
    }


def _load_file() -> dict:
    path = key_dir() / KEY_FILE_NAME
    if path.exists():
        _check_mode(path)
        return json.loads(path.read_text())
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            "没有密钥：请设置 YIWANG_SM4_KEYS 和 YIWANG_INDEX_KEY，或运行 `yiwang keys init`。"
        )
    data = new_key_file_data()
    write_private(path, json.dumps(data, indent=2))
    return data


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    """Return the key ring from ``YIWANG_SM4_KEYS``/``YIWANG_INDEX_KEY`` or the key file."""
    env_keys = os.environ.get("YIWANG_SM4_KEYS")
    if env_keys:
        sm4 = parse_sm4_versions(env_keys)
        index_hex = os.environ.get("YIWANG_INDEX_KEY", "")
        if not index_hex:
            raise ImproperlyConfigured("设置 YIWANG_SM4_KEYS 时必须同时设置 YIWANG_INDEX_KEY")
        active_text = os.environ.get("YIWANG_SM4_ACTIVE", "").strip()
        if active_text and not active_text.isdigit():
            raise ImproperlyConfigured("YIWANG_SM4_ACTIVE 应为密钥版本号（正整数）")
        active = int(active_text) if active_text else max(sm4)
        return _ring(sm4, active, _index_key(index_hex))
    data = _load_file()
    sm4 = {int(v): _hex_key(k, f"SM4 密钥版本 {v}") for v, k in data["sm4"].items()}
    for version, key in sm4.items():
        if len(key) != SM4_KEY_BYTES:
            raise ImproperlyConfigured(f"密钥文件中 SM4 密钥版本 {version} 不是 16 字节")
    return _ring(sm4, int(data["active"]), _index_key(data["index"]))


def sm4_key(version: int) -> bytes | None:
    """The SM4 key of ``version``; reloads the ring once when the version is unknown, so a
    process started before `keys rotate` can read values written with the new key."""
    key = keyring().sm4.get(version)
    if key is None:
        keyring.cache_clear()
        key = keyring().sm4.get(version)
    return key


def add_sm4_version() -> int:
    """Create a new SM4 key version in the key file and make it active (for `keys rotate`)."""
    if os.environ.get("YIWANG_SM4_KEYS"):
        raise ImproperlyConfigured(
            "密钥来自环境变量：请把新版本加入 YIWANG_SM4_KEYS 并设置 YIWANG_SM4_ACTIVE，"
            "重启服务后运行 `yiwang keys rotate --reencrypt-only`。"
        )
    data = _load_file()
    version = max(int(v) for v in data["sm4"]) + 1
    data["sm4"][str(version)] = secrets.token_hex(SM4_KEY_BYTES)
    data["active"] = version
    write_private(key_dir() / KEY_FILE_NAME, json.dumps(data, indent=2))
    keyring.cache_clear()
    return version


def _pem_file(env_name: str, file_name: str, generate: Callable[[], bytes]) -> bytes:
    """Read a PEM private key from the path in ``env_name`` or the key dir, creating it in dev."""
    explicit = os.environ.get(env_name)
    path = Path(explicit) if explicit else key_dir() / file_name
    if path.exists():
        _check_mode(path)
        return path.read_bytes()
    if settings.PRODUCTION or explicit:
        raise ImproperlyConfigured(f"密钥文件 {path} 不存在（{env_name}）")
    pem = generate()
    write_private(path, pem.decode())
    return pem


def _generate_sm2() -> bytes:
    from yiwang.core.crypto import generate_sm2_pem

    return generate_sm2_pem()


def _generate_rsa() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@lru_cache(maxsize=1)
def platform_sm2_pem() -> bytes:
    """The platform's SM2 private key (PEM), used to sign ledger heads and e-seals."""
    return _pem_file("YIWANG_SM2_KEY_FILE", PLATFORM_SM2_FILE, _generate_sm2)


@lru_cache(maxsize=1)
def oidc_rsa_pem() -> str:
    """RSA key for OIDC ID tokens (RS256 is what relying parties understand)."""
    return _pem_file("YIWANG_OIDC_KEY_FILE", OIDC_RSA_FILE, _generate_rsa).decode()


def init_key_files(directory: Path | None = None) -> list[tuple[Path, bool]]:
    """Create the production key files that are missing (SM4 v1 + index key, platform SM2,
    OIDC RSA), never overwriting one that exists; returns ``(path, created)`` pairs."""
    directory = Path(directory or key_dir())
    wanted: list[tuple[Path, Callable[[], str]]] = [
        (directory / KEY_FILE_NAME, lambda: json.dumps(new_key_file_data(), indent=2)),
        (directory / PLATFORM_SM2_FILE, lambda: _generate_sm2().decode()),
        (directory / OIDC_RSA_FILE, lambda: _generate_rsa().decode()),
    ]
    out: list[tuple[Path, bool]] = []
    for path, make in wanted:
        try:
            write_private(path, make(), exclusive=True)
        except FileExistsError:
            out.append((path, False))
        else:
            out.append((path, True))
    return out
