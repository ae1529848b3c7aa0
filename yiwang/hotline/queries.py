"""Reads of the 12345 hotline room shared by its pages (and open to its API): the ticket
row lists show with its step and deadlines, the categories grouped under their 大类, and
the public timeline (no staff names, no personal data). They write nothing."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from yiwang.core.inbox import acting_states, waiting_q
from yiwang.core.workflow import definition_of
from yiwang.hotline.models import Category, Ticket
from yiwang.hotline.stats import is_overdue

PUBLIC_EVENTS = {
    "start",
    "dispatch",
    "redispatch",
    "sign",
    "reply",
    "answer_now",
    "conclude",
    "reopen",
    "archive",
    "hand_off",
    "merge",
    "approve_extension",
    "send_back",
}


def state_name(ticket: Ticket) -> str:
    """The ticket's step as people read it (e.g. 已派单待签收)."""
    if ticket.case_id is None:
        return ""
    return definition_of(ticket.flow.workflow).state_name(ticket.flow.state)


def row(ticket: Ticket, today=None) -> dict[str, Any]:
    """One ticket as lists show it: number, matter, place, department, step, deadlines."""
    today = today or timezone.localdate()
    case = ticket.case
    return {
        "ticket": ticket,
        "state": case.state if case else "",
        "state_name": state_name(ticket),
        "case_due": case.case_due if case else None,
        "state_due": case.state_due if case else None,
        "overdue": is_overdue(case, today),
        "escalation": case.escalation_level if case else 0,
    }


def rows(qs) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [row(t, today) for t in qs]


def with_case(qs):
    return qs.select_related("case__workflow", "category", "division", "department")


# What a list row (``row``) does not show: the caller's encrypted contact, the request's
# and the answer's full text.
LIST_DEFERRED = ("contact_name", "contact_phone", "content", "reply")


def for_list(qs):
    """``qs`` loading what a list row shows and no more: nothing decrypted, and each
    case's workflow (a large JSON definition) read once per page, not once per row."""
    return (
        qs.select_related("case", "category", "division", "department")
        .prefetch_related("case__workflow")
        .defer(*LIST_DEFERRED)
    )


def waiting(user, qs=None):
    """待办工单: the tickets waiting for the user — the cases of ``core.inbox.waiting_q``
    (the inbox's one definition) read through their tickets, so the console's queues, the
    department's 待办 and the workbench's count agree."""
    qs = qs if qs is not None else Ticket.objects.all()
    return qs.filter(waiting_q(user, "case__"))


# The ticket's open steps in the order the console lists its queues.
QUEUE_STATES = ("registered", "returned", "replied", "concluded", "extension", "dispatched")


def queue_states(user) -> list[str]:
    """The ticket steps the user's roles act in, in the console's order: one queue each."""
    acting = acting_states(user)
    return [s for s in QUEUE_STATES if s in acting]


def category_groups() -> list[tuple[Category, list[Category]]]:
    """Active leaf categories (小类) grouped under their parent (中类 of the three-level
    tree), for select boxes; a group is labelled with its parent's name."""
    cats = list(Category.objects.filter(active=True).order_by("code"))
    by_pk = {c.pk: c for c in cats}
    parents = {c.parent_id for c in cats}
    groups: dict[int, list[Category]] = {}
    for c in cats:
        if c.pk not in parents and c.parent_id in by_pk:
            groups.setdefault(c.parent_id, []).append(c)
    return [(by_pk[pk], leaves) for pk, leaves in groups.items()]


def _matches(node: Category, needle: str) -> bool:
    hay = [node.code, node.name, node.name_en, *(node.keywords or [])]
    return any(needle in str(h).lower() for h in hay)


def taxonomy_tree(q: str = "", *, active: bool = False) -> list[dict[str, Any]]:
    """诉求分类 as the editing page shows it: 大类 → 中类 → 小类 (only the active ones with
    ``active``), each 大类 and 中类 with its count of leaves; ``q`` keeps the leaves whose
    code, name, English name or a keyword contains it (and 中类 and 大类 matching by name
    keep all theirs)."""
    needle = (q or "").strip().lower()
    cats = list(Category.objects.filter(**({"active": True} if active else {})).order_by("code"))
    kids: dict[int | None, list[Category]] = {}
    for c in cats:
        kids.setdefault(c.parent_id, []).append(c)
    tree: list[dict[str, Any]] = []
    for top in kids.get(None, []):
        groups: list[dict[str, Any]] = []
        for group in kids.get(top.pk, []):
            leaves = kids.get(group.pk, [])
            if needle and not (_matches(top, needle) or _matches(group, needle)):
                leaves = [leaf for leaf in leaves if _matches(leaf, needle)]
                if not leaves:
                    continue
            groups.append({"node": group, "leaves": leaves, "count": len(leaves)})
        if groups or not needle:
            count = sum(len(g["leaves"]) for g in groups)
            tree.append({"node": top, "groups": groups, "count": count})
    return tree


