"""The page kit (页面组件): template tags every room's pages use, so a form field, an
error summary, a status tag, a summary list, a data table with its pager and an empty
state look and behave the same everywhere.

Load with ``{% load kit %}``. The partials live in ``core/templates/kit/`` and the
look in ``web/static/web/site.css``. The error summary follows the public-sector
pattern (a box at the top of the page, ``role="alert"``, a heading and links to each
field in error, focused on load); the field partial ties its hint and error message to
the input with ``aria-describedby``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms, template
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.formsets import BaseFormSet
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from yiwang.core.paging import KeysetPage

register = template.Library()

# Status tones the status tag knows; the colour is in site.css (.tag.<tone>).
TONES = frozenset({"ok", "info", "warn", "bad", "muted"})

CHOICE_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


# ---- form field ---------------------------------------------------------------------


@register.inclusion_tag("kit/field.html")
def field(
    bound: forms.BoundField,
    hint: str | None = None,
    label: str | None = None,
    classes: str = "",
    label_classes: str = "",
) -> dict[str, Any]:
    """One question: label, hint, error message and input, the input described by the
    hint and the error (``aria-describedby``) and marked ``aria-invalid`` when in error.

    ``hint`` and ``label`` override the form field's ``help_text`` and ``label``."""
    hint_text = bound.help_text if hint is None else hint
    base = bound.auto_id or bound.html_name
    hint_id, error_id = f"{base}-hint", f"{base}-error"
    described = ([hint_id] if hint_text else []) + ([error_id] if bound.errors else [])
    widget = bound.field.widget
    group = isinstance(widget, CHOICE_WIDGETS)
    attrs: dict[str, str | bool] = {}
    if described and not group:
        attrs["aria-describedby"] = " ".join(described)
    if bound.errors and not group:
        attrs["aria-invalid"] = "true"
    return {
        "f": bound,
        "widget": bound.as_widget(attrs=attrs),
        "label": bound.label if label is None else label,
        "hint": hint_text,
        "hint_id": hint_id,
        "error_id": error_id,
        "described": " ".join(described),
        "group": group,
        # A question the action insists on is marked even when the form leaves the
        # check to the action (``required_mark`` on the form field).
        "required": getattr(bound.field, "required_mark", bound.field.required),
        "check": isinstance(widget, forms.CheckboxInput),
        "classes": classes,
        "label_classes": label_classes,
    }


# ---- error summary ------------------------------------------------------------------


def _form_items(form: forms.BaseForm) -> list[tuple[str, str]]:
    """A form's errors, each field's linked to the input that takes the focus."""
    items: list[tuple[str, str]] = []
    for name, messages in form.errors.items():
        target = ""
        if name != NON_FIELD_ERRORS and name in form.fields:
            bound = form[name]
            anchor = bound.id_for_label or bound.auto_id or name
            if isinstance(bound.field.widget, CHOICE_WIDGETS) and bound.auto_id:
                # the first option takes the focus (its id as the widget gives it)
                anchor = bound.field.widget.id_for_label(bound.auto_id, "0") or anchor
            target = "#" + anchor
        items.extend((str(m), target) for m in messages)
    return items


def _mapping_items(source: Mapping, link_fields: bool, prefix: str) -> list[tuple[str, str]]:
    """``{field: [messages]}``, linked to ``#<prefix><field>`` when asked."""
    items: list[tuple[str, str]] = []
    for name, messages in source.items():
        target = f"#{prefix}{name}" if link_fields and name != NON_FIELD_ERRORS else ""
        if isinstance(messages, str):
            messages = [messages]
        items.extend((str(m), target) for m in messages)
    return items


def _collect(source: Any, items: list[tuple[str, str]], link_fields: bool, prefix: str) -> None:
    """Append (message, link target) pairs from one source of errors."""
    if not source:
        return
    if isinstance(source, BaseFormSet):
        for form in source.forms:
            items.extend(_form_items(form))
        items.extend((str(m), "") for m in source.non_form_errors())
    elif isinstance(source, forms.BaseForm):
        items.extend(_form_items(source))
    elif isinstance(source, ValidationError):
        if hasattr(source, "error_dict"):
            items.extend(_mapping_items(source.message_dict, link_fields, prefix))
        else:
            items.extend((str(m), "") for m in source.messages)
    elif isinstance(source, Mapping):
        items.extend(_mapping_items(source, link_fields, prefix))
    elif isinstance(source, str | SafeString):
        items.append((str(source), ""))
    elif isinstance(source, Iterable):
        for message in source:
            _collect(message, items, link_fields, prefix)
    else:
        items.append((str(source), ""))


