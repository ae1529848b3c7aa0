"""The demo city's data room: data standards, the synthetic people and enterprises loaded
into the 人口库 and 法人库, some credit records and places (WGS84 within 焦作), data
stewards of the source departments, and a few draft and submitted catalogue entries.
Deterministic (``yiwang.core.synth``) and idempotent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice
from random import Random
from typing import Any

from django.db import transaction

from yiwang.core import audit
from yiwang.core.models import Department, OrgUnit, User
from yiwang.core.rooms import DemoReport, DemoRun

CITY = "410800"
CHUNK = 2000
# Data stewards (数据专员) of the departments that are the sources of the base registries.
STEWARD_LINES = {
    "public_security": "公安局数据专员",
    "market": "市场监管局数据专员",
    "development": "发展改革委数据专员",
    "natural_resources": "自然资源局数据专员",
    "civil_affairs": "民政局数据专员",
}
# Rough bounding box of 焦作 in WGS84 (longitude, latitude).
LON = (112.6, 113.6)
LAT = (35.1, 35.4)
PLACE_KINDS = (
    ("政务服务中心", "政务服务"),
    ("便民服务站", "政务服务"),
    ("中心小学", "学校"),
    ("初级中学", "学校"),
    ("卫生院", "医疗机构"),
    ("社区卫生服务中心", "医疗机构"),
    ("养老服务中心", "养老机构"),
    ("文化广场", "公共场所"),
    ("派出所", "公安机关"),
    ("公交首末站", "交通设施"),
)
CREDIT_TITLES = (
    ("licensing", "食品经营许可", "焦作市市场监督管理局"),
    ("licensing", "建筑工程施工许可", "焦作市住房和城乡建设局"),
    ("redlist", "纳税信用A级纳税人", "国家税务总局焦作市税务局"),
    ("penalty", "未按规定公示年度报告", "焦作市市场监督管理局"),
    ("commitment", "告知承诺制审批信用承诺", "焦作市政务服务和大数据管理局"),
)
DEMO_RESOURCES = (
    # provider, node, name, share, status, items (name, element)
    (
        "public_security",
        "301",
        "流动人口居住登记信息",
        "conditional",
        "submitted",
        (("公民身份号码", "DE00001"), ("姓名", "DE00002"), ("居住地址", "DE00007")),
    ),
    (
        "market",
        "203",
        "食品经营许可信息",
        "unconditional",
        "draft",
        (("统一社会信用代码", "DE00101"), ("经营者名称", "DE00102"), ("许可日期", "DE00205")),
    ),
    (
        "natural_resources",
        "103",
        "学校和医疗机构分布",
        "unconditional",
        "draft",
        (
            ("地名地址编码", "DE00301"),
            ("名称", "DE00302"),
            ("经度", "DE00305"),
            ("纬度", "DE00306"),
        ),
    ),
)

Progress = Callable[[str, int], None] | None


def steward_username(line: str) -> str:
    """``jiaozuo_public_security_steward`` for the city public security's data steward."""
    return f"jiaozuo_{line}_steward"


def _chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _dept(line: str) -> Department:
    return Department.objects.get(code=f"{CITY}-{line}")


def _stewards() -> dict[str, User]:
    """The city source departments' data stewards (demo accounts), sharing the admin's
    password hash so no extra slow hash is computed."""
    from yiwang.core.actions.users import do_create_staff

    admin = User.objects.filter(username="admin").first()
    out = {}
    for line, full_name in STEWARD_LINES.items():
        username = steward_username(line)
        user = User.objects.filter(username=username).first()
        if user is None:
            unit = OrgUnit.objects.filter(
                department__code=f"{CITY}-{line}", division_id=CITY
            ).first()
            if unit is None:
                continue
            user = do_create_staff(
                actor=None,
                username=username,
                full_name=full_name,
                org_unit=unit,
                roles=["data_steward"],
                password=None,
                validate=False,
            )
            if admin is not None:
                User.objects.filter(pk=user.pk).update(password=admin.password)
        out[line] = user
    return out


def _load(registry: str, rows: Iterable[dict], line: str, progress: Progress) -> int:
    from yiwang.data.models import DataResource
    from yiwang.data.registry import apply_rows, derive

    resource = DataResource.objects.get(registry=registry, status="published")
    department = _dept(line)
    total = 0
    for chunk in _chunks(rows):
        with transaction.atomic():
            out = apply_rows(
                registry=registry,
                rows=[derive(registry, r) for r in chunk],
                resource=resource,
                department=department,
                reason="demo",
            )
        total += out.created + out.updated
        if progress:
            progress(registry, len(chunk))
    return total


def _people(synth, n: int) -> Iterator[dict]:
    for p in synth.people(n):
        yield {
            "id_number": p["id_number"],
            "name": p["full_name"],
            "gender": "1" if p["sex"] == "M" else "2",
            "birth_date": p["birth_date"],
            "division": p["division"],
            "phone": p["phone"],
        }


