"""电子印章与电子签章 (after GB/T 38540): the seal image (a red round seal drawn from its
name), the seal data signed by the platform as seal maker, and signing / verifying a
document digest with a seal's own SM2 key.

Signed structures are canonical JSON (sorted keys, UTF-8, no spaces) so any verifier can
rebuild the exact bytes: ``seal_data`` is what the maker signs; ``sign_data`` (待签数据)
names the seal, the SM3 of the seal data, the SM3 of the document and the time, and is
what the seal key signs.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from yiwang.core import crypto, signing
from yiwang.core.audit import canonical

SEAL_RED = "#d0021b"
MAKER_NAME = "焦作一网电子印章制作系统"
SIGN_ALG = "SM2-with-SM3"
SIGN_VERSION = 1


# --- the seal image: one layout, drawn as SVG (pages) and on the PDF canvas ---


@dataclass(frozen=True)
class Glyph:
    """One character of the seal: centre (unit circle, y up), rotation (degrees counter-
    clockwise) and size (fraction of the radius)."""

    char: str
    x: float
    y: float
    angle: float
    size: float


@dataclass(frozen=True)
class SealLayout:
    ring: float  # border width, fraction of the radius
    star: list[tuple[float, float]]
    glyphs: list[Glyph]


def seal_layout(name: str, label: str = "") -> SealLayout:
    """A round official seal: the owner's name along the upper arc, a five-pointed star
    in the middle, ``label`` (e.g. 行政审批专用章) straight across below the star."""
    chars = [c for c in name if not c.isspace()][:24]
    n = max(len(chars), 1)
    span = min(250.0, 20.0 + 16.0 * n)
    size = min(0.24, 0.22 * 14 / max(n, 14) + 0.02)
    radius = 0.74
    glyphs = []
    for i, c in enumerate(chars):
        a = 90 + span / 2 - (span * i / (n - 1) if n > 1 else span / 2)
        rad = math.radians(a)
        glyphs.append(Glyph(c, radius * math.cos(rad), radius * math.sin(rad), a - 90, size))
    star = []
    for k in range(10):
        r = 0.24 if k % 2 == 0 else 0.24 * 0.382
        a = math.radians(90 + 36 * k)
        star.append((r * math.cos(a), 0.04 + r * math.sin(a)))
    label = label[:10]
    if label:
        lsize = min(0.15, 1.0 / max(len(label), 1))
        width = lsize * len(label)
        for i, c in enumerate(label):
            x = -width / 2 + lsize * (i + 0.5)
            glyphs.append(Glyph(c, x, -0.42, 0.0, lsize))
    return SealLayout(ring=0.06, star=star, glyphs=glyphs)


def seal_svg(name: str, label: str = "", size: int = 200) -> str:
    """The seal image as a standalone SVG document (deterministic for the same text)."""
    layout = seal_layout(name, label)
    half = size / 2
    r = half * (1 - layout.ring / 2) - 1

    def pt(x: float, y: float) -> str:
        return f"{half + x * half:.2f},{half - y * half:.2f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="{escape(name)}">',
        f'<circle cx="{half}" cy="{half}" r="{r:.2f}" fill="none" stroke="{SEAL_RED}" '
        f'stroke-width="{layout.ring * half:.2f}"/>',
        f'<polygon fill="{SEAL_RED}" points="{" ".join(pt(x, y) for x, y in layout.star)}"/>',
    ]
    for g in layout.glyphs:
        cx, cy = half + g.x * half, half - g.y * half
        parts.append(
            f'<text x="{cx:.2f}" y="{cy:.2f}" font-size="{g.size * half:.2f}" '
            f'fill="{SEAL_RED}" text-anchor="middle" dominant-baseline="central" '
            f'font-family="Noto Serif CJK SC, Noto Sans CJK SC, SimSun, serif" '
            f'transform="rotate({-g.angle:.2f} {cx:.2f} {cy:.2f})">{escape(g.char)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def draw_seal(canvas: Any, cx: float, cy: float, radius: float, name: str, label: str, font: str):
    """Draw the seal on a reportlab canvas centred at (cx, cy) with ``radius`` points."""
    layout = seal_layout(name, label)
    canvas.saveState()
    canvas.setStrokeColor(SEAL_RED)
    canvas.setFillColor(SEAL_RED)
    canvas.setLineWidth(layout.ring * radius)
    canvas.circle(cx, cy, radius * (1 - layout.ring / 2), stroke=1, fill=0)
    path = canvas.beginPath()
    for i, (x, y) in enumerate(layout.star):
        (path.moveTo if i == 0 else path.lineTo)(cx + x * radius, cy + y * radius)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
    for g in layout.glyphs:
        size = g.size * radius
        canvas.saveState()
        canvas.translate(cx + g.x * radius, cy + g.y * radius)
        canvas.rotate(g.angle)
        canvas.setFont(font, size)
        canvas.drawCentredString(0, -size * 0.36, g.char)
        canvas.restoreState()
    canvas.restoreState()


# --- seal data (印章数据) and the maker's signature ---


def build_seal_data(
    *,
    code: str,
    name: str,
    kind: str,
    owner_name: str,
    owner_code: str,
    public_pem: str,
    image_svg: str,
    valid_from: str,
    valid_until: str,
    made_at: str,
) -> str:
    """Canonical seal data (cf. SES_SealInfo): header, code, owner, the seal's public key,
    the SM3 of its image, validity and the maker. Returned as the exact signed text."""
    data = {
        "version": SIGN_VERSION,
        "type": "SES_Seal",
        "code": code,
        "name": name,
        "kind": kind,
        "owner": {"name": owner_name, "code": owner_code},
        "public_key": public_pem,
        "image": {"type": "svg", "sm3": crypto.sm3_hex(image_svg.encode())},
        "valid_from": valid_from,
        "valid_until": valid_until,
        "maker": {"name": MAKER_NAME, "key_id": crypto.platform_key_id()},
        "made_at": made_at,
    }
    return canonical(data).decode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text or "", validate=True)
    except (binascii.Error, ValueError):
        return None


def maker_sign(seal_data: str) -> str:
    """The platform's (制章者) SM2 signature over the seal data, Base64 DER."""
    return b64(signing.platform_sign(seal_data.encode()))


