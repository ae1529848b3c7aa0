"""Readers for the files departments send (CSV, XLSX, JSON): detect the format and the
encoding (UTF-8 with or without BOM, GBK/GB18030) and yield rows as column → text."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx", "json")
EXTRA = "__extra__"  # a CSV row with more cells than the header has columns


@dataclass
class Table:
    """Header and rows of one file; ``rows`` yields (row number from 1, column → text)."""

    columns: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    encoding: str = ""
    errors: list[str] = field(default_factory=list)


def sniff_format(filename: str, data: bytes) -> str:
    """The file's format from its extension, else from its first bytes."""
    name = (filename or "").lower()
    for fmt in FORMATS:
        if name.endswith("." + fmt):
            return fmt
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def decode(data: bytes) -> tuple[str, str]:
    """Text of ``data`` and the encoding found: utf-8-sig, utf-8, gbk or gb18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in ("gbk", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        _("无法识别文件编码：请使用 UTF-8 或 GBK/GB18030 编码保存。"), code="encoding"
    )


def _clean_header(columns: list[Any]) -> list[str]:
    out = [str(c).strip() if c is not None else "" for c in columns]
    if not any(out):
        raise ValidationError(_("文件缺少表头行。"), code="no_header")
    seen: set[str] = set()
    for c in out:
        if c and c in seen:
            raise ValidationError(
                _("表头中有重复的列名：%(c)s") % {"c": c}, code="duplicate_column"
            )
        seen.add(c)
    return out


def read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if "\x00" in text:
        raise ValidationError(_("文件不是有效的文本表格（含有空字符）。"), code="malformed")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationError(_("文件是空的。"), code="empty") from None
    except csv.Error as exc:
        raise ValidationError(_("CSV 格式错误：%(e)s") % {"e": exc}, code="malformed") from None
    columns = _clean_header(header)
    width = len(columns)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        n = 0
        try:
            for cells in reader:
                if not cells or not any(c.strip() for c in cells):
                    continue
                n += 1
                row: dict[str, Any] = dict(zip(columns, cells, strict=False))
                if len(cells) > width:
                    row[EXTRA] = cells[width:]
                yield n, row
        except csv.Error as exc:
            raise ValidationError(
                _("CSV 格式错误（第 %(n)s 行之后）：%(e)s") % {"n": n, "e": exc}, code="malformed"
            ) from None

    return Table(columns, rows(), encoding)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        header = next(it)
    except StopIteration:
        raise ValidationError(_("文件是空的。"), code="empty") from None
    except Exception:  # any parse failure of the zip/xml is a malformed file
        raise ValidationError(_("不是有效的 Excel（.xlsx）文件。"), code="malformed") from None
    columns = _clean_header(list(header))

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        n = 0
        for cells in it:
            if not any(c not in (None, "") for c in cells):
                continue
            n += 1
            row = {c: _cell(v) for c, v in zip(columns, cells, strict=False) if c}
            extra = [_cell(v) for v in cells[len(columns) :] if v not in (None, "")]
            if extra:
                row[EXTRA] = extra
            yield n, row
        book.close()

    return Table(columns, rows(), "xlsx")


def _json_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def records_of(doc: Any, path: str = "") -> list:
    """The list of records in a JSON document: the document itself, its ``records``, or
    the list at a dotted ``path`` (e.g. ``data.items``)."""
    node = doc
    if path:
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise ValidationError(
                    _("JSON 中找不到记录路径：%(p)s") % {"p": path}, code="records_path"
                )
            node = node[part]
    elif isinstance(node, dict) and "records" in node:
        node = node["records"]
    if not isinstance(node, list):
        raise ValidationError(
            _("JSON 应为对象数组，或含有 records 数组的对象。"), code="json_shape"
        )
    return node


def read_json(data: bytes, path: str = "") -> Table:
    text, encoding = decode(data)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ValidationError(
            _("不是有效的 JSON：%(e)s") % {"e": str(exc)[:120]}, code="malformed"
        ) from None
    records = records_of(doc, path)
    columns: list[str] = []
    seen: set[str] = set()
    for rec in records:
        if isinstance(rec, dict):
            for k in rec:
                if k not in seen:
                    seen.add(k)
                    columns.append(str(k))

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, rec in enumerate(records, start=1):
            if isinstance(rec, dict):
                yield n, {str(k): _json_value(v) for k, v in rec.items()}
            else:
                yield n, {EXTRA: [_json_value(rec)]}

    return Table(columns, rows(), encoding)


def read_table(data: bytes, fmt: str, records_path: str = "") -> Table:
    """Open ``data`` in ``fmt``; a malformed file raises ``ValidationError`` before any row."""
    if not data:
        raise ValidationError(_("文件是空的。"), code="empty")
    if fmt == "xlsx":
        return read_xlsx(data)
    if fmt == "json":
        return read_json(data, records_path)
    return read_csv(data)
