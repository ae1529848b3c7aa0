"""Writes for the three-level 诉求分类 (taxonomy): loading the shipped tree, the 12345 值班长's
edits of leaves (小类: add, edit, deactivate — applied at once and audited) and 发布新版本,
which snapshots the tree with a note."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.models import Department
from yiwang.hotline import access, taxonomy
from yiwang.hotline.models import Category, TaxonomyVersion

NAME_MAX, NAME_EN_MAX = 60, 160
DESCRIPTION_MAX, DESCRIPTION_EN_MAX = 500, 1000
KEYWORD_MAX, KEYWORDS_MAX = 30, 200
NOTE_MAX = 500


@transaction.atomic
def do_load_taxonomy(*, actor, path: Path | None = None) -> dict[str, int]:
    """Create or update the tree from the taxonomy fixture, node by node by code (parents
    first). Idempotent; it never deletes a node, and keeps whether a node is active (a
    leaf the 值班长 switched off stays off). Returns counts created and updated."""
    access.require_edit_taxonomy(actor)
    nodes = taxonomy.read(path)["nodes"]
    existing = {c.code: c for c in Category.objects.all()}
    counts = {"created": 0, "updated": 0}
    for node in sorted(nodes, key=lambda n: (len(n["code"]), n["code"])):
        values = _fixture_values(node, existing)
        row = existing.get(node["code"])
        if row is None:
            existing[node["code"]] = Category.objects.create(code=node["code"], **values)
            counts["created"] += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.save(update_fields=list(values))
            counts["updated"] += 1
    audit.record(
        actor=actor, action="hotline.taxonomy.load", obj=("hotline.category", "*"), change=counts
    )
    return counts


def _fixture_values(node: dict[str, Any], existing: dict[str, Category]) -> dict[str, Any]:
    parent = existing[node["parent"]] if node.get("parent") else None
    return {
        "name": node["name"],
        "name_en": node.get("name_en", ""),
        "parent": parent,
        "line": node.get("line", ""),
        "description": node.get("description", ""),
        "description_en": node.get("description_en", ""),
        "keywords": list(node.get("keywords", [])),
    }


def lines() -> list[str]:
    """承办条线 a leaf may name: the lines of the departments that exist."""
    found = Department.objects.exclude(line="").values_list("line", flat=True).distinct()
    return sorted(set(found))


def _clean_leaf(fields: dict[str, Any]) -> dict[str, Any]:
    """The leaf's fields checked: names and descriptions present and not too long, the
    keywords split and bounded, the line one a department has. Raises ValidationError
    with every problem at once."""
    keys = ("name", "name_en", "description", "description_en", "line")
    texts: dict[str, str] = {k: str(fields.get(k) or "").strip() for k in keys}
    raw = fields.get("keywords") or []
    keywords = taxonomy.split_keywords(raw if isinstance(raw, str) else " ".join(raw))
    errors: dict[str, ValidationError] = {}
    if not texts["name"]:
        errors["name"] = ValidationError(_("请填写分类名称。"), code="required")
    limits = {
        "name": NAME_MAX,
        "name_en": NAME_EN_MAX,
        "description": DESCRIPTION_MAX,
        "description_en": DESCRIPTION_EN_MAX,
    }
    for key, limit in limits.items():
        if len(texts[key]) > limit:
            errors[key] = ValidationError(_("不能超过 %d 个字符。") % limit, code="too_long")
    if any(len(w) > KEYWORD_MAX for w in keywords):
        errors["keywords"] = ValidationError(
            _("每个关键词不能超过 %d 个字符。") % KEYWORD_MAX, code="keyword_too_long"
        )
    elif len(keywords) > KEYWORDS_MAX:
        errors["keywords"] = ValidationError(
            _("关键词不能超过 %d 个。") % KEYWORDS_MAX, code="too_many_keywords"
        )
    if texts["line"] not in lines():
        errors["line"] = ValidationError(
            _("没有承办该条线的部门：%s") % (texts["line"] or "—"), code="line_unknown"
        )
    if errors:
        raise ValidationError(errors)
    return {**texts, "keywords": keywords, "active": bool(fields.get("active", True))}


def next_code(group: Category) -> str:
    """The next free 小类 code under a 中类: its code and the two digits after the highest
    child's (01 for the first); a 中类 holds at most 99 leaves."""
    codes = Category.objects.filter(parent=group).values_list("code", flat=True)
    used = [int(c[-2:]) for c in codes if len(c) == taxonomy.LEAF_DIGITS and c[-2:].isdigit()]
    number = max(used, default=0) + 1
    if number > 99:
        raise ValidationError(_("该中类下的小类编码已用完。"), code="codes_exhausted")
    return f"{group.code}{number:02d}"


