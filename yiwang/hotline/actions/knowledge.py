"""Writes to the 12345 知识库: departments keep their agreed answers (答复口径) —
create, edit, withdraw — and agents cite them when they answer a caller at once
(即接即办), which counts the entry's hits."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.models import Department
from yiwang.hotline import access
from yiwang.hotline.knowledge import search_text_for
from yiwang.hotline.models import Category, KnowledgeEntry, Ticket

State = KnowledgeEntry.State
LIMITS = {"question": 200, "answer": 5000, "keywords": 200, "legal_basis": 300}
LABELS = {
    "question": "问题",
    "answer": "答复口径",
    "keywords": "关键词",
    "legal_basis": "依据",
}


def _clean(values: dict) -> dict:
    errors: dict[str, list[str]] = {}
    out: dict = {}
    for key, limit in LIMITS.items():
        text = str(values.get(key) or "").replace("\x00", "").strip()
        label = _(LABELS[key])
        if key in ("question", "answer") and not text:
            errors.setdefault(key, []).append(_("请填写%s。") % label)
        if len(text) > limit:
            errors.setdefault(key, []).append(
                _("%(l)s过长（最多 %(n)s 个字符）。") % {"l": label, "n": limit}
            )
        out[key] = text
    state = values.get("state") or State.PUBLISHED
    if state not in State.values:
        errors.setdefault("state", []).append(_("状态不正确。"))
    out["state"] = state
    category = values.get("category")
    if category is not None and not isinstance(category, Category):
        errors.setdefault("category", []).append(_("诉求分类不正确。"))
    out["category"] = category
    valid_until = values.get("valid_until")
    if valid_until is not None and not isinstance(valid_until, dt.date):
        errors.setdefault("valid_until", []).append(_("有效期格式不正确。"))
    out["valid_until"] = valid_until
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def do_save_entry(
    *,
    actor,
    entry: KnowledgeEntry | None = None,
    department: Department,
    question: str,
    answer: str,
    keywords: str = "",
    legal_basis: str = "",
    category: Category | None = None,
    valid_until: dt.date | None = None,
    state: str = State.PUBLISHED,
) -> KnowledgeEntry:
    """编写或修改知识条目 of a department the actor keeps (moving an entry needs both
    departments); refreshes its search words."""
    if department is None:
        raise ValidationError({"department": _("请选择维护部门。")})
    access.require_manage_knowledge(actor, department)
    if entry is not None and entry.department_id != department.pk:
        access.require_manage_knowledge(actor, entry.department)
    values = _clean(
        {
            "question": question,
            "answer": answer,
            "keywords": keywords,
            "legal_basis": legal_basis,
            "category": category,
            "valid_until": valid_until,
            "state": state,
        }
    )
    created = entry is None
    if entry is None:
        entry = KnowledgeEntry(department=department)
    else:
        entry = KnowledgeEntry.objects.select_for_update().get(pk=entry.pk)
    before = {k: getattr(entry, k) for k in values} if not created else {}
    entry.department = department
    for key, value in values.items():
        setattr(entry, key, value)
    entry.search_text = search_text_for(entry.question, entry.answer, entry.keywords)
    entry.updated_by = actor if getattr(actor, "pk", None) else None
    entry.save()
    changed = sorted(k for k in values if created or before.get(k) != values[k])
    audit.record(
        actor=actor,
        action="hotline.knowledge.create" if created else "hotline.knowledge.update",
        obj=entry,
        change={
            "department": department.code,
            "question": entry.question,
            "state": entry.state,
            "fields": changed,
        },
    )
    return entry


@transaction.atomic
def do_withdraw_entry(*, actor, entry: KnowledgeEntry, reason: str = "") -> KnowledgeEntry:
    """停用知识条目: agents no longer find it; it stays for the record."""
    access.require_manage_knowledge(actor, entry.department)
    entry = KnowledgeEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.state == State.WITHDRAWN:
        raise ValidationError(_("该知识条目已停用。"), code="already_withdrawn")
    previous = entry.state
    entry.state = State.WITHDRAWN
    entry.updated_by = actor if getattr(actor, "pk", None) else None
    entry.save(update_fields=["state", "updated_by", "updated_at"])
    audit.record(
        actor=actor,
        action="hotline.knowledge.withdraw",
        obj=entry,
        change={"from": previous, "reason": (reason or "")[:500]},
    )
    return entry


@transaction.atomic
def do_cite_entry(*, actor, entry: KnowledgeEntry, ticket: Ticket | None = None) -> KnowledgeEntry:
    """引用知识条目: an agent answered with this entry (即接即办); counts one hit."""
    access.require_cite(actor)
    if entry.state != State.PUBLISHED:
        raise ValidationError(_("该知识条目未发布或已停用，不能引用。"), code="not_published")
    if entry.valid_until is not None and entry.valid_until < timezone.localdate():
        raise ValidationError(_("该知识条目已过有效期，不能引用。"), code="expired")
    KnowledgeEntry.objects.filter(pk=entry.pk).update(hits=F("hits") + 1)
    entry.refresh_from_db(fields=["hits"])
    audit.record(
        actor=actor,
        action="hotline.knowledge.cite",
        obj=entry,
        change={"ticket": ticket.number if ticket is not None else ""},
    )
    return entry
