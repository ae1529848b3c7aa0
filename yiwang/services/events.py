"""生命周期事件: the life events of a person (个人) and of an enterprise (企业) by which
the service hall groups items; items store the codes in ``life_events`` /
``enterprise_events``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LIFE_EVENTS: tuple[tuple[str, object], ...] = (
    ("birth", _("出生")),
    ("schooling", _("入学")),
    ("employment", _("就业")),
    ("marriage", _("婚育")),
    ("residence", _("户籍与居住")),
    ("housing", _("置业")),
    ("social_assistance", _("社会救助")),
    ("social_security", _("社会保障")),
    ("retirement", _("退休")),
    ("death", _("身后事")),
)
ENTERPRISE_EVENTS: tuple[tuple[str, object], ...] = (
    ("opening", _("开办")),
    ("licensing", _("准营")),
    ("change", _("变更")),
    ("operation", _("经营")),
    ("construction", _("投资建设")),
    ("hiring", _("用工")),
    ("closing", _("注销")),
)
LIFE = dict(LIFE_EVENTS)
ENTERPRISE = dict(ENTERPRISE_EVENTS)


def event_label(code: str) -> str:
    """The Chinese name of a life or enterprise event code ('' when unknown)."""
    label = LIFE.get(code) or ENTERPRISE.get(code)
    return str(label) if label else ""
