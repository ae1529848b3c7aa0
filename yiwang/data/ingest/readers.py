"""Readers for the files departments send (CSV, XLSX, JSON): detect the format and the
encoding (UTF-8 with or without BOM, GBK/GB18030) and yield rows as column → text.

They run in the background task, never in the upload request, and each stops a hostile
file early against the parsing limits (``yiwang.data.ingest.limits``): rows, columns and
cell length everywhere, line length for CSV, nesting depth for JSON, and for XLSX the
decompressed size and the shared strings (``yiwang.data.ingest.xlsx``). Every refusal is
a ``ValidationError`` with a lazy message and its ``params``, so the batch can keep it
in each language of the site."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yiwang.data.ingest import xlsx
from yiwang.data.ingest.limits import Limits, exceeded

FORMATS = ("csv", "xlsx", "json")
EXTRA = "__extra__"  # a CSV row with more cells than the header has columns

# The stored type of each format (``core.uploads`` names and checks them).
CONTENT_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Table:
    """Header and rows of one file; ``rows`` yields (row number from 1, column → text)."""

    columns: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    encoding: str = ""
    errors: list[str] = field(default_factory=list)


# Leading bytes of documents and images (PDF, JPEG, PNG, OLE2 — the old .xls) that are
# never a data table, however they decode.
_DOCUMENTS = (b"%PDF", b"\xff\xd8\xff", b"\x89PNG", b"\xd0\xcf\x11\xe0")


def sniff_table(data: bytes, filename: str = "") -> str | None:
    """The content type an import file really is, for ``core.uploads.check_upload``,
    without parsing it (that is the background task's work): a ZIP package is an Excel
    workbook, documents and bytes with NUL are refused (None), other text is JSON or CSV by its name
    ending, else by its first bytes."""
    if data.startswith(b"PK\x03\x04"):
        return CONTENT_TYPES["xlsx"]
    if data.startswith(_DOCUMENTS) or b"\x00" in data:
        return None
    fmt = sniff_format(filename, data)
    return CONTENT_TYPES["json" if fmt == "json" else "csv"]


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


def _empty() -> ValidationError:
    return ValidationError(_("文件是空的。"), code="empty")


def _clean_header(columns: list[Any], limits: Limits) -> list[str]:
    if len(columns) > limits.columns:
        raise exceeded("limit_columns", limits.columns, row=1)
    out = [str(c).strip() if c is not None else "" for c in columns]
    if not any(out):
        raise ValidationError(_("文件缺少表头行。"), code="no_header")
    seen: set[str] = set()
    for c in out:
        if c and c in seen:
            raise ValidationError(
                _("表头中有重复的列名：%(c)s"), code="duplicate_column", params={"c": c}
            )
        seen.add(c)
    return out


def _lines(text: str, limit: int) -> Iterator[str]:
    """The file's physical lines, refusing one longer than ``limit`` characters."""
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if len(line) > limit:
            raise exceeded("limit_line", limit, row=number)
        yield line


def _csv_error(exc: csv.Error, after: int | None = None) -> ValidationError:
    if after is None:
        return ValidationError(_("CSV 格式错误：%(e)s"), code="malformed", params={"e": str(exc)})
    return ValidationError(
        _("CSV 格式错误（第 %(n)s 行之后）：%(e)s"),
        code="malformed",
        params={"n": after, "e": str(exc)},
    )


def read_csv(data: bytes, limits: Limits) -> Table:
    text, encoding = decode(data)
    if "\x00" in text:
        raise ValidationError(_("文件不是有效的文本表格（含有空字符）。"), code="malformed")
    reader = csv.reader(_lines(text, limits.line_chars))
    try:
        header = next(reader)
    except StopIteration:
        raise _empty() from None
    except csv.Error as exc:
        raise _csv_error(exc) from None
    columns = _clean_header(header, limits)
    width = len(columns)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        n = 0
        try:
            for cells in reader:
                if not "".join(cells).strip():  # no cells, or only blank ones
                    continue
                n += 1
                if len(cells) > limits.columns:
                    raise exceeded("limit_columns", limits.columns, row=n)
                row: dict[str, Any] = dict(zip(columns, cells, strict=False))
                if len(cells) > width:
                    row[EXTRA] = cells[width:]
                yield n, row
        except csv.Error as exc:
            raise _csv_error(exc, n) from None

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


def read_xlsx(data: bytes, limits: Limits) -> Table:
    """The first sheet of a workbook, through the bounded reader of ``xlsx``."""
    it = xlsx.rows(data, limits)
    try:
        header = next(it)
    except StopIteration:
        raise _empty() from None
    columns = _clean_header(list(header), limits)

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
                    _("JSON 中找不到记录路径：%(p)s"), code="records_path", params={"p": path}
                )
            node = node[part]
    elif isinstance(node, dict) and "records" in node:
        node = node["records"]
    if not isinstance(node, list):
        raise ValidationError(
            _("JSON 应为对象数组，或含有 records 数组的对象。"), code="json_shape"
        )
    return node


