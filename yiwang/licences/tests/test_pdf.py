"""证照文件: the PDF put together from its page template — a well-formed file whose
cross-reference table points at its objects, the licence's text in the CID font's
encoding, and a QR code that is the library's own matrix at the fixed mask pattern."""

from __future__ import annotations

import re
import zlib
from typing import Any

import qrcode
from qrcode.util import BCH_type_info

from yiwang.licences import pdf

URL = (
    "https://yw.example/licences/verify/?id=1.2.156.3005.2.11100000LMUYHFBG3X001."
    "11410800K3UY7M2J9E.20260000002.001.Z&t=0123456789ABCDEF"
)


def _face(**kw) -> pdf.LicenceFace:
    base: dict[str, Any] = {
        "title": "居住证",
        "number": "4108002026000002",
        "holder_label": "持证人",
        "holder_name": "张三",
        "holder_id_label": "居民身份证",
        "holder_id": "11010519491231002X",
        "rows": [("居住地址", "焦作市山阳区塔南路 1 号（东院）")],
        "issuer_name": "焦作市公安局",
        "issued_on": "2026年12月7日",
        "validity": "2026年12月7日至2027年12月6日",
        "identifier": "1.2.156.3005.2.11100000LMUYHFBG3X001.11410800K3UY7M2J9E.20260000002.001.Z",
        "verify_url": URL,
        "seal_name": "焦作市公安局",
        "seal_label": "",
        "notes": [pdf.NOTICE],
    }
    base.update(kw)
    return pdf.LicenceFace(**base)


def _objects(data: bytes) -> dict[int, bytes]:
    return {
        int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\n(.*?)\nendobj", data, re.S)
    }


def _streams(data: bytes) -> list[bytes]:
    out = []
    for body in _objects(data).values():
        if b"stream\n" in body:
            raw = body[body.index(b"stream\n") + 7 : body.rindex(b"\nendstream")]
            out.append(zlib.decompress(raw))
    return out


def _texts(stream: bytes) -> list[str]:
    return [
        bytes.fromhex(h.decode()).decode("utf-16-be")
        for h in re.findall(rb"<([0-9A-F]+)> Tj", stream)
    ]


def test_file_is_well_formed_and_deterministic():
    data = pdf.render_licence_pdf(_face())
    assert data.startswith(b"%PDF-1.4") and data.endswith(b"%%EOF\n")
    assert data == pdf.render_licence_pdf(_face())
    assert data != pdf.render_licence_pdf(_face(holder_name="李四"))
    start = int(re.search(rb"startxref\n(\d+)\n", data).group(1))
    assert data[start:].startswith(b"xref\n0 ")
    offsets = [int(x) for x in re.findall(rb"(\d{10}) 00000 n ", data[start:])]
    for number, offset in enumerate(offsets, start=1):
        assert data[offset:].startswith(b"%d 0 obj\n" % number)
    assert b"/Subject (" + _face().identifier.encode() + b")" in data  # found by verify_pdf


def test_text_of_the_licence_and_of_its_template():
    face = _face()
    template, own = _streams(pdf.render_licence_pdf(face))
    own_text = _texts(own)
    for value in (
        "编号：4108002026000002",
        "持证人",
        "张三",
        "11010519491231002X",
        "居住地址",
        "焦作市山阳区塔南路 1 号（东院）",
        "有效期限",
        "2026年12月7日至2027年12月6日",
        "2026年12月7日",
        f"电子证照标识：{face.identifier}",
    ):
        assert value in own_text, value
    # The shared part: title, issuer, the seal's characters, captions, the notice.
    shared = zlib.decompress(zlib.compress(template)).decode("latin-1")
    assert "BT" in shared and "re" in shared  # text and the frame's rectangles
    assert len(pdf.page_template.cache_info()) and pdf.page_template.cache_info().currsize >= 1


def test_long_values_wrap_within_the_value_column():
    long = "焦作市" * 40
    _template, own = _streams(pdf.render_licence_pdf(_face(rows=[("经营范围", long)])))
    lines = [t for t in _texts(own) if t and set(t) <= set("焦作市")]
    assert len(lines) > 1 and "".join(lines) == long


def _image_bits(stream: bytes) -> list[list[bool]]:
    m = re.search(
        rb"BI /W (\d+) /H (\d+) /IM true /BPC 1 /D \[1 0\] /F /AHx ID\n([0-9a-f]+)>\nEI", stream
    )
    assert m is not None
    n = int(m.group(1))
    raw = bytes.fromhex(m.group(3).decode())
    per_row = (n + 7) // 8
    return [
        [bool(raw[r * per_row + c // 8] >> (7 - c % 8) & 1) for c in range(n)] for r in range(n)
    ]


def _format_bits(matrix: list[list[bool]]) -> tuple[int, int]:
    """The 15 format bits as written beside the top-left finder and again split between
    the other two (ISO/IEC 18004 §7.9)."""
    n = len(matrix)
    first = second = 0
    for i in range(15):
        row = i if i < 6 else (i + 1 if i < 8 else n - 15 + i)
        col = n - i - 1 if i < 8 else (15 - i if i < 9 else 15 - i - 1)
        first |= matrix[row][8] << i
        second |= matrix[8][col] << i
    return first, second


def test_qr_is_the_library_matrix_at_the_fixed_mask():
    _template, own = _streams(pdf.render_licence_pdf(_face()))
    drawn = _image_bits(own)
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=pdf.QR_MASK
    )
    qr.add_data(URL.encode(), optimize=0)
    qr.make(fit=True)
    assert drawn == qr.get_matrix()
    # Level M with the fixed mask, in both copies of the format information.
    expected = BCH_type_info((qrcode.constants.ERROR_CORRECT_M << 3) | pdf.QR_MASK)
    assert _format_bits(drawn) == (expected, expected)
    # Three finder patterns where a reader looks for them.
    n = len(drawn)
    for r0, c0 in ((0, 0), (0, n - 7), (n - 7, 0)):
        ring = [drawn[r0][c0 + k] for k in range(7)] + [drawn[r0 + k][c0] for k in range(7)]
        assert all(ring) and drawn[r0 + 1][c0 + 1] is False and drawn[r0 + 3][c0 + 3] is True


def test_qr_in_the_pdf_decodes_with_an_independent_reader():
    """The QR as drawn (the inline image's bits, a quiet zone around them, 4 pixels a
    module) is read back by ZXing, a decoder that shares no code with the encoder."""
    import zxingcpp
    from PIL import Image

    _template, own = _streams(pdf.render_licence_pdf(_face()))
    drawn = _image_bits(own)
    n, scale, quiet = len(drawn), 4, 4
    size = (n + 2 * quiet) * scale
    image = Image.new("L", (size, size), 255)
    for r, row in enumerate(drawn):
        for c, dark in enumerate(row):
            if dark:
                x, y = (c + quiet) * scale, (r + quiet) * scale
                image.paste(0, (x, y, x + scale, y + scale))
    found = zxingcpp.read_barcodes(image)
    assert [b.text for b in found] == [URL]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode and found[0].ec_level == "M"
