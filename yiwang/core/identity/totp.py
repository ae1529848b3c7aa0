"""Time-based one-time passwords (动态口令, RFC 6238) for staff second-factor login."""

from __future__ import annotations

import base64
import io

import pyotp
import qrcode
import qrcode.image.svg

from yiwang.core import ratelimit
from yiwang.core.fields import undecryptable

ISSUER = "焦作一网"
DIGITS = 6
REPLAY_SECONDS = 120


def new_secret() -> str:
    """A fresh base32 secret (160 bits), as authenticator apps expect."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret, digits=DIGITS).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg_data_uri(text: str) -> str:
    """QR code of ``text`` as an SVG data URI (for an ``<img>`` with alt text)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buf = io.BytesIO()
    image.save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


def grouped(secret: str) -> str:
    """Secret in groups of four for typing by hand: ``ABCD EFGH …``."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def verify(secret: str, code: str, *, user_id: int | None = None) -> bool:
    """Check a 6-digit code (±1 time step for clock drift); with ``user_id`` a code that was
    already accepted for that user is refused (no replay)."""
    code = (code or "").strip().replace(" ", "")
    if not secret or len(code) != DIGITS or not code.isdigit():
        return False
    if undecryptable(secret):  # a secret that does not decrypt verifies nothing
        return False
    totp = pyotp.TOTP(secret, digits=DIGITS)
    if not totp.verify(code, valid_window=1):
        return False
    if user_id is None:
        return True
    # Counted in the shared store: only the first use of this code within its lifetime
    # wins, in whichever worker process it arrives.
    return ratelimit.first_use(f"totp-used:{user_id}:{code}", REPLAY_SECONDS)
