"""证照文件: the licence face (照面) as a one-page PDF — the fields, the issuing
department's seal and a QR code of the public verification URL.

A licence is issued by the thousand (秒批), so the page is put together from a prebuilt
template rather than drawn afresh: the parts every licence of one type, issuer and seal
shares (the frame, the title, the issuer's name, the seal, the fixed captions) are drawn
once with reportlab and kept as a compressed content stream with its fonts
(``page_template``); each licence adds one small content stream of its own — number,
holder, fields, date, identifier — and its QR code as a 1-bit inline image mask with a
fixed mask pattern (``QR_MASK``: choosing the "best" of eight masks is what made the
pure-Python encoder slow, and a reader takes any). The document is assembled by
``_assemble`` (seven objects and their cross-reference table).

Rendering is deterministic (no creation time, the document ID a digest of its content),
so the same licence record always gives the same bytes, and the SM3 digest that the seal
signs is the digest of exactly the stored file. The built-in CID font STSong-Light needs
no font file (viewers substitute a system Song/Serif CJK font); text is written as
UCS-2 hex strings of it (encoding UniGB-UCS2-H).
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import qrcode
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as rl_canvas

from yiwang.licences.sealing import draw_seal

FONT = "STSong-Light"
INK = HexColor("#1a1a1a")
FRAME = HexColor("#9c6b1a")
MUTED = HexColor("#555555")
QR_MASK = 0  # QR mask pattern (0–7), fixed: see the module doc
QR_LEVEL = qrcode.constants.ERROR_CORRECT_M
CREATOR = "焦作一网 电子证照"
# Layout (points on A4): shared by the template and the licence's own stream.
WIDTH, HEIGHT = A4
MARGIN = 40
LABEL_X, VALUE_X = MARGIN + 50, MARGIN + 170
VALUE_WIDTH = WIDTH - VALUE_X - MARGIN - 50
SEAL_CX, SEAL_CY = WIDTH - MARGIN - 150, MARGIN + 175
QR_SIZE, QR_X, QR_Y = 110, MARGIN + 40, MARGIN + 95
NOTICE = "本证照由焦作一网电子证照系统签发，加盖电子印章，与纸质证照具有同等法律效力。"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


@dataclass
class LicenceFace:
    """Everything printed on the licence."""

    title: str
    number: str
    holder_label: str
    holder_name: str
    holder_id_label: str
    holder_id: str
    rows: list[tuple[str, str]]
    issuer_name: str
    issued_on: str
    validity: str
    identifier: str
    verify_url: str
    seal_name: str
    seal_label: str
    notes: list[str] = field(default_factory=list)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` points, character by character
    (Chinese has no spaces to break at); explicit newlines are kept."""
    lines: list[str] = []
    for para in (text or "").splitlines() or [""]:
        line = ""
        for ch in para:
            if line and pdfmetrics.stringWidth(line + ch, font, size) > width:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    return lines


# --- the QR code ---


@lru_cache(maxsize=64)
def _qr_version(length: int) -> int:
    """The smallest QR version holding ``length`` bytes in byte mode at level M."""
    qr = qrcode.QRCode(error_correction=QR_LEVEL, border=0)
    qr.add_data(b"\0" * length, optimize=0)
    return qr.best_fit()


def qr_matrix(text: str) -> list[list[bool]]:
    """QR code modules of ``text`` (byte mode, error correction M, mask pattern
    ``QR_MASK``, no quiet zone); True is a dark module."""
    data = text.encode("utf-8")
    qr = qrcode.QRCode(
        version=_qr_version(len(data)),
        error_correction=QR_LEVEL,
        border=0,
        mask_pattern=QR_MASK,
    )
    qr.add_data(data, optimize=0)
    qr.make(fit=False)
    return qr.get_matrix()


