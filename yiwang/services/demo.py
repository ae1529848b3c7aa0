"""The demo city's service hall: 政务服务事项 from ``fixtures/items.json`` (主项 with their
业务办理项, implementation lists, form fields, 秒批 rules and 免证可办 materials) for the
city and the demo counties — every county at ``scale="city"`` — the two 一件事 bundles,
and a window clerk and an approver in every department that receives items (seeded
first: an item is published only when each of its steps has someone to take it).
Deterministic and idempotent: re-running adds only what is missing."""

from __future__ import annotations

import json
import zlib
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from yiwang.core import audit
from yiwang.core.models import Department, Division, OrgUnit, RoleAssignment, User
from yiwang.core.rooms import DemoReport, DemoRun
from yiwang.services.actions.bundles import do_define_bundle
from yiwang.services.actions.items import do_create_item, do_publish_item
from yiwang.services.actions.ratings import seed_demo_ratings
from yiwang.services.models import Bundle, ServiceItem

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "items.json"
CITY = "410800"
DEMO_COUNTIES = ("410823", "410822")  # 武陟县, 博爱县: where the demo staff work
HOURS = "周一至周五 上午 9:00–12:00，下午 13:00–17:00（法定节假日除外）"
# Where an item is handled when it is not the division's 政务服务中心.
PLACES = {
    "GG-0201": "{division}各公安派出所户籍窗口",
    "QR-0202": "{division}各公安派出所户籍窗口",
    "QR-0203": "{division}各公安派出所户籍窗口",
    "QR-0301": "{division}婚姻登记处",
    "GG-0601": "出生医院（助产机构）出生医学证明办理窗口",
    "GG-0701": "户籍或居住地对口学校；网上报名：焦作市义务教育招生报名平台",
    "JF-0302": "户籍所在地乡镇人民政府（街道办事处）便民服务中心",
}
# Every org unit that receives items gets a window clerk and an approver (unless it has
# them already, as the core demo's market bureaus do), so every step of every item has
# someone to take it; civil affairs keeps its department admin (差评整改 call-backs).
HANDLING_ROLES = ("window_clerk", "approver")
EXTRA_STAFF = (("civil_affairs", "dept_admin"),)
# Username part of each line's staff: jiaozuo_police_approver is 焦作市公安局's approver.
LINE_PARTS = {
    "market": "market",
    "civil_affairs": "civil",
    "public_security": "police",
    "human_resources": "hr",
    "housing": "housing",
    "natural_resources": "land",
    "health": "health",
    "education": "edu",
}
ROLE_NAMES = {"window_clerk": "窗口人员", "approver": "审批人员", "dept_admin": "管理员"}
STAFF_PREFIX = {
    "410800": "jiaozuo",
    "410802": "jiefang",
    "410803": "zhongzhan",
    "410804": "macun",
    "410811": "shanyang",
    "410821": "xiuwu",
    "410822": "boai",
    "410823": "wuzhi",
    "410825": "wenxian",
    "410882": "qinyang",
    "410883": "mengzhou",
}


@lru_cache(maxsize=1)
def fixture() -> dict[str, Any]:
    """The demo catalogue (items, form field lists, bundles)."""
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def staff_username(division: str, part: str, role: str) -> str:
    """``jiaozuo_civil_approver`` for the approver of the city's civil affairs bureau
    (``part`` is a line's short name, ``LINE_PARTS``)."""
    return f"{STAFF_PREFIX.get(division, 'd' + division)}_{part}_{role}"


def _divisions(scope: str, scale: str) -> list[str]:
    if scope == "city":
        return [CITY]
    if scale == "city":
        counties = Division.objects.filter(parent_id=CITY, kind=Division.Kind.LEGAL)
        return [CITY, *counties.order_by("code").values_list("code", flat=True)]
    return [CITY, *DEMO_COUNTIES]


def _phone(code: str) -> str:
    return f"0391-{3_000_000 + zlib.crc32(code.encode()) % 7_000_000}"


def _local(spec: dict, division: Division, dept: Department) -> dict:
    """Values of one item as implemented by ``dept`` in ``division``."""
    key = spec["code"].split("-", 1)[1][:7]
    place = PLACES.get(key, "{division}政务服务中心" + (dept.short_name or dept.name) + "窗口")
    return {
        "implementer": dept.name,
        "place": place.format(division=division.name),
        "hours": HOURS,
        "contact_phone": _phone(dept.code),
        "complaint_phone": "12345",
    }


