"""Where a ticket is: the division named in its address text (县区, then 乡镇街道 within
it), else the nearest county seat to its WGS84 coordinates; a place outside the city is
refused. County seats are approximate: a city that loads real boundaries replaces them."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from yiwang.core.models import Division

CITY_CODE = "410800"
# Bounding box of 焦作市 (WGS84), a little generous at the edges.
CITY_BOX = {"lon": (112.55, 113.70), "lat": (34.78, 35.52)}
# Approximate county seats (WGS84 longitude, latitude).
COUNTY_SEATS = {
    "410802": (113.229, 35.240),
    "410803": (113.176, 35.236),
    "410804": (113.322, 35.266),
    "410811": (113.255, 35.213),
    "410821": (113.447, 35.230),
    "410822": (113.064, 35.171),
    "410823": (113.403, 35.099),
    "410825": (113.081, 34.941),
    "410882": (112.950, 35.088),
    "410883": (112.789, 34.906),
}
_CITY_WORD = re.compile(r"([\u4e00-\u9fa5]{2,3})市")
_SUFFIXES = ("县", "区", "市")


def _short(name: str) -> str:
    for s in _SUFFIXES:
        if name.endswith(s) and len(name) > 2:
            return name[: -len(s)]
    return name


@lru_cache(maxsize=4)
def _index(signature: tuple[int, str]) -> dict:
    """Names of counties and townships, built once per set of divisions."""
    counties: dict[str, str] = {}
    townships: dict[str, dict[str, str]] = {}
    unique_townships: dict[str, list[str]] = {}
    rows = Division.objects.filter(path__startswith=f"/{CITY_CODE}/").exclude(
        level__in=["village", "city"]
    )
    for d in rows.values("code", "name", "level", "parent_id", "zone_id"):
        if d["level"] == "county":
            counties[d["name"]] = d["code"]
            counties.setdefault(_short(d["name"]), d["code"])
        elif d["level"] == "township":
            townships.setdefault(d["parent_id"], {})[d["name"]] = d["code"]
            unique_townships.setdefault(d["name"], []).append(d["code"])
    return {
        "counties": sorted(counties.items(), key=lambda kv: -len(kv[0])),
        "townships": townships,
        "unique": {n: c[0] for n, c in unique_townships.items() if len(c) == 1},
        "city_names": {"焦作", *(_short(n) for n in counties)},
    }


def _names() -> dict:
    rows = Division.objects.filter(path__startswith=f"/{CITY_CODE}/")
    return _index((rows.count(), str(rows.order_by("-code").values_list("code", flat=True)[:1])))


def in_city(longitude: float, latitude: float) -> bool:
    """Whether a WGS84 point lies within the city's box."""
    return (
        CITY_BOX["lon"][0] <= longitude <= CITY_BOX["lon"][1]
        and CITY_BOX["lat"][0] <= latitude <= CITY_BOX["lat"][1]
    )


def division_from_address(address: str) -> str | None:
    """Code of the most specific division the address names, or None."""
    text = (address or "").strip()
    if not text:
        return None
    idx = _names()
    county = next((code for name, code in idx["counties"] if name in text), None)
    if county:
        for name, code in sorted(
            idx["townships"].get(county, {}).items(), key=lambda kv: -len(kv[0])
        ):
            if name in text:
                return code
        return county
    for name, code in idx["unique"].items():
        if name in text:
            return code
    return None


def names_other_city(address: str) -> bool:
    """True when the address names a city (…市) that is neither 焦作 nor one of its own."""
    idx = _names()
    return any(m not in idx["city_names"] for m in _CITY_WORD.findall(address or ""))


def nearest_county(longitude: float, latitude: float) -> str:
    """The county whose seat is nearest to the point (equirectangular distance)."""
    k = math.cos(math.radians(latitude))
    return min(
        COUNTY_SEATS,
        key=lambda c: (
            ((COUNTY_SEATS[c][0] - longitude) * k) ** 2 + (COUNTY_SEATS[c][1] - latitude) ** 2
        ),
    )


def locate(address: str = "", longitude: float | None = None, latitude: float | None = None):
    """The ticket's division code: from the address, else from the coordinates, else the
    city itself; raises ValidationError for a place outside 焦作市 or half a coordinate."""
    if (longitude is None) != (latitude is None):
        raise ValidationError({"location": _("经度和纬度须同时填写。")}, code="location_incomplete")
    if longitude is not None and latitude is not None and not in_city(longitude, latitude):
        raise ValidationError(
            {
                "location": _("该位置不在焦作市范围内（经度 %(lon).4f，纬度 %(lat).4f）。")
                % {"lon": longitude, "lat": latitude}
            },
            code="location_outside",
        )
    code = division_from_address(address)
    if code is None and address and names_other_city(address):
        raise ValidationError(
            {"address": _("地址不在焦作市范围内，请拨打当地 12345 热线。")},
            code="location_outside",
        )
    if code is None and longitude is not None and latitude is not None:
        code = nearest_county(longitude, latitude)
    return code or CITY_CODE
