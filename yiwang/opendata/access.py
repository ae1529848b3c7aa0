"""Who may do what in the open data room (deny by default). Reading the open catalogue
is public; publishing needs ``opendata.publish`` over the providing department."""

from __future__ import annotations

from django.utils.translation import gettext as _

from yiwang.core.access import covers, require


def may_publish(user, department) -> bool:
    """Whether ``user`` may publish datasets that ``department`` provides (数据开放)."""
    return covers(user, "opendata.publish", department=department)


def require_publish(actor, department) -> None:
    """Refuse unless ``actor`` holds ``opendata.publish`` over ``department``."""
    require(
        actor,
        "opendata.publish",
        department=department,
        message=_("您没有发布该部门开放数据的权限。"),
    )
