"""Excel（.xlsx）读取: the first sheet of a workbook as rows of cell values, streamed and
bounded (解析限额), so a small hostile workbook cannot hold a worker.

A workbook is a ZIP package of XML parts. Nothing here trusts the package:

- the central directory is walked entry by entry, up to ``zip_members`` entries, before
  anything is decompressed; only stored and deflated members are read; every member's
  declared size and their sum must be within ``unzipped_bytes``;
- members are inflated chunk by chunk while the bytes are counted: a member that inflates
  past its declared size, or a read past ``unzipped_bytes``, stops at once; its CRC-32 is
  checked at the end;
- the XML parts are parsed as a stream (expat, no tree, no DTD or entity declarations),
  the shared strings (共享字符串) against ``shared_strings`` and ``shared_chars`` (a
  ``count`` declared in the part is refused before a string is read), the sheet against
  ``rows``, ``columns`` and ``cell_chars`` as it goes.

Cell values are what openpyxl gives in read-only, values-only mode (numbers, dates by the
cell's number format, booleans, text), so the readers treat them alike."""

from __future__ import annotations

import posixpath
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yiwang.data.ingest.limits import Limits, exceeded

CHUNK = 64 * 1024
# Elements of a part that is not the sheet (workbook, relationships, styles): real ones
# have a few thousand (Excel allows at most 64,000 cell formats).
STRUCTURE_ELEMENTS = 500_000

_EOCD = b"PK\x05\x06"
_EOCD_FORMAT = "<4s4H2LH"
_CENTRAL = b"PK\x01\x02"
_CENTRAL_FORMAT = "<4s4B4HL2L5H2L"
_LOCAL = b"PK\x03\x04"
_SATURATED = (0xFFFF, 0xFFFFFFFF)


MALFORMED = {
    "": _("不是有效的 Excel（.xlsx）文件。"),
    "encrypted": _("不是有效的 Excel（.xlsx）文件：文件已加密。"),
    "method": _("不是有效的 Excel（.xlsx）文件：使用了不支持的压缩方式。"),
    "dtd": _("不是有效的 Excel（.xlsx）文件：含有文档类型或实体声明。"),
    "oversize": _("不是有效的 Excel（.xlsx）文件：部件 %(part)s 解压后大于其声明的大小。"),
    "crc": _("不是有效的 Excel（.xlsx）文件：部件 %(part)s 校验失败。"),
    "elements": _("不是有效的 Excel（.xlsx）文件：部件 %(part)s 的元素过多。"),
}


def malformed(reason: str = "", part: str = "") -> ValidationError:
    """The refusal for a package that is not a readable workbook (``reason`` a key of
    ``MALFORMED``)."""
    return ValidationError(MALFORMED[reason], code="malformed", params={"part": part})


@dataclass(frozen=True)
class Entry:
    """One member as the central directory declares it."""

    name: str
    method: int
    flags: int
    crc: int
    compressed: int
    size: int
    offset: int