def _child_values(main: dict, child: dict, local: dict, forms: dict) -> dict:
    values = {
        "name": child["name"],
        "kind": child.get("kind", main["kind"]),
        "legal_basis": child.get("legal_basis", main["legal_basis"]),
        "level": "handling",
        "handling": child["handling"],
        "keywords": child.get("keywords", main.get("keywords", "")),
        "life_events": child.get("life_events", main.get("life_events", [])),
        "enterprise_events": child.get("enterprise_events", main.get("enterprise_events", [])),
        "form_fields": forms.get(child.get("form", ""), []),
        "applicants": child.get("applicants", main.get("applicants", "both")),
        **local,
    }
    for key in (
        "conditions",
        "statutory_days",
        "promised_days",
        "visits",
        "fees",
        "licence_type_code",
        "instant_rules",
        "registers_entity",
        "online",
    ):
        if key in child:
            values[key] = child[key]
    return values


def _seed_main(spec: dict, division: Division, forms: dict) -> int:
    """One 主项 and its 业务办理项 in one division, published; returns items created."""
    dept = (
        Department.objects.select_related("division")
        .filter(code=f"{division.code}-{spec['line']}")
        .first()
    )
    if dept is None:
        return 0
    code = spec["code"].format(division=division.code)
    local = _local(spec, division, dept)
    made = 0
    with transaction.atomic():
        main = ServiceItem.objects.filter(code=code).first()
        if main is None:
            main = do_create_item(
                actor=None,
                department=dept,
                code=code,
                values={
                    "name": spec["name"],
                    "kind": spec["kind"],
                    "legal_basis": spec["legal_basis"],
                    "level": "main",
                    "applicants": spec.get("applicants", "both"),
                    "keywords": spec.get("keywords", ""),
                    "life_events": spec.get("life_events", []),
                    "enterprise_events": spec.get("enterprise_events", []),
                    "implementer": dept.name,
                },
            )
            main = do_publish_item(actor=None, item=main)
            made += 1
        for child in spec["children"]:
            child_code = f"{code}-{child['suffix']}"
            if ServiceItem.objects.filter(code=child_code).exists():
                continue
            item = do_create_item(
                actor=None,
                department=dept,
                code=child_code,
                values={**_child_values(spec, child, local, forms), "parent": main},
                materials=child.get("materials", []),
                steps=child.get("steps", []),
            )
            do_publish_item(actor=None, item=item)
            made += 1
    return made


def _seed_bundles(specs: list[dict]) -> int:
    """一件事 bundles over the city's items (published, in the fixture's order)."""
    made = 0
    for spec in specs:
        if Bundle.objects.filter(code=spec["code"]).exists():
            continue
        found = [ServiceItem.objects.filter(code=c).first() for c in spec["items"]]
        items = [i for i in found if i is not None]
        if len(items) != len(found):
            continue
        do_define_bundle(
            actor=None,
            code=spec["code"],
            name=spec["name"],
            kind=spec["kind"],
            description=spec.get("description", ""),
            items=items,
        )
        made += 1
    return made


def _receiving_units(specs: list[dict], scale: str) -> list[OrgUnit]:
    """The org units (division × department) the items of ``specs`` are handled in."""
    codes = sorted(
        {
            f"{division}-{spec['line']}"
            for spec in specs
            for division in _divisions(spec.get("divisions", "county"), scale)
        }
    )
    return list(
        OrgUnit.objects.select_related("department", "division")
        .filter(department__code__in=codes, division_id=F("department__division_id"))
        .order_by("department__code")
    )


def _holds_role(unit: OrgUnit, role: str) -> bool:
    """Whether an active staff member holds ``role`` in ``unit`` itself."""
    return (
        RoleAssignment.objects.filter(role=role, user__is_active=True)
        .filter(Q(org_unit=unit) | Q(org_unit__isnull=True, user__org_unit=unit))
        .exists()
    )


def _seed_staff(units: list[OrgUnit]) -> int:
    """A window clerk and an approver in every unit that receives items (the department
    admin too where ``EXTRA_STAFF`` says), unless the unit has one already; they share
    the admin's password hash. Returns how many were made."""
    from yiwang.core.actions.users import do_create_staff

    admin = User.objects.filter(username="admin").first()
    made = 0
    for unit in units:
        line = unit.department.line
        roles = [*HANDLING_ROLES, *(r for ln, r in EXTRA_STAFF if ln == line)]
        for role in roles:
            username = staff_username(unit.division_id, LINE_PARTS.get(line, line), role)
            if _holds_role(unit, role) or User.objects.filter(username=username).exists():
                continue
            user = do_create_staff(
                actor=None,
                username=username,
                full_name=(unit.department.short_name or unit.department.name) + ROLE_NAMES[role],
                org_unit=unit,
                roles=[role],
                password=None,
                validate=False,
            )
            if admin is not None:
                User.objects.filter(pk=user.pk).update(password=admin.password)
            made += 1
    return made


