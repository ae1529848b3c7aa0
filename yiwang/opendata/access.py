"""Who may do what in the open data room (deny by default). Reading the open catalogue
is public; publishing needs ``opendata.publish`` over the providing department."""

from __future__ import annotations

from yiwang.core.access import departments_in_scope


def may_publish(user, department) -> bool:
    """Whether ``user`` may publish datasets that ``department`` provides (数据开放)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return departments_in_scope(user, "opendata.publish").filter(pk=department.pk).exists()