class Package:
    """The ZIP package of a workbook, opened without trusting what it declares."""

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.data = memoryview(data)
        self.limits = limits
        self.inflated = 0  # bytes inflated so far, over every member read
        self.entries = {e.name: e for e in self._central_directory()}
        declared = 0
        for entry in self.entries.values():
            declared += entry.size
            if entry.size > limits.unzipped_bytes or declared > limits.unzipped_bytes:
                raise exceeded("limit_unzipped", limits.unzipped_bytes)

    def _end_record(self) -> tuple[int, int, int]:
        data = self.data
        tail_start = max(0, len(data) - (22 + 0xFFFF))
        at = bytes(data[tail_start:]).rfind(_EOCD)
        if at < 0:
            raise malformed()
        at += tail_start
        try:
            _sig, _d, _dcd, _here, count, size, offset, _c = struct.unpack_from(
                _EOCD_FORMAT, data, at
            )
        except struct.error:
            raise malformed() from None
        # ZIP64 (saturated fields): more members or bytes than a workbook within the
        # limits can have.
        if count in _SATURATED:
            raise exceeded("limit_zip_members", self.limits.zip_members)
        if size in _SATURATED or offset in _SATURATED:
            raise exceeded("limit_unzipped", self.limits.unzipped_bytes)
        return count, size, offset

    def _central_directory(self) -> Iterator[Entry]:
        count, size, offset = self._end_record()
        if count > self.limits.zip_members:
            raise exceeded("limit_zip_members", self.limits.zip_members)
        end = offset + size
        if end > len(self.data):
            raise malformed()
        at, seen = offset, 0
        while at < end:
            seen += 1
            if seen > self.limits.zip_members:
                raise exceeded("limit_zip_members", self.limits.zip_members)
            if seen > count:
                raise malformed()
            try:
                head = struct.unpack_from(_CENTRAL_FORMAT, self.data, at)
            except struct.error:
                raise malformed() from None
            if head[0] != _CENTRAL:
                raise malformed()
            flags, method, crc, compressed, size_ = head[5], head[6], head[9], head[10], head[11]
            name_len, extra_len, comment_len, offset_ = head[12], head[13], head[14], head[18]
            raw = bytes(self.data[at + 46 : at + 46 + name_len])
            name = raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
            at += 46 + name_len + extra_len + comment_len
            if size_ in _SATURATED or compressed in _SATURATED:
                raise exceeded("limit_unzipped", self.limits.unzipped_bytes)
            yield Entry(name, method, flags, crc, compressed, size_, offset_)

    def has(self, name: str) -> bool:
        return name in self.entries

    def chunks(self, name: str) -> Iterator[bytes]:
        """The inflated bytes of member ``name``, counted as they come."""
        entry = self.entries.get(name)
        if entry is None:
            raise malformed()
        if entry.flags & 0x1:
            raise malformed("encrypted")
        if entry.method not in (0, 8):
            raise malformed("method")
        body = self._body(entry)
        crc, size = 0, 0
        source = _stored(body) if entry.method == 0 else _inflated(body)
        for out in source:
            size += len(out)
            self.inflated += len(out)
            if size > entry.size:
                raise malformed("oversize", name)
            if self.inflated > self.limits.unzipped_bytes:
                raise exceeded("limit_unzipped", self.limits.unzipped_bytes)
            crc = zlib.crc32(out, crc)
            yield out
        if size != entry.size or crc != entry.crc:
            raise malformed("crc", name)

    def _body(self, entry: Entry) -> memoryview:
        at = entry.offset
        head = bytes(self.data[at : at + 30])
        if len(head) < 30 or head[:4] != _LOCAL:
            raise malformed()
        name_len, extra_len = struct.unpack_from("<2H", head, 26)
        start = at + 30 + name_len + extra_len
        if start + entry.compressed > len(self.data):
            raise malformed()
        return self.data[start : start + entry.compressed]


def _stored(body: memoryview) -> Iterator[bytes]:
    for at in range(0, len(body), CHUNK):
        yield bytes(body[at : at + CHUNK])


def _inflated(body: memoryview) -> Iterator[bytes]:
    """Raw deflate, never more than ``CHUNK`` bytes out per step."""
    inflater = zlib.decompressobj(-15)
    at = 0
    try:
        while not inflater.eof:
            if inflater.unconsumed_tail:
                out = inflater.decompress(inflater.unconsumed_tail, CHUNK)
            elif at < len(body):
                out = inflater.decompress(body[at : at + CHUNK], CHUNK)
                at += CHUNK
            else:
                raise malformed()  # the stream ends before its end marker
            if out:
                yield out
    except zlib.error:
        raise malformed() from None


# --- XML parts, as streams ---


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def _refuse_dtd(*_args: Any) -> None:
    raise malformed("dtd")


class Part:
    """A handler for one XML part: ``start`` / ``end`` / ``text`` get local names;
    ``done`` stops the parse early; ``budget`` bounds the elements it may see."""

    done = False
    budget = STRUCTURE_ELEMENTS

    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def text(self, data: str) -> None:
        pass


def parse(package: Package, member: str, part: Part) -> Iterator[None]:
    """Feed ``member`` to ``part`` chunk by chunk, yielding after each chunk so a caller
    can take what the part has gathered; stops when ``part.done``."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    seen = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal seen
        seen += 1
        if seen > part.budget:
            raise malformed("elements", member)
        part.start(_local(name), {_local(k): v for k, v in attrs.items()})

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: part.end(_local(name))
    parser.CharacterDataHandler = part.text
    try:
        for chunk in package.chunks(member):
            parser.Parse(chunk, False)
            yield
            if part.done:
                return
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise malformed() from None
    yield


def drain(parts: Iterator[None]) -> None:
    for _step in parts:
        pass


class Relationships(Part):
    """A ``.rels`` part: relationship id → (type, target)."""

    def __init__(self) -> None:
        self.by_id: dict[str, tuple[str, str]] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship":
            self.by_id[attrs.get("Id", "")] = (attrs.get("Type", ""), attrs.get("Target", ""))


class Workbook(Part):
    """``workbook.xml``: the 1904 date system flag and the sheets' relationship ids."""

    def __init__(self) -> None:
        self.date1904 = False
        self.sheets: list[str] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "workbookPr":
            self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")
        elif name == "sheet":
            self.sheets.append(attrs.get("id", ""))

    def end(self, name: str) -> None:
        self.done = self.done or name == "sheets"