def _enterprises(synth, n: int) -> Iterator[dict]:
    rng = Random(f"{synth.seed}:registry-enterprises")
    for e in synth.enterprises(n):
        yield {
            "credit_code": e["credit_code"],
            "name": e["name"],
            "entity_type": e["entity_type"],
            "legal_rep_name": e["legal_rep"],
            "registered_capital": Decimal(rng.randrange(10, 50000)),
            "established": dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9000)),
            "division": e["division"],
            "status": "存续",
        }


def _credit(synth, n: int) -> Iterator[dict]:
    rng = Random(f"{synth.seed}:credit")
    for e in synth.enterprises(n):
        if e["index"] % 4:
            continue
        kind, title, authority = CREDIT_TITLES[rng.randrange(len(CREDIT_TITLES))]
        decided = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(700))
        yield {
            "record_number": f"JZXY{e['index'] + 1:07d}",
            "kind": kind,
            "subject_code": e["credit_code"],
            "subject_name": e["name"],
            "title": title,
            "decided_on": decided,
            "valid_until": decided + dt.timedelta(days=365 * 3),
            "authority": authority,
        }


def _places(synth, n: int) -> Iterator[dict]:
    from yiwang.core.models import Division

    rng = Random(f"{synth.seed}:places")
    names = dict(Division.objects.filter(parent_id=CITY).values_list("code", "name"))
    for i in range(n):
        division = synth.county(rng)
        suffix, kind = PLACE_KINDS[i % len(PLACE_KINDS)]
        area = names.get(division, "焦作市")
        yield {
            "code": f"JZDM{i + 1:06d}",
            "name": f"{area}第{i // len(PLACE_KINDS) + 1}{suffix}",
            "kind": kind,
            "address": f"{area}{rng.randrange(1, 300)}号",
            "division": division,
            "longitude": round(rng.uniform(*LON), 6),
            "latitude": round(rng.uniform(*LAT), 6),
        }


def _resources(stewards: dict[str, User]) -> int:
    """A few catalogue entries in progress: drafts and one waiting for review."""
    from yiwang.data.actions.catalogue import do_draft_resource, do_submit_resource
    from yiwang.data.models import DataResource

    made = 0
    for line, node, name, share, status, items in DEMO_RESOURCES:
        steward = stewards.get(line)
        if steward is None or DataResource.objects.filter(name=name).exists():
            continue
        r = do_draft_resource(
            actor=steward,
            provider=_dept(line),
            catalogue=node,
            values={
                "name": name,
                "abstract": f"{name}（演示数据）。",
                "share_type": share,
                "share_condition": "用于政务服务办理，需说明用途。"
                if share == "conditional"
                else "",
                "open_type": "none",
                "update_cycle": "daily",
                "grade": "general",
                "level": 4 if line == "public_security" else 2,
            },
            items=[{"name": n, "element": code} for n, code in items],
        )
        if status == "submitted":
            do_submit_resource(actor=steward, resource=r)
        made += 1
    return made


def _optional(module: str):
    """The module when that area is installed, else None."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def seed_data_demo(*, synth, people: int, enterprises: int, progress: Progress = None) -> dict:
    """Seed the demo data room (see module doc); re-running adds nothing. ``progress``
    is called with (registry, rows) after each chunk."""
    from yiwang.data.actions.standards import do_seed_data_standards
    from yiwang.data.models import CreditRecord, LegalEntity, Person, Place

    counts: dict[str, Any] = {"standards": do_seed_data_standards(actor=None)}
    stewards = _stewards()
    if not Person.objects.exists():
        counts["people"] = _load("person", _people(synth, people), "public_security", progress)
    if not LegalEntity.objects.exists():
        counts["enterprises"] = _load(
            "legal_entity", _enterprises(synth, enterprises), "market", progress
        )
    if not CreditRecord.objects.exists():
        counts["credit"] = _load("credit", _credit(synth, enterprises), "development", progress)
    if not Place.objects.exists():
        places = max(20, min(200, people // 10))
        counts["places"] = _load("place", _places(synth, places), "natural_resources", progress)
    with transaction.atomic():
        counts["resources"] = _resources(stewards)
    for module, name in (("sharing", "seed_demo_sharing"), ("objections", "seed_demo_objections")):
        seed = getattr(_optional(f"yiwang.data.actions.{module}"), name, None)
        if seed is not None:
            counts[module] = seed(actor=None)
    audit.record(
        actor=None,
        action="data.demo.seed",
        obj=("data", "demo"),
        change={k: v for k, v in counts.items() if isinstance(v, int)},
    )
    return counts


def seed_for_demo(run: DemoRun) -> DemoReport:
    """``yiwang demo`` (manifest seeder): on the run that seeds the demo city, the data
    standards, people and enterprises in the base registries, and the stewards."""
    if not run.first_run:
        return DemoReport()
    from yiwang.core.synth import CitySynth

    counts = seed_data_demo(synth=CitySynth(), people=run.people, enterprises=run.enterprises)
    return DemoReport(
        summary=(
            f"data room: {counts.get('people', 0)} people, {counts.get('enterprises', 0)} "
            f"enterprises, {counts.get('credit', 0)} credit records, "
            f"{counts.get('places', 0)} places, {counts.get('resources', 0)} catalogue drafts"
        ),
        accounts=True,
    )
