"""列映射: which file column fills which data item — by explicit mapping, item name,
data element name, registry field or the element's English name."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ROW_NUMBER = "行号"  # column of a downloaded bad-rows file naming the original row
REASONS = "问题原因"  # column of a downloaded bad-rows file with the reasons


def items_of(resource) -> list:
    """The resource's data items bound to registry fields, with their elements."""
    return [i for i in resource.items.select_related("element").order_by("position") if i.field]


def _aliases(items: list) -> dict[str, object]:
    """Every name a column may go by (case-insensitive) → its data item: the element's
    English name, the registry field, the element's name (数据元名称) and the item's own
    name, later ones winning where two items share a name."""
    by_name: dict[str, object] = {}
    for item in items:
        for alias in (item.element.name_en, item.field, item.element.name, item.name):
            if alias:
                by_name[alias.strip().lower()] = item
    return by_name


def resolve(resource, columns: list[str], explicit: dict[str, str] | None = None) -> dict:
    """Column → DataItem for ``columns``; raises ``ValidationError`` (code
    ``missing_columns``) naming every required item no column fills."""
    items = items_of(resource)
    by_name = _aliases(items)
    explicit = {k: v for k, v in (explicit or {}).items() if v}
    mapping: dict[str, object] = {}
    for column in columns:
        target = explicit.get(column, column)
        item = by_name.get(str(target).strip().lower())
        if item is not None and item not in mapping.values():
            mapping[column] = item
    unknown = [c for c, t in explicit.items() if str(t).strip().lower() not in by_name]
    if unknown:
        raise ValidationError(
            _("列映射指向不存在的信息项：%(c)s"),
            code="bad_mapping",
            params={"c": "、".join(unknown)},
        )
    filled = set(mapping.values())
    missing = [i.name for i in items if (i.required or i.is_key) and i not in filled]
    if missing:
        raise ValidationError(
            _("文件缺少必需的列：%(c)s。未处理任何数据行。"),
            code="missing_columns",
            params={"c": "、".join(missing), "columns": missing},
        )
    return mapping