def line_choices() -> list[tuple[str, str]]:
    """承办条线 a leaf may name, as a select offers them: each line that departments have,
    labelled with the city department's short name (住建局 …) where there is one."""
    from yiwang.core.models import Department

    rows = Department.objects.exclude(line="").values_list("line", "short_name", "division__level")
    names: dict[str, str] = {}
    for line, short, level in rows:
        if level == "city" or line not in names:
            names[line] = f"{short or line}（{line}）"
    return sorted(names.items())


def _field_label(name: str) -> str:
    """A node field's name as the page shows it (名称, 关键词与同义词 …)."""
    return str(getattr(Category._meta.get_field(name), "verbose_name", name))


def taxonomy_versions() -> list[tuple[Any, dict[str, list]]]:
    """诉求分类版本, newest first, each with what changed from the version before it."""
    from yiwang.hotline import taxonomy
    from yiwang.hotline.models import TaxonomyVersion

    rows = list(TaxonomyVersion.objects.select_related("published_by").order_by("number"))
    out: list[tuple[Any, dict[str, list]]] = []
    before = None
    for version in rows:
        change: dict[str, list] = taxonomy.diff(before, version.snapshot) if before else {}
        for item in change.get("changed", []):
            item["labels"] = [_field_label(f) for f in item["fields"]]
        out.append((version, change))
        before = version.snapshot
    return out[::-1]


def public_timeline(ticket: Ticket) -> list[dict[str, Any]]:
    """Steps a citizen sees: what happened and when, which department; no staff names."""
    d = definition_of(ticket.flow.workflow)
    out = []
    for e in ticket.flow.events.all():
        if e.action not in PUBLIC_EVENTS:
            continue
        out.append(
            {
                "at": e.at,
                "label": d.event_label(e.action),
                "state": d.state_name(e.to_state) if e.to_state else "",
            }
        )
    return out


# --- 分类模型 (the classifier page) ---


def classifier_versions() -> list:
    """Model versions, newest first, without their (large) model JSON."""
    from yiwang.hotline.models import ClassifierVersion

    return list(
        ClassifierVersion.objects.defer("model")
        .select_related("created_by", "promoted_by")
        .order_by("-number")
    )


def label_accuracy(months: int = 12) -> dict:
    """Accuracy over time from agents' labels (分类标注): per month, the share of labels
    whose suggested leaf was the final one — overall, per 大类 and per leaf. Labels
    without a suggestion (the agent chose the category at intake) are left out. One
    grouped query; the 大类 sums are made from its rows."""
    from django.db.models import Count, F, Q
    from django.db.models.functions import TruncMonth

    from yiwang.hotline.models import ClassificationLabel

    rows = list(
        ClassificationLabel.objects.filter(predicted__isnull=False)
        .annotate(month=TruncMonth("at"))
        .values("month", "leaf__code", "leaf__name")
        .annotate(n=Count("id"), hits=Count("id", filter=Q(predicted_id=F("leaf_id"))))
        .order_by("month", "leaf__code")
    )
    month_keys = sorted({r["month"].strftime("%Y-%m") for r in rows})[-months:]
    leaves: dict[str, dict] = {}
    tops: dict[str, dict] = {}
    total: dict[str, list[int]] = {m: [0, 0] for m in month_keys}
    for r in rows:
        m = r["month"].strftime("%Y-%m")
        if m not in total:
            continue
        for table, key, name in (
            (leaves, r["leaf__code"], r["leaf__name"]),
            (tops, r["leaf__code"][:2], ""),
        ):
            entry = table.setdefault(key, {"code": key, "name": name, "months": {}})
            cell = entry["months"].setdefault(m, [0, 0])
            cell[0] += r["hits"]
            cell[1] += r["n"]
        total[m][0] += r["hits"]
        total[m][1] += r["n"]

    def share(cell):
        return round(cell[0] / cell[1], 4) if cell and cell[1] else None

    def finish(table):
        out = []
        for entry in sorted(table.values(), key=lambda e: e["code"]):
            hits = sum(c[0] for c in entry["months"].values())
            n = sum(c[1] for c in entry["months"].values())
            entry["series"] = [share(entry["months"].get(m)) for m in month_keys]
            entry["labels"], entry["accuracy"] = n, share([hits, n])
            out.append(entry)
        return out

    return {
        "months": month_keys,
        "overall": [share(total[m]) for m in month_keys],
        "level1": finish(tops),
        "leaves": finish(leaves),
    }