@transaction.atomic
def do_add_leaf(*, actor, group: Category, **fields: Any) -> Category:
    """新增小类 under a 中类, with the next free code."""
    access.require_edit_taxonomy(actor)
    if group.level != 2:
        raise ValidationError(_("小类只能添加在中类之下。"), code="not_a_group")
    values = _clean_leaf(fields)
    leaf = Category.objects.create(code=next_code(group), parent=group, **values)
    audit.record(
        actor=actor,
        action="hotline.taxonomy.add",
        obj=leaf,
        change={"code": leaf.code, "parent": group.code, "name": leaf.name},
    )
    return leaf


@transaction.atomic
def do_edit_leaf(*, actor, leaf: Category, **fields: Any) -> Category:
    """修改小类: its names, descriptions, keywords, handling line and whether it is active.
    The code and the place in the tree stay (tickets and statistics keep them)."""
    access.require_edit_taxonomy(actor)
    if leaf.level != 3:
        raise ValidationError(_("只能修改小类。"), code="not_a_leaf")
    values = _clean_leaf(fields)
    change = {k: v for k, v in values.items() if getattr(leaf, k) != v}
    for key, value in change.items():
        setattr(leaf, key, value)
    if change:
        leaf.save(update_fields=list(change))
    audit.record(actor=actor, action="hotline.taxonomy.edit", obj=leaf, change=change)
    return leaf


@transaction.atomic
def do_set_leaf_active(*, actor, leaf: Category, active: bool) -> Category:
    """停用 or 启用 a 小类. A node is never deleted: tickets, rules and statistics keep
    pointing at it; a stopped leaf is only no longer offered for new tickets."""
    access.require_edit_taxonomy(actor)
    if leaf.level != 3:
        raise ValidationError(_("只能停用或启用小类。"), code="not_a_leaf")
    if leaf.active != active:
        Category.objects.filter(pk=leaf.pk).update(active=active)
        leaf.active = active
    audit.record(actor=actor, action="hotline.taxonomy.active", obj=leaf, change={"active": active})
    return leaf


def snapshot() -> list[dict[str, Any]]:
    """The whole tree as a version keeps it (every node, active or not), ordered by code."""
    rows = Category.objects.order_by("code").values(
        "code", "parent__code", *(f for f in taxonomy.NODE_FIELDS if f != "parent")
    )
    return [taxonomy.node_dict(r) for r in rows]


@transaction.atomic
def do_publish_taxonomy(
    *, actor, note: str, mapping: dict[str, str] | None = None
) -> TaxonomyVersion:
    """发布新版本: the tree as it stands now, numbered after the last version, with a note
    (and, when a new tree replaced an old one, the old→new code mapping)."""
    access.require_edit_taxonomy(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写版本说明。")}, code="note_required")
    if len(note) > NOTE_MAX:
        raise ValidationError(
            {"note": _("版本说明不能超过 %d 个字符。") % NOTE_MAX}, code="too_long"
        )
    last = TaxonomyVersion.objects.select_for_update().aggregate(n=Max("number"))["n"] or 0
    version = TaxonomyVersion.objects.create(
        number=last + 1,
        note=note,
        published_by=actor,
        snapshot=snapshot(),
        mapping=dict(mapping or {}),
    )
    audit.record(
        actor=actor,
        action="hotline.taxonomy.publish",
        obj=version,
        change={"number": version.number, "note": note, "nodes": len(version.snapshot)},
    )
    return version
