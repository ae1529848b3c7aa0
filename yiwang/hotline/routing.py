"""派单: which department handles a matter in a place. A routing rule for the category (or
an ancestor category) at the division (or an ancestor division) wins, most specific
first; otherwise the category's line at the nearest level that has that department."""

from __future__ import annotations

from yiwang.core.models import Department, Division
from yiwang.hotline.models import Category, RoutingRule


def _ancestors(division: Division) -> list[str]:
    """Division codes from the division itself up to the top."""
    return [c for c in division.path.strip("/").split("/")][::-1]


def _category_chain(category: Category) -> list[int]:
    chain: list[int] = []
    seen: Category | None = category
    while seen is not None and len(chain) < 5:
        chain.append(seen.pk)
        seen = seen.parent
    return chain


def route(category: Category | None, division: Division) -> Department | None:
    """The responsible department, or None when nothing names one (an agent decides)."""
    if category is None:
        return None
    divisions = _ancestors(division)
    chain = _category_chain(category)
    rules = {
        (r.category_id, r.division_id): r
        for r in RoutingRule.objects.filter(
            category_id__in=chain, division_id__in=divisions
        ).select_related("department")
    }
    for div in divisions:
        for cat in chain:
            rule = rules.get((cat, div))
            if rule is not None:
                return rule.department
    line = category.line or (category.parent.line if category.parent is not None else "")
    if not line:
        return None
    found = {
        d.division_id: d for d in Department.objects.filter(line=line, division_id__in=divisions)
    }
    return next((found[d] for d in divisions if d in found), None)
