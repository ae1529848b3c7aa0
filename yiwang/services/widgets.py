"""Pickers on the 申请表 (行政区划 and 经营范围 choosers) and the answers shown in them.

A ``division`` field is answered with the cascading division picker
(``core.divisionpicker``: county → township → village selects, plain HTML that works
without a script); a text field with ``picker: "scope"`` offers the standard 经营范围
entries (``fixtures/business_scope.json``) as check boxes whose ticked entries join the
typed text. ``collapse`` turns what the pickers sent into the plain values the form's
checks (``formdata.clean_form``) and the actions expect, so pages, the window and the API
share one set of rules."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from yiwang.core import divisionpicker

SCOPE_FILE = Path(__file__).resolve().parent / "fixtures" / "business_scope.json"
SCOPE_SEP = "；"


@lru_cache(maxsize=1)
def scope_groups() -> list[tuple[str, list[str]]]:
    """经营范围 entries to choose from, by group (许可项目, 一般项目)."""
    data = json.loads(SCOPE_FILE.read_text(encoding="utf-8"))
    return [(g["name"], list(g["items"])) for g in data["groups"]]


def scope_text(typed: str, ticked: list[str]) -> str:
    """The 经营范围 answer: the typed text followed by each ticked entry it lacks."""
    known = {e for _g, items in scope_groups() for e in items}
    parts = [p.strip() for p in typed.replace(";", SCOPE_SEP).split(SCOPE_SEP) if p.strip()]
    for entry in ticked:
        if entry in known and entry not in parts:
            parts.append(entry)
    return SCOPE_SEP.join(parts)


def is_refresh(data: Mapping[str, Any]) -> bool:
    """The no-script 下一级 button of a division picker sent the form (not a submit)."""
    return divisionpicker.REFRESH in data


def collapse(fields: list[dict], data: Mapping[str, Any]):
    """A copy of the submitted ``data`` with each picker's choice as its field's value:
    a division field holds the deepest division picked, a scope field its text with the
    ticked entries joined in."""
    divisions = [f["name"] for f in fields or [] if f.get("type") == "division"]
    out = divisionpicker.with_picks(data, divisions)
    for f in fields or []:
        if f.get("picker") != "scope":
            continue
        name = f["name"]
        ticked = data.getlist(f"{name}__scope") if hasattr(data, "getlist") else []
        if ticked:
            value = scope_text(str(data.get(name) or ""), [str(t) for t in ticked])
            if hasattr(out, "setlist"):
                out.setlist(name, [value])
            else:
                out[name] = value
    return out


def decorate(bound: list[dict], known: Mapping[str, Any] | None = None) -> list[dict]:
    """Template rows (``formdata.bound_fields``) with their pickers filled in and, for
    answers the platform already knew (``prefill.known_answers``), where each came from."""
    known = known or {}
    for row in bound:
        if row["type"] == "division":
            row["levels"] = divisionpicker.levels(row["name"], str(row["value"] or ""))
            row["refresh"] = divisionpicker.REFRESH
        if row.get("picker") == "scope":
            row["scope_groups"] = scope_groups()
        found = known.get(row["name"])
        if found is not None:
            row["known"] = found.note
    return bound