_CONTAINERS = frozenset({dict, list})  # what json.loads nests


def json_depth_within(doc: Any, limit: int) -> None:
    """Refuse a parsed document whose arrays and objects nest deeper than ``limit``,
    walked with a stack (no recursion). A document nested deeper than the parser itself
    can recurse (100,000 brackets) never gets here: its ``RecursionError`` is the same
    refusal (``read_json``)."""
    stack = [(doc, 1)] if isinstance(doc, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise exceeded("limit_json_depth", limit)
        children = node.values() if isinstance(node, dict) else node
        if _CONTAINERS.isdisjoint(map(type, children)):  # a record of plain values
            continue
        stack.extend((child, depth + 1) for child in children if type(child) in _CONTAINERS)


def _json_columns(records: list, limits: Limits) -> list[str]:
    columns: list[str] = []
    seen: set[str] = set()
    for n, rec in enumerate(records, start=1):
        if n > limits.rows:
            raise exceeded("limit_rows", limits.rows)
        if isinstance(rec, dict):
            for k in rec:
                if k not in seen:
                    seen.add(k)
                    columns.append(str(k))
            if len(columns) > limits.columns:
                raise exceeded("limit_columns", limits.columns, row=n)
    return columns


def read_json(data: bytes, path: str = "", limits: Limits | None = None) -> Table:
    limits = limits or Limits.from_settings()
    text, encoding = decode(data)
    try:
        doc = json.loads(text)
    except RecursionError:  # nested deeper than the parser recurses: stopped at once
        raise exceeded("limit_json_depth", limits.json_depth) from None
    except ValueError as exc:
        raise ValidationError(
            _("不是有效的 JSON：%(e)s"), code="malformed", params={"e": str(exc)[:120]}
        ) from None
    json_depth_within(doc, limits.json_depth)
    records = records_of(doc, path)
    columns = _json_columns(records, limits)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for n, rec in enumerate(records, start=1):
            if isinstance(rec, dict):
                yield n, {str(k): _json_value(v) for k, v in rec.items()}
            else:
                yield n, {EXTRA: [_json_value(rec)]}

    return Table(columns, rows(), encoding)


def _bounded(rows: Iterable[tuple[int, dict[str, Any]]], limits: Limits) -> Iterator[tuple]:
    """The rows of any format, refused past ``rows`` rows or at a cell longer than
    ``cell_chars`` characters."""
    cap, most = limits.cell_chars, limits.rows
    for n, row in rows:
        if n > most:
            raise exceeded("limit_rows", most)
        if row and max(map(len, row.values())) > cap:  # then look closer (lists pass)
            for value in row.values():
                if len(value) > cap and isinstance(value, str):
                    raise exceeded("limit_cell", cap, row=n)
        yield n, row


def read_table(
    data: bytes, fmt: str, records_path: str = "", limits: Limits | None = None
) -> Table:
    """Open ``data`` in ``fmt`` within ``limits`` (default: the settings'); a malformed
    file, or one past a limit, raises ``ValidationError`` — the header's problems at
    once, a row's when the rows are read."""
    if not data:
        raise _empty()
    limits = limits or Limits.from_settings()
    if fmt == "xlsx":
        table = read_xlsx(data, limits)
    elif fmt == "json":
        table = read_json(data, records_path, limits)
    else:
        table = read_csv(data, limits)
    table.rows = _bounded(table.rows, limits)
    return table