def qr_image(matrix: list[list[bool]], x: float, y: float, size: float, colour) -> bytes:
    """Content-stream operators drawing ``matrix`` as a 1-bit inline image mask (dark
    modules painted in ``colour``) of ``size`` points with its lower-left corner at
    (x, y); rows are packed MSB first, written ASCII-hex so no binary sits in the stream."""
    n = len(matrix)
    rows = []
    for cells in matrix:
        bits = 0
        for dark in cells:
            bits = (bits << 1) | bool(dark)
        pad = (-n) % 8
        rows.append((bits << pad).to_bytes((n + pad) // 8, "big").hex())
    return (
        f"q {_rgb(colour)} rg {_num(size)} 0 0 {_num(size)} {_num(x)} {_num(y)} cm\n"
        f"BI /W {n} /H {n} /IM true /BPC 1 /D [1 0] /F /AHx ID\n"
        f"{''.join(rows)}>\nEI Q\n"
    ).encode("ascii")


# --- the template: what every licence of one type, issuer and seal shares ---


@dataclass(frozen=True)
class PageTemplate:
    """The shared part of a page: its compressed content stream, the font objects it
    and the licence's own stream use (by resource name), and the CJK font's name."""

    stream: bytes
    fonts: tuple[tuple[str, bytes], ...]
    cjk: str


_OBJ = re.compile(rb"(\d+) 0 obj\n(.*?)\nendobj\n", re.S)


def _objects(pdf: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in _OBJ.finditer(pdf)}


@lru_cache(maxsize=256)
def page_template(
    title: str, issuer_name: str, seal_name: str, seal_label: str, notes: tuple[str, ...]
) -> PageTemplate:
    """Draw the shared parts once with reportlab (uncompressed) and keep its page
    content and font objects: frame, title, issuer, seal, captions and notes."""
    font = _font()
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=0)
    c.setStrokeColor(FRAME)
    c.setLineWidth(3)
    c.rect(MARGIN, MARGIN, WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN)
    c.setLineWidth(0.8)
    c.rect(MARGIN + 6, MARGIN + 6, WIDTH - 2 * MARGIN - 12, HEIGHT - 2 * MARGIN - 12)
    c.setFillColor(INK)
    c.setFont(font, 30)
    c.drawCentredString(WIDTH / 2, HEIGHT - 110, title)
    c.setFont(font, 14)
    c.drawCentredString(SEAL_CX, SEAL_CY + 10, issuer_name)
    draw_seal(c, SEAL_CX, SEAL_CY, 62, seal_name, seal_label, font)
    c.setFont(font, 9)
    c.setFillColor(MUTED)
    c.drawString(QR_X, QR_Y - 14, "扫码核验")
    note_y = MARGIN + 34
    for note in notes[:2]:
        c.drawString(MARGIN + 40, note_y, note)
        note_y -= 12
    c.showPage()
    c.save()
    objects = _objects(buf.getvalue())
    page = next(body for body in objects.values() if b"/Type /Page\n" in body)
    contents = int(re.search(rb"/Contents (\d+) 0 R", page).group(1))  # type: ignore[union-attr]
    resources = re.search(rb"/Font (\d+) 0 R", page)
    font_dict = objects[int(resources.group(1))]  # type: ignore[union-attr]
    fonts = tuple(
        (name.decode(), objects[int(num)])
        for name, num in re.findall(rb"/(F\d+) (\d+) 0 R", font_dict)
    )
    cjk = next(name for name, body in fonts if FONT.encode() in body)
    raw = objects[contents]
    stream = raw[raw.index(b"stream\n") + 7 : raw.rindex(b"endstream")]
    return PageTemplate(zlib.compress(b"q\n" + stream.rstrip() + b"\nQ\n"), fonts, cjk)


# --- the licence's own content ---


def _num(v: float) -> str:
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _rgb(colour) -> str:
    return f"{_num(colour.red)} {_num(colour.green)} {_num(colour.blue)}"


def _hex(text: str) -> str:
    """``text`` as a PDF hex string in UCS-2 (big-endian), the CID font's encoding."""
    return "<" + text.encode("utf-16-be").hex().upper() + ">"


class _Text:
    """Text operators of one content stream: colour, font and size only when they change."""

    def __init__(self, font_name: str) -> None:
        self.font_name = font_name
        self.ops: list[str] = []
        self._colour = ""

    def colour(self, colour) -> None:
        rgb = _rgb(colour)
        if rgb != self._colour:
            self.ops.append(f"{rgb} rg")
            self._colour = rgb

    def put(self, x: float, y: float, text: str, size: float, centred: bool = False) -> None:
        if centred:
            x -= pdfmetrics.stringWidth(text, FONT, size) / 2
        self.ops.append(
            f"BT /{self.font_name} {_num(size)} Tf 1 0 0 1 {_num(x)} {_num(y)} Tm "
            f"{_hex(text)} Tj ET"
        )


def _own_text(face: LicenceFace, font_name: str) -> str:
    """The licence's own text: number, holder and fields, validity, date, identifier."""
    font = _font()
    t = _Text(font_name)
    t.colour(MUTED)
    t.put(WIDTH / 2, HEIGHT - 135, f"编号：{face.number}", 11, centred=True)
    y = HEIGHT - 185
    rows = [(face.holder_label, face.holder_name), (face.holder_id_label, face.holder_id)]
    rows += face.rows
    rows += [("有效期限", face.validity)]
    for label, value in rows:
        lines = wrap(str(value), font, 13, VALUE_WIDTH)[:8]
        t.colour(MUTED)
        t.put(LABEL_X, y, label, 12)
        t.colour(INK)
        for line in lines:
            t.put(VALUE_X, y, line, 13)
            y -= 20
        y -= 10
        if y < 300:
            break
    t.colour(INK)
    t.put(SEAL_CX, SEAL_CY - 14, face.issued_on, 14, centred=True)
    t.colour(MUTED)
    t.put(MARGIN + 40, MARGIN + 50, f"电子证照标识：{face.identifier}", 9)
    return "\n".join(t.ops) + "\n"


def _info_text(text: str) -> bytes:
    """A document information string as a literal: ASCII as it is (so the identifier in
    ``Subject`` can be found in the file's bytes), else UTF-16BE with its byte order
    mark; parentheses, backslashes and other bytes escaped."""
    raw = text.encode("ascii") if text.isascii() else b"\xfe\xff" + text.encode("utf-16-be")
    out = bytearray(b"(")
    for byte in raw:
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out + b")")


