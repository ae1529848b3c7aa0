"""Production settings pass ``manage.py check --deploy`` with warnings treated as errors."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from tongsuopy.crypto import serialization as ts_serialization
from tongsuopy.crypto.asymciphers import ec as ts_ec

ROOT = Path(__file__).resolve().parent.parent


def _write_keys(directory: Path) -> tuple[Path, Path]:
    sm2 = ts_ec.generate_private_key(ts_ec.SM2()).private_bytes(
        ts_serialization.Encoding.PEM,
        ts_serialization.PrivateFormat.PKCS8,
        ts_serialization.NoEncryption(),
    )
    oidc = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    sm2_path, oidc_path = directory / "platform-sm2.pem", directory / "oidc-rsa.pem"
    for path, data in ((sm2_path, sm2), (oidc_path, oidc)):
        path.write_bytes(data)
        path.chmod(0o600)
    return sm2_path, oidc_path


def _production_env(tmp_path: Path) -> dict[str, str]:
    sm2_path, oidc_path = _write_keys(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YIWANG_", "DJANGO_"))}
    env.update(
        YIWANG_ENV="production",
        YIWANG_SECRET_KEY=secrets.token_urlsafe(60),
        YIWANG_ALLOWED_HOSTS="yiwang.jiaozuo.gov.cn",
        YIWANG_SM4_KEYS=f"1:{secrets.token_hex(16)}",
        YIWANG_INDEX_KEY=secrets.token_hex(32),
        YIWANG_SM2_KEY_FILE=str(sm2_path),
        YIWANG_OIDC_KEY_FILE=str(oidc_path),
        YIWANG_VAR_DIR=str(tmp_path / "var"),
        YIWANG_KEY_DIR=str(tmp_path / "no-key-files"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    return env


def _check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_deploy_check(tmp_path):
    result = _check(_production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # Production never creates development key files on its own.
    assert not (tmp_path / "no-key-files").exists()


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = _production_env(tmp_path)
    del env["YIWANG_SECRET_KEY"]
    result = _check(env)
    assert result.returncode != 0
    assert "YIWANG_SECRET_KEY" in result.stderr


def test_deploy_check_flags_a_weak_secret_key(tmp_path):
    env = _production_env(tmp_path)
    env["YIWANG_SECRET_KEY"] = "short"
    result = _check(env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr
