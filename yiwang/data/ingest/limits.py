"""解析限额: the hard limits on parsing an import file (归集文件), each a setting with a
sane default, so that a small hostile file (a zip bomb, millions of shared strings, JSON
nested a hundred thousand deep, one endless CSV line) is refused early, with a message
naming the limit, instead of holding a worker for minutes and gigabytes.

Every refusal is a ``ValidationError`` whose message is a lazy template with ``params``:
the batch keeps it in every language of the site (``ImportBatch.error_texts``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Limits field → (setting under ``settings.YIWANG``, default).
SETTINGS = {
    "unzipped_bytes": ("DATA_IMPORT_MAX_UNZIPPED_BYTES", 512 * 1024**2),
    "zip_members": ("DATA_IMPORT_MAX_ZIP_MEMBERS", 10_000),
    "rows": ("DATA_IMPORT_MAX_ROWS", 2_000_000),
    "columns": ("DATA_IMPORT_MAX_COLUMNS", 1_000),
    "shared_strings": ("DATA_IMPORT_MAX_SHARED_STRINGS", 2_000_000),
    "shared_chars": ("DATA_IMPORT_MAX_SHARED_CHARS", 50_000_000),
    "cell_chars": ("DATA_IMPORT_MAX_CELL_CHARS", 32_767),
    "json_depth": ("DATA_IMPORT_MAX_JSON_DEPTH", 64),
    "line_chars": ("DATA_IMPORT_MAX_LINE_CHARS", 1_000_000),
}

# Refusal code → message; ``%(limit)s`` is the limit in force, ``%(row)s`` the row.
MESSAGES = {
    "limit_unzipped": _(
        "Excel 文件解压后超过上限 %(limit)s 字节（DATA_IMPORT_MAX_UNZIPPED_BYTES），已拒绝处理。"
    ),
    "limit_zip_members": _(
        "Excel 文件包含的部件超过上限 %(limit)s 个（DATA_IMPORT_MAX_ZIP_MEMBERS），已拒绝处理。"
    ),
    "limit_rows": _(
        "文件的数据行超过上限 %(limit)s 行（DATA_IMPORT_MAX_ROWS），已拒绝处理；请拆分后分批上传。"
    ),
    "limit_columns": _(
        "第 %(row)s 行的列数超过上限 %(limit)s 列（DATA_IMPORT_MAX_COLUMNS），已拒绝处理。"
    ),
    "limit_shared_strings": _(
        "Excel 文件的共享字符串超过上限 %(limit)s 个（DATA_IMPORT_MAX_SHARED_STRINGS），已拒绝处理。"
    ),
    "limit_shared_chars": _(
        "Excel 文件的共享字符串总长度超过上限 %(limit)s 个字符"
        "（DATA_IMPORT_MAX_SHARED_CHARS），已拒绝处理。"
    ),
    "limit_cell": _(
        "第 %(row)s 行有单元格超过上限 %(limit)s 个字符（DATA_IMPORT_MAX_CELL_CHARS），已拒绝处理。"
    ),
    "limit_json_depth": _(
        "JSON 嵌套层数超过上限 %(limit)s 层（DATA_IMPORT_MAX_JSON_DEPTH），已拒绝处理。"
    ),
    "limit_line": _(
        "CSV 第 %(row)s 行超过上限 %(limit)s 个字符（DATA_IMPORT_MAX_LINE_CHARS），已拒绝处理。"
    ),
}


@dataclass(frozen=True)
class Limits:
    """The limits in force for one parse (read once from settings)."""

    unzipped_bytes: int
    zip_members: int
    rows: int
    columns: int
    shared_strings: int
    shared_chars: int
    cell_chars: int
    json_depth: int
    line_chars: int

    @classmethod
    def from_settings(cls) -> Limits:
        conf = settings.YIWANG
        return cls(**{f: int(conf.get(name, default)) for f, (name, default) in SETTINGS.items()})


def exceeded(code: str, limit: int, **params: object) -> ValidationError:
    """The refusal for limit ``code`` (a key of ``MESSAGES``) at ``limit``."""
    return ValidationError(MESSAGES[code], code=code, params={"limit": limit, **params})
