"""问题数据 as shown and exported: which columns of an import batch's file carry personal
data (the grade of the data element each fills) and a problem row with those columns
masked (脱敏). Pages, API and the CSV/XLSX export of problem rows all read through here."""

from __future__ import annotations

from typing import Any

from yiwang.core.masking import mask_value
from yiwang.data.ingest import mapping as colmap
from yiwang.data.models import ImportBatch


def column_kinds(batch: ImportBatch, columns) -> dict[str, str]:
    """Column of a batch's file → how its values are masked (脱敏): the grade of the data
    element the column fills (``DataElement.mask_kind``), found the way loading found it
    (the batch's explicit mapping, then the element's and item's names)."""
    by_name: dict[str, Any] = {}
    for item in colmap.items_of(batch.resource):
        for alias in (item.element.name_en, item.field, item.element.name, item.name):
            if alias:
                by_name[alias.strip().lower()] = item
    explicit = (batch.mapping or {}).get("columns") or {}
    out = {}
    for column in columns:
        item = by_name.get(str(explicit.get(column) or column).strip().lower())
        kind = item.element.mask_kind() if item is not None else None
        if kind:
            out[column] = kind
    return out


def masked_row(kinds: dict[str, str], values: dict) -> dict:
    """One problem row's values with its personal columns masked (``core.masking``)."""
    return {k: mask_value(kinds.get(k), v) for k, v in values.items()}