class Styles(Part):
    """``styles.xml``: which cell formats (by index) show dates and durations."""

    def __init__(self) -> None:
        self.custom: dict[int, str] = {}
        self.formats: list[int] = []
        self.where = ""

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name in ("numFmts", "cellXfs"):
            self.where = name
        elif name == "numFmt" and self.where == "numFmts":
            self.custom[_int(attrs.get("numFmtId"))] = attrs.get("formatCode", "")
        elif name == "xf" and self.where == "cellXfs":
            self.formats.append(_int(attrs.get("numFmtId")))

    def end(self, name: str) -> None:
        if name in ("numFmts", "cellXfs"):
            self.where = ""
        self.done = self.done or name == "cellXfs"

    def kinds(self) -> tuple[set[int], set[int]]:
        """(style ids formatted as dates, style ids formatted as durations)."""
        from openpyxl.styles.numbers import (
            builtin_format_code,
            is_date_format,
            is_timedelta_format,
        )

        kind_of: dict[int, tuple[bool, bool]] = {}  # by format id: a few distinct ones
        for fmt_id in set(self.formats):
            code = self.custom.get(fmt_id) or builtin_format_code(fmt_id) or ""
            kind_of[fmt_id] = (is_date_format(code), is_timedelta_format(code))
        dates = {i for i, f in enumerate(self.formats) if kind_of[f][0]}
        durations = {i for i, f in enumerate(self.formats) if kind_of[f][1]}
        return dates, durations


class SharedStrings(Part):
    """``sharedStrings.xml`` (共享字符串表), bounded in count and total length."""

    budget = 1 << 62  # bounded by the string limits instead, and per string:
    STRING_ELEMENTS = 10_000  # a string's runs and their formatting

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.strings: list[str] = []
        self.chars = 0
        self.parts: list[str] = []
        self.in_t = False
        self.phonetic = 0
        self.elements = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > self.STRING_ELEMENTS:
            raise malformed("elements", "sharedStrings")
        if name == "sst":
            declared = max(_int(attrs.get("uniqueCount")), _int(attrs.get("count")))
            if declared > self.limits.shared_strings:
                raise exceeded("limit_shared_strings", self.limits.shared_strings)
        elif name == "si":
            self.parts = []
            self.elements = 0
        elif name == "t":
            self.in_t = True
        elif name == "rPh":
            self.phonetic += 1

    def text(self, data: str) -> None:
        if self.in_t and not self.phonetic:
            self.chars += len(data)
            if self.chars > self.limits.shared_chars:
                raise exceeded("limit_shared_chars", self.limits.shared_chars)
            self.parts.append(data)

    def end(self, name: str) -> None:
        if name == "t":
            self.in_t = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "si":
            if len(self.strings) >= self.limits.shared_strings:
                raise exceeded("limit_shared_strings", self.limits.shared_strings)
            self.strings.append("".join(self.parts).replace("x005F_", ""))


@dataclass
class _Cell:
    column: int = 0
    kind: str = "n"
    style: int = 0
    parts: list[str] = field(default_factory=list)
    chars: int = 0
    inline: bool = False