def _stream(data: bytes) -> bytes:
    return b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(data), data)


def _assemble(template: PageTemplate, own: bytes, info: dict[str, str]) -> bytes:
    """The document: catalog, pages, page, fonts, the template's stream and the
    licence's own, the information dictionary; cross-reference table and trailer."""
    n_fonts = len(template.fonts)
    first_font = 4
    static_no = first_font + n_fonts
    own_no, info_no = static_no + 1, static_no + 2
    font_refs = " ".join(
        f"/{name} {first_font + i} 0 R" for i, (name, _b) in enumerate(template.fonts)
    )
    page = (
        f"<< /Type /Page /Parent 2 0 R /MediaBox [ 0 0 {_num(WIDTH)} {_num(HEIGHT)} ] "
        f"/Resources << /Font << {font_refs} >> /ProcSet [ /PDF /Text /ImageB ] >> "
        f"/Contents [ {static_no} 0 R {own_no} 0 R ] >>"
    ).encode("ascii")
    info_body = (
        b"<< "
        + b" ".join(b"/" + k.encode("ascii") + b" " + _info_text(v) for k, v in info.items())
        + b" /Producer (Yiwang licence writer) >>"
    )
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [ 3 0 R ] /Count 1 >>",
        page,
        *(body for _name, body in template.fonts),
        _stream(template.stream),
        _stream(zlib.compress(own)),
        info_body,
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    doc_id = hashlib.md5(bytes(out), usedforsecurity=False).hexdigest().encode("ascii")
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID [ <%s> <%s> ] >>\n" % (
        len(bodies) + 1,
        info_no,
        doc_id,
        doc_id,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def render_licence_pdf(face: LicenceFace) -> bytes:
    """The licence as PDF bytes; identical input gives identical bytes."""
    template = page_template(
        face.title, face.issuer_name, face.seal_name, face.seal_label, tuple(face.notes[:2])
    )
    own = _own_text(face, template.cjk).encode("ascii") + qr_image(
        qr_matrix(face.verify_url), QR_X, QR_Y, QR_SIZE, INK
    )
    info = {
        "Title": f"{face.title} {face.number}",
        "Author": face.issuer_name,
        "Subject": face.identifier,
        "Keywords": f"电子证照 {face.identifier}",
        "Creator": CREATOR,
    }
    return _assemble(template, own, info)
