"""证照文件: the licence face (照面) as a one-page PDF with reportlab — the fields, the
issuing department's seal and a QR code of the public verification URL.

Rendering is deterministic (reportlab's invariant mode: no creation time, fixed document
ID), so the same licence record always gives the same bytes, and the SM3 digest that the
seal signs is the digest of exactly the stored file. The built-in CID font STSong-Light
needs no font file (viewers substitute a system Song/Serif CJK font).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

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


def qr_matrix(text: str) -> list[list[bool]]:
    """QR code modules of ``text`` (error correction M, no quiet zone)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.get_matrix()


def draw_qr(c: rl_canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``text`` as filled squares with its lower-left corner at (x, y)."""
    matrix = qr_matrix(text)
    n = len(matrix)
    cell = size / n
    c.saveState()
    c.setFillColor(INK)
    path = c.beginPath()
    for row, cells in enumerate(matrix):
        col = 0
        while col < n:  # one rectangle per horizontal run of dark modules
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < n and cells[col]:
                col += 1
            path.rect(x + start * cell, y + size - (row + 1) * cell, (col - start) * cell, cell)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def render_licence_pdf(face: LicenceFace) -> bytes:
    """The licence as PDF bytes; identical input gives identical bytes."""
    font = _font()
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(f"{face.title} {face.number}")
    c.setAuthor(face.issuer_name)
    c.setSubject(face.identifier)
    c.setKeywords(f"电子证照 {face.identifier}")
    c.setCreator("焦作一网 电子证照")
    width, height = A4
    margin = 40

    c.setStrokeColor(FRAME)
    c.setLineWidth(3)
    c.rect(margin, margin, width - 2 * margin, height - 2 * margin)
    c.setLineWidth(0.8)
    c.rect(margin + 6, margin + 6, width - 2 * margin - 12, height - 2 * margin - 12)

    c.setFillColor(INK)
    c.setFont(font, 30)
    c.drawCentredString(width / 2, height - 110, face.title)
    c.setFont(font, 11)
    c.setFillColor(MUTED)
    c.drawCentredString(width / 2, height - 135, f"编号：{face.number}")

    label_x, value_x = margin + 50, margin + 170
    value_width = width - value_x - margin - 50
    y = height - 185
    rows = [(face.holder_label, face.holder_name), (face.holder_id_label, face.holder_id)]
    rows += face.rows
    rows += [("有效期限", face.validity)]
    for label, value in rows:
        lines = wrap(str(value), font, 13, value_width)[:8]
        c.setFillColor(MUTED)
        c.setFont(font, 12)
        c.drawString(label_x, y, label)
        c.setFillColor(INK)
        c.setFont(font, 13)
        for line in lines:
            c.drawString(value_x, y, line)
            y -= 20
        y -= 10
        if y < 300:
            break

    # Issuer, date and the seal over them (lower right).
    seal_cx, seal_cy = width - margin - 150, margin + 175
    c.setFillColor(INK)
    c.setFont(font, 14)
    c.drawCentredString(seal_cx, seal_cy + 10, face.issuer_name)
    c.drawCentredString(seal_cx, seal_cy - 14, face.issued_on)
    draw_seal(c, seal_cx, seal_cy, 62, face.seal_name, face.seal_label, font)

    # QR code of the verification URL (lower left) and the identifier.
    qr_size = 110
    qr_x, qr_y = margin + 40, margin + 95
    draw_qr(c, face.verify_url, qr_x, qr_y, qr_size)
    c.setFont(font, 9)
    c.setFillColor(MUTED)
    c.drawString(qr_x, qr_y - 14, "扫码核验")
    c.drawString(margin + 40, margin + 50, f"电子证照标识：{face.identifier}")
    note_y = margin + 34
    for note in face.notes[:2]:
        c.drawString(margin + 40, note_y, note)
        note_y -= 12
    c.showPage()
    c.save()
    return buf.getvalue()
