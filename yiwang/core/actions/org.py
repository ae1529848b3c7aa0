"""Writes to the organisation model: divisions, departments, org units."""

from __future__ import annotations

import json
from importlib import resources

from django.db import transaction

from yiwang.core import audit, crypto
from yiwang.core.identifiers import make_credit_code
from yiwang.core.models import Department, Division, OrgUnit


def _data(name: str) -> dict:
    return json.loads(resources.files("yiwang.core.data").joinpath(name).read_text("utf-8"))


def _org8(seed: str) -> str:
    """A deterministic 8-character organisation-code body from a seed string."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    digest = crypto.sm3(seed.encode())
    return "".join(alphabet[b % len(alphabet)] for b in digest[:8])


@transaction.atomic
def do_seed_org(*, actor, townships: bool = True) -> dict[str, int]:
    """Load 焦作's divisions (GB/T 2260 city and ten county-level divisions, the 示范区
    management zone kept apart), city and county departments and their org units.
    Idempotent: existing rows are kept."""
    div = _data("divisions.json")
    deps = _data("departments.json")
    created = {"divisions": 0, "departments": 0, "org_units": 0}

    def division(code, name, level, parent, kind="legal", population=None):
        obj, new = Division.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "parent": parent,
                "kind": kind,
                "population": population,
            },
        )
        created["divisions"] += new
        return obj

    city = division(
        div["city"]["code"], div["city"]["name"], "city", None, population=div["city"]["population"]
    )
    counties = [
        division(c["code"], c["name"], "county", city, population=c["population"])
        for c in div["counties"]
    ]
    z = div["zone"]
    zone = division(z["code"], z["name"], "county", city, kind="zone")
    legal_parent = Division.objects.get(code=z["legal_parent"])
    for i, name in enumerate(z["townships"], start=1):
        t = division(f"{legal_parent.code}{200 + i:03d}", name, "township", legal_parent)
        if t.zone_id != zone.code:
            t.zone = zone
            t.save(update_fields=["zone"])
    if townships:
        for county in counties:
            for i, tname in enumerate(div["townships_per_county"], start=1):
                t = division(f"{county.code}{i:03d}", f"{county.name}{tname}", "township", county)
                for j, vname in enumerate(div["villages_per_township"], start=1):
                    division(f"{t.code}{j:03d}", f"{tname}{vname}", "village", t)

    def department(division_obj, line, name, short, parent=None):
        code = f"{division_obj.code}-{line}"
        obj, new = Department.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "short_name": short,
                "line": line,
                "division": division_obj,
                "parent": parent,
                "credit_code": make_credit_code("11", division_obj.code[:6], _org8(code)),
            },
        )
        created["departments"] += new
        _, unit_new = OrgUnit.objects.get_or_create(
            department=obj, division=division_obj, defaults={"name": name}
        )
        created["org_units"] += unit_new
        return obj

    city_deps = {
        d["line"]: department(city, d["line"], d["name"], d["short"]) for d in deps["city"]
    }
    for county in counties:
        for line in deps["county_lines"]:
            department(
                county,
                line,
                county.name + deps["county_names"][line],
                deps["county_short"][line],
                parent=city_deps[line],
            )
    audit.record(
        actor=actor, action="core.org.seed", obj=("core.division", city.code), change=created
    )
    return created


@transaction.atomic
def do_create_division(
    *,
    actor,
    code: str,
    name: str,
    level: str,
    parent: Division | None,
    kind: str = "legal",
    zone: Division | None = None,
) -> Division:
    """Add a division (e.g. a new township) under its legal parent."""
    from yiwang.core.identifiers import validate_division_code

    code = validate_division_code(code)
    obj = Division(code=code, name=name, level=level, parent=parent, kind=kind, zone=zone)
    obj.full_clean()
    obj.save()
    audit.record(
        actor=actor,
        action="core.division.create",
        obj=obj,
        change={"name": name, "level": level, "parent": parent and parent.code},
    )
    return obj
