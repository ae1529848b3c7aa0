"""Every demo service completes: each published 业务办理项 of the demo hall, as each
division implements it, and each 一件事 bundle is applied for with valid data by the
right kind of applicant (群众 or 企业, per the item's 服务对象), taken through every
workflow step to 办结 by the staff the demo seeds and the workflow names (or by 秒批),
and ends approved, with its e-licence issued to the right holder and in that holder's
证照夹. One test per item implementation, so a broken one names itself."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from yiwang.core.identifiers import make_credit_code, make_id_number
from yiwang.services.demo import CITY, DEMO_COUNTIES, fixture, seed_services_demo, spec_key

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE = "13812345678"
ADDRESS = "河南省焦作市武陟县木城镇建设路 8 号"
CITIZEN_ID = "11010519491231002X"  # 张三 (the ``citizen`` fixture)
SPOUSE_ID = make_id_number("410823", dt.date(1990, 5, 1), 13)
CHILD_ID = make_id_number("410823", dt.date(2019, 6, 1), 21)
OTHER_ID = make_id_number("410822", dt.date(1950, 2, 3), 35)
ENTERPRISE_CODE = make_credit_code("91", "410823", "MA3XYW12")
# The step that moves an application on, in the order the workflow offers them.
FORWARD = ("accept", "review", "approve")
# Who does a step when the workflow lets several roles do it: the window takes in.
ROLE_ORDER = ("window_clerk", "approver", "dept_admin")


@dataclass(frozen=True)
class Target:
    """One item implementation to complete: 主项 key, 业务办理项 suffix, division and
    the kind of applicant."""

    spec: str
    suffix: str
    division: str
    kind: str  # person / entity

    @property
    def code(self) -> str:
        return f"{self.division}-{self.spec}-{self.suffix}"

    @property
    def id(self) -> str:
        return f"{self.code}-{self.kind}"


def _applicant_kinds(main: dict, child: dict) -> list[str]:
    applicants = child.get("applicants", main.get("applicants", "both"))
    return ["person", "entity"] if applicants == "both" else [applicants]


def _targets() -> list[Target]:
    """Every 业务办理项 of the fixture in every division the demo implements it in."""
    out = []
    for main in fixture()["items"]:
        scope = main.get("divisions", "county")
        divisions = [CITY] if scope == "city" else [CITY, *DEMO_COUNTIES]
        for division in divisions:
            for child in main["children"]:
                for kind in _applicant_kinds(main, child):
                    out.append(Target(spec_key(main), child["suffix"], division, kind))
    return out


TARGETS = _targets()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass
class World:
    """The applicant, their registry records and licences, and the client to act with."""

    client: Any
    user: Any
    kind: str
    held: dict[str, Any] = field(default_factory=dict)  # licence type slug → Licence

    @property
    def holder_id(self) -> str:
        return self.user.id_number if self.kind == "person" else self.user.credit_code


@pytest.fixture
def world(client, city, licence_types, registry, citizen, enterprise_user):
    """Both kinds of applicant in the base registries (人口库 / 法人库); the test picks
    one."""
    registry(
        "person",
        {
            "id_number": citizen.id_number,
            "name": citizen.full_name,
            "division": "410823",
            "phone": citizen.phone,
        },
    )
    registry(
        "legal_entity",
        {
            "credit_code": enterprise_user.credit_code,
            "name": enterprise_user.enterprise_name,
            "legal_rep_name": citizen.full_name,
            "legal_rep_id": citizen.id_number,
            "address": ADDRESS,
            "established": dt.date(2020, 5, 8),
            "registered_capital": "100",
            "business_scope": "餐饮服务；食品销售",
            "division": "410823",
        },
    )

    def make(kind: str) -> World:
        return World(client, citizen if kind == "person" else enterprise_user, kind)

    return make


# --- valid values ------------------------------------------------------------------


def licence_values(licence_type) -> dict[str, str]:
    """照面信息 for a licence the applicant already holds."""
    by_type = {"address": ADDRESS, "name": "李四", "id_number": SPOUSE_ID}
    return {
        f["key"]: by_type.get(f.get("type", ""), f"测试{f.get('label', f['key'])}")
        for f in licence_type.fields or []
    }


def hold_licences(w: World, item) -> None:
    """The licences a valid applicant for ``item`` holds: those its materials and 秒批
    rules name (when the applicant's kind can hold them) and, for a 变更/延续/补发, the
    one being replaced."""
    from yiwang.licences.models import LicenceType
    from yiwang.licences.public import do_issue_licence

    slugs = {m.licence_type_code for m in item.materials.all() if m.licence_type_code}
    for rule in item.instant_rules or []:
        for cond in rule.get("when", []):
            operand = str(cond.get("field", ""))
            if operand.startswith("licence."):
                slugs.add(operand.split(".", 1)[1])
    if item.handling in ("change", "renewal", "other") and item.licence_type_code:
        slugs.add(item.licence_type_code)
    fits = {"person": ("person", "any"), "entity": ("entity", "any")}[w.kind]
    for t in LicenceType.objects.filter(slug__in=slugs, holder_kind__in=fits):
        if t.slug in w.held:
            continue
        w.held[t.slug] = do_issue_licence(
            actor=None,
            licence_type=t,
            holder_name=w.user.full_name if w.kind == "person" else w.user.enterprise_name,
            holder_id=w.holder_id,
            holder_id_type="111" if w.kind == "person" else "001",
            data=licence_values(t),
            source="测试：申请人已持有",
        )


def _number_of(w: World, *slugs: str) -> str:
    for slug in slugs:
        if slug in w.held:
            return w.held[slug].number
    return "JY14108230000001"


def _bounded(f: dict, wanted: float) -> int | float:
    low, high = f.get("min"), f.get("max")
    if low is not None:
        wanted = max(wanted, low)
    if high is not None:
        wanted = min(wanted, high)
    return wanted


def field_value(f: dict, w: World, item) -> str:
    """A valid answer to one 申请表 question, as a real applicant would give it: their
    own facts where the item reads them (their credit code, their licences' numbers)."""
    name, kind = f["name"], f.get("type", "text")
    today = timezone.localdate()
    special = {
        "licence_number": lambda: _number_of(w, item.licence_type_code, "food_business"),
        "permit_number": lambda: _number_of(w, "residence_permit"),
        "marriage_no": lambda: _number_of(w, "marriage"),
        "trade_name": lambda: "武陟县张三小吃店",
        "mother_id": lambda: CITIZEN_ID,
        "child_id": lambda: CHILD_ID,
        "child_birth": lambda: "2019-06-01" if "child_id" in item_fields(item) else str(today),
        "spouse_id": lambda: SPOUSE_ID,
        "unit_no": lambda: "410811001001GB00001F00010001",
    }
    if name in special:
        return str(special[name]())
    by_kind = {
        "select": lambda: str((f.get("choices") or [[""]])[0][0]),
        "checkbox": lambda: "1",
        "date": lambda: str(today),
        "number": lambda: str(_bounded(f, 50)),
        "integer": lambda: str(_bounded(f, 12)),
        "name": lambda: "李四",
        "id_number": lambda: OTHER_ID,
        "credit_code": lambda: w.user.credit_code if w.kind == "entity" else ENTERPRISE_CODE,
        "phone": lambda: PHONE,
        "division": lambda: item.division_id,
        "address": lambda: ADDRESS,
        "textarea": lambda: f"{f.get('label', name)}：按实际情况填写",
    }
    if kind in by_kind:
        return str(by_kind[kind]())
    return f"测试{f.get('label', name)}"[: f.get("max_length", 200)]


def item_fields(item) -> set[str]:
    return {f["name"] for f in item.form_fields or []}


def form_for(fields: list[dict], w: World, item) -> dict[str, str]:
    return {f["name"]: field_value(f, w, item) for f in fields}


# --- acting as staff -----------------------------------------------------------------


def acting_staff(case, roles: set[str]):
    """A demo staff member holding one of ``roles`` whose reach covers the case — the
    one the workflow step waits for (None: the case sits in nobody's inbox)."""
    from yiwang.core.access import holders

    for role in sorted(roles, key=lambda r: ROLE_ORDER.index(r) if r in ROLE_ORDER else 99):
        found = holders([role], division_path=case.division.path, department=case.department)
        if found:
            return sorted(found, key=lambda u: u.pk)[0]
    return None


def take_to_done(client, app) -> list[str]:
    """Take every step of the application's case to a final state through the staff
    page, each by someone who holds the role; returns the actions taken."""
    from yiwang.core.workflow import definition_of

    taken: list[str] = []
    for _step in range(10):
        app.refresh_from_db()
        case = app.flow
        case.refresh_from_db()
        if case.closed_at is not None:
            return taken
        d = definition_of(case.workflow)
        offered = {a.code: a for a in d.actions_from(case.state)}
        code = next((c for c in FORWARD if c in offered), None)
        assert code is not None, f"{app.item.code}: no step forward from {case.state}"
        staff = acting_staff(case, set(offered[code].roles))
        assert staff is not None, (
            f"{app.item.code}: nobody can take 「{offered[code].name}」 in "
            f"{case.department.name} ({case.division_id})"
        )
        client.force_login(staff)
        r = client.post(
            reverse("services:staff-application", args=[app.number]),
            {"op": "act", "action": code, "comment": "经审查，符合条件。"},
        )
        assert r.status_code == 302, (
            f"{app.item.code}: 「{offered[code].name}」 by {staff.username} refused: " + _refusal(r)
        )
        taken.append(code)
    raise AssertionError(f"{app.item.code}: not done after {taken}")


def _refusal(response) -> str:
    """The error summary of a refused page, for the failure message."""
    import re

    html = response.content.decode()
    box = re.search(r'role="alert".*?</(div|section)>', html, re.S)
    text = re.sub(r"<[^>]+>", " ", box.group(0) if box else html[:2000])
    return f"{response.status_code} " + " ".join(text.split())


def check_no_step_errors(app) -> None:
    """秒批 that held but could not finish leaves its reason on the case."""
    comments = " ".join(app.flow.events.values_list("comment", flat=True))
    assert "自动办结未能完成" not in comments, comments


def expected_holder(app) -> tuple[str, str]:
    """(holder id, id type) the item's licence must go to: the applicant — beside a
    设立登记 in a 一件事, the entity it registered, for whom the founder applied — or, for
    the 设立登记 itself, the market entity it registers, with a new 统一社会信用代码 of
    the registration's type in the item's division (GB 32100)."""
    from yiwang.core.identifiers import validate_credit_code
    from yiwang.licences.models import Licence

    registers = app.item.registers_entity
    if registers:
        licence = Licence.objects.get(identifier=app.licence_identifier)
        code = validate_credit_code(licence.holder_id)
        assert code[:2] == registers and code[2:8] == app.item.division_id[:6]
        return code, "001"
    return app.applicant_id_number, app.applicant_id_type


def entity_account(w: World, code: str, name: str):
    """The new entity's own 企业 account, as its 经营者 makes it: registered under the
    code and name (checked against the 法人库), then confirmed by the 经营者 from their
    实名 personal account (法定代表人核验, which the 法人库 record makes possible)."""
    from yiwang.core.actions.assurance import do_confirm_enterprise
    from yiwang.core.actions.users import do_register_enterprise
    from yiwang.core.models import User

    account = User.objects.filter(kind="enterprise", credit_code=code).first()
    if account is None:
        account = do_register_enterprise(
            username=f"e{code.lower()}",
            enterprise_name=name,
            credit_code=code,
            full_name=w.user.full_name,
            password="Jz-test-pass-2026",
            phone=PHONE,
            validate=False,
        )
        do_confirm_enterprise(actor=w.user, enterprise=account)
    return account


def check_licence(app, w: World) -> None:
    """The item's e-licence was issued to the right holder and shows in their 证照夹."""
    from yiwang.licences.models import Licence
    from yiwang.licences.public import find_valid_licence

    if not app.item.licence_type_code:
        assert not app.licence_identifier
        return
    assert app.licence_identifier, f"{app.item.code}: approved without its licence"
    licence = Licence.objects.get(identifier=app.licence_identifier)
    holder_id, id_type = expected_holder(app)
    assert licence.licence_type.slug == app.item.licence_type_code
    assert (licence.holder_id, licence.holder_id_type) == (holder_id, id_type)
    assert licence.issuer == app.department
    found = find_valid_licence(holder_id=holder_id, type_code=app.item.licence_type_code)
    assert found is not None and found.pk == licence.pk
    holder = w.user
    if holder_id != w.holder_id:  # a new entity: its own 企业 account sees it
        holder = entity_account(w, holder_id, licence.holder_name)
    w.client.force_login(holder)
    page = w.client.get(reverse("licences:wallet-detail", args=[licence.pk]))
    assert page.status_code == 200 and licence.number in page.content.decode()


def material_files(needs) -> dict[str, SimpleUploadedFile]:
    """A file for every material the applicant must supply (the rest are 免证)."""
    return {
        n.key: SimpleUploadedFile(f"{n.spec.pk}.pdf", PDF + str(n.spec.pk).encode())
        for n in needs
        if not n.satisfied
    }


# --- the tests ------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS, ids=[t.id for t in TARGETS])
def test_every_demo_item_completes(target: Target, world):
    from yiwang.services.materials import resolve_materials
    from yiwang.services.models import Application, ServiceItem

    seed_services_demo(only={target.spec})
    item = ServiceItem.objects.get(code=target.code)
    assert item.status == "published"
    w = world(target.kind)
    hold_licences(w, item)
    needs = resolve_materials(
        item, id_type="111" if w.kind == "person" else "001", id_number=w.holder_id
    )
    w.client.force_login(w.user)
    r = w.client.post(
        reverse("services:apply", args=[item.code]),
        {**form_for(item.form_fields, w, item), **material_files(needs)},
    )
    assert r.status_code == 302, f"{item.code}: apply refused: " + _refusal(r)
    app = Application.objects.get(item=item)
    if item.instant_rules:
        app.refresh_from_db()
        check_no_step_errors(app)
        assert app.decided_by_rule, f"{item.code}: 秒批 did not hold: " + " ".join(
            app.flow.events.values_list("comment", flat=True)
        )
    take_to_done(w.client, app)
    app.refresh_from_db()
    check_no_step_errors(app)
    assert app.flow.state == "completed" and app.outcome == Application.Outcome.APPROVED
    assert app.completed_at is not None
    assert (app.applicant_id_number, app.applicant) == (w.holder_id, w.user)
    check_licence(app, w)


BUNDLES = [b["code"] for b in fixture()["bundles"]]


@pytest.mark.parametrize("code", BUNDLES)
def test_every_demo_bundle_completes(code: str, world):
    from yiwang.services.actions.bundles import (
        applicant_kind,
        bundle_items,
        bundle_status,
        combined_fields,
        material_groups,
    )
    from yiwang.services.models import Bundle, BundleApplication

    spec = next(b for b in fixture()["bundles"] if b["code"] == code)
    seed_services_demo(only={c.split("-", 1)[1].rsplit("-", 1)[0] for c in spec["items"]})
    bundle = Bundle.objects.get(code=code)
    items = bundle_items(bundle)
    w = world(applicant_kind(bundle, items))
    for item in items:
        hold_licences(w, item)
    groups, _per_item = material_groups(items, applicant_of(w))
    uploads = {
        g.key: SimpleUploadedFile(f"{g.key}.pdf", PDF + g.key.encode())
        for g in groups
        if not g.satisfied
    }
    form = {f["name"]: field_value(f, w, items[0]) for f in combined_fields(bundle, items)}
    w.client.force_login(w.user)
    r = w.client.post(reverse("services:bundle-apply", args=[code]), {**form, **uploads})
    assert r.status_code == 302, f"{code}: apply refused: " + _refusal(r)
    submission = BundleApplication.objects.get(bundle=bundle)
    parts = list(submission.parts.select_related("item").order_by("id"))
    for app in parts:
        take_to_done(w.client, app)
        app.refresh_from_db()
        check_no_step_errors(app)
        assert app.outcome == "approved", app.item.code
        assert app.applicant == w.user
        check_licence(app, w)
    founded = {expected_holder(a)[0] for a in parts if a.item.registers_entity}
    for app in parts:  # beside a 设立登记, the parts were the new entity's applications
        if founded and not app.item.registers_entity:
            assert {app.applicant_id_number} == founded, app.item.code
    submission.refresh_from_db()
    assert submission.completed_at is not None
    assert bundle_status(submission)["code"] == "completed"


def applicant_of(w: World):
    from yiwang.services.actions.applications import applicant_from_account

    return applicant_from_account(w.user)


def _generates(target: Target) -> bool:
    """Whether the target's 业务办理项 lists a 申请书/申请表 the platform generates."""
    for main in fixture()["items"]:
        if spec_key(main) != target.spec:
            continue
        for child in main["children"]:
            if child["suffix"] == target.suffix:
                return any(m.get("generated") for m in child.get("materials", []))
    return False


GENERATING = [t for t in TARGETS if _generates(t)]


@pytest.mark.parametrize("target", GENERATING, ids=[t.id for t in GENERATING])
def test_generated_application_form_needs_no_upload(target: Target, world):
    """Every demo item whose materials include a 申请书/申请表 the platform generates from
    the online form: the apply page offers no upload for it and shows it as provided
    (「系统根据申请表自动生成」); applying without uploading it succeeds, and the
    application's material shows it so to the applicant."""
    from yiwang.services.materials import resolve_materials
    from yiwang.services.models import Application, Material, ServiceItem

    seed_services_demo(only={target.spec})
    item = ServiceItem.objects.get(code=target.code)
    generated = [m for m in item.materials.all() if m.generated]
    assert generated, item.code
    w = world(target.kind)
    hold_licences(w, item)
    w.client.force_login(w.user)
    page = w.client.get(reverse("services:apply", args=[item.code])).content.decode()
    assert "系统根据申请表自动生成" in page
    for spec in generated:
        assert f'name="material_{spec.pk}"' not in page, spec.name
    needs = resolve_materials(
        item, id_type="111" if w.kind == "person" else "001", id_number=w.holder_id
    )
    files = material_files([n for n in needs if not n.spec.generated])
    assert not any(f"material_{spec.pk}" in files for spec in generated)
    r = w.client.post(
        reverse("services:apply", args=[item.code]),
        {**form_for(item.form_fields, w, item), **files},
    )
    assert r.status_code == 302, f"{item.code}: apply refused: " + _refusal(r)
    app = Application.objects.get(item=item)
    for spec in generated:
        stored = app.materials.get(spec=spec)
        assert stored.source == Material.Source.GENERATED
    shown = w.client.get(reverse("services:my-application", args=[app.number])).content.decode()
    assert "系统根据申请表自动生成" in shown