class Sheet(Part):
    """A worksheet's ``sheetData``: rows as lists of values (None where no cell),
    gathered in ``rows`` for the caller to take after each chunk. The parts before the
    data are bounded like any other part; the data by the row and column limits."""

    budget = 1 << 62

    def __init__(self, limits: Limits, strings: list[str], value: Callable) -> None:
        self.limits = limits
        self.strings = strings
        self.value = value
        self.rows: list[list[Any]] = []
        self.row_count = 0
        self.row_number = 0
        self.cells: dict[int, Any] = {}
        self.cell = _Cell()
        self.in_data = False
        self.in_text = False
        self.phonetic = 0
        self.elements = 0  # within the current row
        self.outside = 0  # before the data

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if not self.in_data:
            self.in_data = name == "sheetData"
            self.outside += 1
            if self.outside > STRUCTURE_ELEMENTS:
                raise malformed("elements", "sheet")
            return
        self.elements += 1
        if self.elements > self.limits.columns * 8 + 8:  # cells and their inner parts
            raise exceeded("limit_columns", self.limits.columns, row=self.row_number)
        if name == "row":
            self._row(attrs)
        elif name == "c":
            self._cell(attrs)
        elif name in ("v", "t"):
            self.in_text = name == "v" or (self.cell.inline and not self.phonetic)
        elif name == "is":
            self.cell.inline = True
        elif name == "rPh":
            self.phonetic += 1

    def _row(self, attrs: dict[str, str]) -> None:
        self.row_count += 1
        if self.row_count > self.limits.rows + 1:  # the header and the data rows
            raise exceeded("limit_rows", self.limits.rows)
        self.row_number = _int(attrs.get("r")) or self.row_number + 1
        self.cells = {}
        self.cell = _Cell()
        self.elements = 0

    def _cell(self, attrs: dict[str, str]) -> None:
        ref = attrs.get("r", "")
        column = _column(ref) if ref else self.cell.column + 1
        cap = self.limits.columns
        if column > cap or len(self.cells) >= cap:
            raise exceeded("limit_columns", cap, row=self.row_number)
        self.cell = _Cell(column=column, kind=attrs.get("t", "n"), style=_int(attrs.get("s")))

    def text(self, data: str) -> None:
        if self.in_text:
            cell = self.cell
            cell.chars += len(data)
            if cell.chars > self.limits.cell_chars:
                raise exceeded("limit_cell", self.limits.cell_chars, row=self.row_number)
            cell.parts.append(data)

    def end(self, name: str) -> None:
        if name == "sheetData":
            self.done = True
        elif not self.in_data:
            return
        elif name in ("v", "t"):
            self.in_text = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "c":
            cell = self.cell
            self.cells[cell.column] = self.value(cell, self.strings)
        elif name == "row":
            width = max(self.cells, default=0)
            self.rows.append([self.cells.get(i) for i in range(1, width + 1)])


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        raise malformed() from None


def _column(ref: str) -> int:
    """The column number of a cell reference such as ``AB12`` (A = 1)."""
    number = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            number = number * 26 + ord(ch) - 64
        elif ch.isdigit():
            break
        else:
            raise malformed()
        if number > 16384:  # beyond XFD, the last column Excel has
            raise malformed()
    return number


def _number(text: str) -> int | float:
    if "." in text or "E" in text or "e" in text:
        return float(text)
    return int(text)


def _value_of(epoch, dates: set[int], durations: set[int]) -> Callable:
    """The function turning a finished cell into its value (openpyxl's, values only)."""
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    def value(cell: _Cell, strings: list[str]) -> Any:
        text = "".join(cell.parts)
        kind = cell.kind
        if kind == "inlineStr":
            return text if cell.inline else None
        if not text:
            return None
        try:
            if kind == "s":
                return strings[int(text)]
            if kind == "b":
                return bool(int(text))
            if kind == "d":
                return from_ISO8601(text)
            if kind in ("str", "e"):
                return text
            number = _number(text)
            if cell.style in dates:
                try:
                    return from_excel(number, epoch, timedelta=cell.style in durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        except (ValueError, IndexError):
            raise malformed() from None

    return value


def _target(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(package: Package, part: str) -> dict[str, tuple[str, str]]:
    rels = Relationships()
    path = _rels_of(part)
    if package.has(path):
        drain(parse(package, path, rels))
    return {k: (kind, _target(part, target)) for k, (kind, target) in rels.by_id.items()}


def _workbook_path(package: Package) -> str:
    for kind, target in _relationships(package, "").values():
        if kind.endswith("/officeDocument"):
            return target
    return "xl/workbook.xml"


def rows(data: bytes, limits: Limits) -> Iterator[list[Any]]:
    """The first worksheet's rows (the header first), each a list of cell values."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900

    package = Package(data, limits)
    book_path = _workbook_path(package)
    if not package.has(book_path):
        raise malformed()
    book = Workbook()
    drain(parse(package, book_path, book))
    rels = _relationships(package, book_path)
    sheet_path = next(
        (
            rels[rid][1]
            for rid in book.sheets
            if rid in rels and rels[rid][0].endswith("/worksheet")
        ),
        None,
    )
    if sheet_path is None or not package.has(sheet_path):
        raise malformed()
    by_kind = {kind.rpartition("/")[2]: target for kind, target in rels.values()}
    strings = SharedStrings(limits)
    if package.has(by_kind.get("sharedStrings", "")):
        drain(parse(package, by_kind["sharedStrings"], strings))
    styles = Styles()
    if package.has(by_kind.get("styles", "")):
        drain(parse(package, by_kind["styles"], styles))
    epoch = CALENDAR_MAC_1904 if book.date1904 else CALENDAR_WINDOWS_1900
    sheet = Sheet(limits, strings.strings, _value_of(epoch, *styles.kinds()))
    for _step in parse(package, sheet_path, sheet):
        yield from sheet.rows
        sheet.rows.clear()