@lru_cache(maxsize=1024)
def maker_signature_ok(seal_data: str, maker_signature: str) -> bool:
    """Whether the seal data carries a valid signature of the platform key (a pure check
    of its inputs, cached: a seal signs many documents)."""
    sig = unb64(maker_signature)
    return sig is not None and bool(sig) and signing.platform_verify(sig, seal_data.encode())


# --- the seal's own key ---


@lru_cache(maxsize=256)
def _private(stored: str) -> Any:
    from yiwang.licences.models import SEAL_KEY_CONTEXT

    return crypto.load_sm2_private(crypto.decrypt_field(stored, SEAL_KEY_CONTEXT).encode())


@lru_cache(maxsize=256)
def _public(pem: str) -> Any:
    return crypto.load_sm2_public(pem.encode())


def new_seal_key() -> tuple[str, str]:
    """A fresh SM2 key pair for a seal: (public PEM, SM4-encrypted private PEM)."""
    from yiwang.licences.models import SEAL_KEY_CONTEXT

    private = crypto.generate_sm2_private()
    public_pem = crypto.sm2_public_pem(private).decode()
    enc = crypto.encrypt_field(crypto.sm2_private_pem(private).decode(), SEAL_KEY_CONTEXT)
    return public_pem, enc


def seal_sign(seal: Any, data: bytes) -> bytes:
    """SM2 signature (DER) of ``data`` with the seal's private key."""
    return crypto.sm2_sign(_private(seal.sm2_private_enc), data)


def seal_verify(public_pem: str, signature: bytes, data: bytes) -> bool:
    try:
        public = _public(public_pem)
    except ValueError:
        return False
    return crypto.sm2_verify(public, signature, data)


def build_sign_data(
    *, seal: Any, identifier: str, doc_sm3: str, doc_size: int, content_sm3: str, signed_at: str
) -> str:
    """待签数据 (cf. TBS_Sign): the seal and the SM3 of its seal data, the document's SM3
    and size, the SM3 of the licence record's content, the signing time."""
    data = {
        "version": SIGN_VERSION,
        "alg": SIGN_ALG,
        "seal": {"code": seal.code, "sm3": crypto.sm3_hex(seal.seal_data.encode())},
        "document": {"identifier": identifier, "sm3": doc_sm3, "size": doc_size},
        "content_sm3": content_sm3,
        "signed_at": signed_at,
    }
    return canonical(data).decode()