def spec_key(spec: dict) -> str:
    """A 主项's code without its division, e.g. ``XK-0102`` for 个体工商户登记."""
    return spec["code"].split("-", 1)[1]


def _hall_divisions(scale: str) -> list[Division]:
    """Where the demo has a 政务服务中心: the city and the counties its items are in."""
    codes = _divisions("county", scale)
    return list(Division.objects.filter(pk__in=codes).order_by("code"))


def _hall_units(scale: str) -> list[OrgUnit]:
    """The 政务服务 units running the halls (their window clerks work the queue)."""
    codes = [f"{d.code}-big_data" for d in _hall_divisions(scale)]
    return list(
        OrgUnit.objects.select_related("department", "division")
        .filter(department__code__in=codes, division_id=F("department__division_id"))
        .order_by("department__code")
    )


def _seed_halls(scale: str) -> int:
    """One 政务服务中心 per hall division, kept by its 政务服务和大数据管理局: weekday
    hours 9:00–12:00 and 13:00–17:00, 30-minute slots of 4 places, three window types."""
    from yiwang.services.actions.halls import do_define_hall
    from yiwang.services.models import ServiceHall
    from yiwang.services.models.halls import DEFAULT_HOURS, DEFAULT_WINDOWS

    made = 0
    for division in _hall_divisions(scale):
        code = f"hall-{division.code}"
        department = Department.objects.filter(code=f"{division.code}-big_data").first()
        if department is None or ServiceHall.objects.filter(code=code).exists():
            continue
        do_define_hall(
            actor=None,
            code=code,
            name=f"{division.name}政务服务中心",
            division=division,
            department=department,
            address=f"{division.name}政务服务中心一楼大厅",
            hours=DEFAULT_HOURS,
            windows=DEFAULT_WINDOWS,
        )
        made += 1
    return made


def seed_services_demo(
    *, scale: str = "demo", only: Collection[str] | None = None
) -> dict[str, int]:
    """Seed the demo service hall (see module doc); ``scale="city"`` implements the
    county-level items in every county (a few hundred items). ``only`` names the 主项 to
    seed (``spec_key``; their staff and the bundles wholly among them come too, the
    ratings do not), so one item's implementations can be seeded on their own. Returns
    what was added."""
    data = fixture()
    forms = data.get("forms", {})
    divisions = {d.code: d for d in Division.objects.filter(Q(parent_id=CITY) | Q(pk=CITY))}
    specs = [s for s in data["items"] if only is None or spec_key(s) in only]
    counts = {"items": 0, "bundles": 0, "staff": 0, "halls": 0}
    # Staff first: an item is published only once someone can handle each of its steps.
    counts["staff"] = _seed_staff(_receiving_units(specs, scale))
    for spec in specs:
        for code in _divisions(spec.get("divisions", "county"), scale):
            division = divisions.get(code)
            if division is not None:
                counts["items"] += _seed_main(spec, division, forms)
    counts["bundles"] = _seed_bundles(data.get("bundles", []))
    if only is None:
        counts["halls"] = _seed_halls(scale)
        counts["staff"] += _seed_staff(_hall_units(scale))
        seed_demo_ratings()  # 好差评 and one open 差评整改 (yiwang.services.actions.ratings)
    if any(counts.values()):
        audit.record(
            actor=None, action="services.demo.seed", obj=("services", "demo"), change=counts
        )
    return counts


def seed_for_demo(run: DemoRun) -> DemoReport:
    """``yiwang demo`` (manifest seeder): 政务服务事项, 一件事 bundles and the service
    windows' staff; idempotent, so it runs every time and says only what it added."""
    counts = seed_services_demo(scale=run.scale)
    summary = None
    if any(counts.values()):
        summary = (
            f"services room: {counts['items']} service items, {counts['bundles']} bundles, "
            f"{counts['staff']} staff, {counts['halls']} service halls"
        )
    return DemoReport(summary=summary, accounts=bool(counts["staff"]))