def summary_items(*sources: Any, link_fields: bool = False, prefix: str = "") -> list[dict]:
    """Every error message in ``sources``, in order, each with the link to its field when
    one is known; a message given both plainly and for a field is listed once, linked."""
    collected: list[tuple[str, str]] = []
    for source in sources:
        _collect(source, collected, link_fields, prefix)
    items: list[dict[str, str]] = []
    for message, target in collected:
        same = [i for i in items if i["message"] == message]
        if any(i["href"] == target for i in same) or (same and not target):
            continue
        unlinked = next((i for i in same if not i["href"]), None)
        if unlinked is not None:
            unlinked["href"] = target
        else:
            items.append({"message": message, "href": target})
    return items


@register.simple_tag
def error_summary(
    *sources: Any,
    id: str = "error-summary",
    title: str = "",
    link_fields: bool = False,
    prefix: str = "",
) -> str:
    """错误汇总: the box at the top of a page that lists what to fix.

    ``sources`` are forms, formsets, ValidationErrors, lists of messages or mappings of
    field name to messages (linked to ``#<prefix><name>`` when ``link_fields``). Renders
    nothing when there is no error."""
    items = summary_items(*sources, link_fields=link_fields, prefix=prefix)
    if not items:
        return ""
    return render_to_string(
        "kit/error_summary.html",
        {"id": id, "title": title or _("请修改以下内容"), "items": items},
    )


# ---- status tag, summary list, empty state -----------------------------------------


@register.simple_tag
def status_tag(label: Any, tone: str = "", id: str = "") -> str:
    """状态标签: a short status in words, its tone (ok, info, warn, bad, muted) in colour."""
    tone = tone if tone in TONES else ""
    if id:
        return format_html('<strong class="tag {}" id="{}">{}</strong>', tone, id, label)
    return format_html('<strong class="tag {}">{}</strong>', tone, label)


def _row(row: Any) -> dict[str, Any]:
    if isinstance(row, Mapping):
        return {
            "key": row.get("key", ""),
            "value": row.get("value", ""),
            "href": row.get("href", ""),
            "action": row.get("action", ""),
            "id": row.get("id", ""),
        }
    key, value, *rest = row
    return {
        "key": key,
        "value": value,
        "href": rest[0] if len(rest) > 0 else "",
        "action": rest[1] if len(rest) > 1 else "",
        "id": "",
    }


@register.inclusion_tag("kit/summary_list.html")
def summary_list(rows: Iterable[Any], id: str = "", empty: str = "—") -> dict[str, Any]:
    """信息摘要: key/value rows, each with an optional action link (e.g. 修改).

    A row is ``(key, value)``, ``(key, value, href, action label)`` or a mapping with
    ``key``, ``value``, ``href``, ``action`` and ``id``."""
    rows = [_row(r) for r in rows]
    return {
        "rows": rows,
        "id": id,
        "empty": empty,
        "actions": any(r["href"] for r in rows),
    }


@register.inclusion_tag("kit/empty_state.html")
def empty_state(title: str, text: str = "", href: str = "", action: str = "", id: str = "") -> dict:
    """空状态: what an empty list means and, when there is one, what to do next."""
    return {"title": title, "text": text, "href": href, "action": action, "id": id}


# ---- data table and keyset pager ---------------------------------------------------


@register.inclusion_tag("kit/keyset_pager.html")
def keyset_pager(page: KeysetPage) -> dict[str, Any]:
    """上一页 / 下一页 links of a keyset page (no page numbers: nothing counts the set)."""
    return {"page": page}


@register.simple_tag
def sort_link(page: KeysetPage, name: str, label: str, descending_first: bool = False) -> str:
    """A column heading that sorts the list by ``name``, showing the current direction."""
    current = page.sort.name == name
    mark = ""
    if current:
        mark = format_html(
            '<span class="sort-mark" aria-hidden="true">{}</span>',
            "▼" if page.sort.descending else "▲",
        )
    return format_html(
        '<a href="{}"{}>{}{}</a>',
        page.sort_url(name, descending_first=descending_first),
        mark_safe(' aria-current="true"') if current else "",
        label,
        mark,
    )


@register.simple_tag
def aria_sort(page: KeysetPage, name: str) -> str:
    """The ``aria-sort`` value of a column heading: ascending, descending or none."""
    if page.sort.name != name:
        return "none"
    return "descending" if page.sort.descending else "ascending"


@register.inclusion_tag("kit/data_table.html")
def data_table(
    page: KeysetPage,
    columns: Iterable[Any],
    rows: Iterable[Iterable[Any]],
    caption: str = "",
    id: str = "",
    empty: str = "",
) -> dict[str, Any]:
    """数据表: a table whose headings sort (``columns`` as (name, label, sortable)) and
    whose pages turn by cursor; ``rows`` are lists of cell values (safe HTML allowed)."""
    cols = []
    for col in columns:
        name, label, *rest = col
        sortable = bool(rest[0]) if rest else False
        cols.append({"name": name, "label": label, "sortable": sortable})
    return {
        "page": page,
        "columns": cols,
        "rows": [list(r) for r in rows],
        "caption": caption,
        "id": id,
        "empty": empty or _("没有符合条件的记录。"),
    }
