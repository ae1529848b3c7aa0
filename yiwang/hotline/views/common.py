"""Pieces only the hotline pages need: the choices their forms offer."""

from __future__ import annotations

from typing import Any

from yiwang.hotline.models import Channel, Emergency, Kind, Urgency
from yiwang.hotline.queries import category_groups


def choices() -> dict[str, Any]:
    return {
        "kinds": Kind.choices,
        "channels": Channel.choices,
        "urgencies": Urgency.choices,
        "emergencies": [c for c in Emergency.choices if c[0]],
        "category_groups": category_groups(),
    }
