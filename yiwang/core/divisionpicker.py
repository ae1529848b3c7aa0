"""行政区划选择 (cascading division picker): a place chosen as county → township →
village from the divisions the platform holds, instead of a typed division code.

The picker is plain ``<select>`` elements rendered by the server, one per level, each
listing the children of the level above it; without a script the applicant chooses a
county and presses 下一级, the form comes back with the townships of that county, and so
on. ``web/division-picker.js`` fills the next level in place instead, from
``/api/v1/org/divisions/{code}/children``. The submitted value is the deepest level
chosen whose chain is unbroken (a township that does not belong to the chosen county
is dropped, as if the applicant had changed the county after picking it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _l

from yiwang.core.models import Division

# The levels below the city, in order: the suffix of each select's name and its label.
LEVELS = (
    ("county", _l("县（市、区）")),
    ("township", _l("乡镇（街道）")),
    ("village", _l("村（社区）")),
)
REFRESH = "_division_next"  # the no-script 下一级 button's name


def city_code() -> str:
    """The city whose counties the picker starts from (``YIWANG["CITY_DIVISION"]``)."""
    return str(settings.YIWANG.get("CITY_DIVISION", "410800"))


def children(code: str) -> list[tuple[str, str]]:
    """(code, name) of the legal divisions directly under ``code``, by code."""
    return list(
        Division.objects.filter(parent_id=code, kind=Division.Kind.LEGAL)
        .order_by("code")
        .values_list("code", "name")
    )


def chain(code: str) -> list[str]:
    """The codes from the city's county down to ``code`` (empty when it is not a
    division below the city): the picks that show ``code`` in the picker."""
    root = city_code()
    row = (
        Division.objects.filter(code=code).values_list("path", flat=True).first() if code else None
    )
    if not row:
        return []
    parts = [p for p in str(row).strip("/").split("/") if p]
    if root not in parts:
        return []
    return parts[parts.index(root) + 1 :][: len(LEVELS)]


def picked(data: Mapping[str, Any], name: str) -> str:
    """The division chosen in the picker for field ``name``: the deepest unbroken pick
    among ``<name>__county``, ``<name>__township``, ``<name>__village``, or the plain
    ``<name>`` value when the picker was not used (an API client, an older page)."""
    codes = [str(data.get(f"{name}__{level}") or "").strip() for level, _label in LEVELS]
    if not any(codes):
        return str(data.get(name) or "").strip()
    parents = dict(
        Division.objects.filter(code__in=[c for c in codes if c]).values_list("code", "parent_id")
    )
    above = city_code()
    value = ""
    for code in codes:
        if not code or parents.get(code) != above:
            break
        value = above = code
    return value


def with_picks(data: Mapping[str, Any], names: list[str]):
    """A copy of submitted ``data`` where each division field in ``names`` holds its
    picker's choice (``picked``); ``data`` itself is not changed."""
    out = data.copy() if hasattr(data, "copy") else dict(data)
    for name in names:
        value = picked(data, name)
        if hasattr(out, "setlist"):
            out.setlist(name, [value])
        else:
            out[name] = value
    return out


def levels(name: str, value: str) -> list[dict]:
    """The picker's selects for field ``name`` showing ``value``: a level is listed when
    it has choices (the counties always), each with its options and the pick shown."""
    picks = chain(value)
    out = []
    parent = city_code()
    for depth, (level, label) in enumerate(LEVELS):
        options = children(parent)
        if not options and depth:
            break
        chosen = picks[depth] if depth < len(picks) else ""
        out.append(
            {
                "level": level,
                "label": label,
                "name": f"{name}__{level}",
                "options": options,
                "value": chosen,
            }
        )
        if not chosen:
            break
        parent = chosen
    return out


def place_name(code: str) -> str:
    """The names from the county down to ``code`` run together (武陟县城关镇第一社区), as
    an address starts; empty for a code outside the city."""
    codes = chain(code)
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    return "".join(names.get(c, "") for c in codes)


def with_place(address: str, code: str) -> str:
    """The address text led by the picked division's names, unless it already names
    them (so the 12345 locator reads the place from the text it always reads)."""
    lead = place_name(code) if code else ""
    address = (address or "").strip()
    if not lead or address.startswith(lead) or lead in address:
        return address
    return lead + address
