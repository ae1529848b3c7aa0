"""免填写 and the form pickers, through the apply page: every demo item whose 申请表 reads
facts the platform holds (account, 人口库, 法人库, e-licences) shows them filled in with
where they came from; the division picker is plain selects that work without a script;
经营范围 entries ticked in the scope picker join the typed text."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse

from yiwang.services.demo import CITY, fixture, seed_services_demo, spec_key

pytestmark = pytest.mark.django_db

PERSON_ADDRESS = "河南省焦作市武陟县木城镇建设路 8 号"
ENTITY_ADDRESS = "河南省焦作市博爱县清化镇人民路 18 号"
ENTERPRISE_PHONE = "13900001111"
SCOPE = "餐饮服务；食品销售"


def _cases() -> list[tuple[str, str, str]]:
    """(主项 key, 业务办理项 suffix, applicant kind) of every demo item whose form has a
    field the platform may answer (a ``prefill`` source, or a phone)."""
    forms = fixture()["forms"]
    out = []
    for main in fixture()["items"]:
        for child in main["children"]:
            fields = forms.get(child.get("form", ""), [])
            if not any(f.get("prefill") or f.get("type") == "phone" for f in fields):
                continue
            applicants = child.get("applicants", main.get("applicants", "both"))
            for kind in ("person", "entity") if applicants == "both" else (applicants,):
                out.append((spec_key(main), child["suffix"], kind))
    return out


CASES = _cases()


@pytest.fixture
def facts(city, licence_types, registry, citizen, enterprise_user):
    """The citizen in 人口库 (武陟县), the enterprise in 法人库 (博爱县), both with phones."""
    registry(
        "person",
        {
            "id_number": citizen.id_number,
            "name": citizen.full_name,
            "division": "410823",
            "address": PERSON_ADDRESS,
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
            "address": ENTITY_ADDRESS,
            "established": dt.date(2020, 5, 8),
            "registered_capital": "100",
            "business_scope": SCOPE,
            "division": "410822",
        },
    )
    enterprise_user.phone = ENTERPRISE_PHONE
    enterprise_user.save()
    return {"person": citizen, "entity": enterprise_user}


def _hold(user, kind: str, slug: str):
    """A valid licence of type ``slug`` held by the applicant, when their kind may hold it."""
    from yiwang.licences.models import LicenceType
    from yiwang.licences.public import do_issue_licence

    fits = ("person", "any") if kind == "person" else ("entity", "any")
    t = LicenceType.objects.filter(slug=slug, holder_kind__in=fits).first()
    if t is None:
        return None
    return do_issue_licence(
        actor=None,
        licence_type=t,
        holder_name=user.full_name if kind == "person" else user.enterprise_name,
        holder_id=user.id_number if kind == "person" else user.credit_code,
        holder_id_type="111" if kind == "person" else "001",
        data={f["key"]: "测试" for f in t.fields or []},
        source="测试：申请人已持有",
    )


def expected(source: str, user, kind: str, item) -> str | None:
    """What the page should show for a field reading ``source``, from the test's own
    facts (None: nothing known, the field stays empty)."""
    person = kind == "person"
    if source == "phone":
        return user.phone or None
    if source == "name":
        return user.full_name if person else user.enterprise_name
    if source == "credit_code":
        return None if person else user.credit_code
    if source == "address":
        return PERSON_ADDRESS if person else ENTITY_ADDRESS
    if source == "division":
        return "410823" if person else "410822"
    if source == "business_scope":
        return None if person else SCOPE
    if source.startswith("licence"):
        slug = source.partition(":")[2] or item.licence_type_code
        held = _hold(user, kind, slug) if slug else None
        return held.number if held is not None else None
    raise AssertionError(f"unknown prefill source {source}")


def _shown(page: str, field: dict, value: str | None) -> bool:
    name = field["name"]
    if field["type"] in ("select", "checkbox"):
        return value is None  # no demo choice is prefilled
    if field["type"] == "division":
        if value is None:
            return (
                f'name="{name}__county"' in page
                and "selected" not in page.split(f'name="{name}__county"')[1].split("</select>")[0]
            )
        return f'<option value="{value}" selected>' in page
    if field["type"] == "textarea":
        body = page.split(f'name="{name}"', 1)[1].split("</textarea>", 1)[0]
        return body.endswith(">" + html.escape(value or ""))
    return f'name="{name}" value="{html.escape(value or "")}"' in page


@pytest.mark.parametrize("spec,suffix,kind", CASES, ids=[f"{s}-{x}-{k}" for s, x, k in CASES])
def test_every_demo_form_is_prefilled_from_what_the_platform_knows(
    spec, suffix, kind, facts, client
):
    from yiwang.services.models import ServiceItem
    from yiwang.services.prefill import source_of

    seed_services_demo(only={spec})
    item = ServiceItem.objects.get(code=f"{CITY}-{spec}-{suffix}")
    user = facts[kind]
    wanted = {
        f["name"]: expected(source_of(f), user, kind, item)
        for f in item.form_fields
        if source_of(f)
    }
    client.force_login(user)
    page = client.get(reverse("services:apply", args=[item.code])).content.decode()
    assert ('id="prefilled"' in page) == any(v for v in wanted.values())
    for f in item.form_fields:
        value = wanted.get(f["name"])
        assert _shown(page, f, value), f"{item.code} {f['name']}: expected {value!r}"
        assert (f'id="f-{f["name"]}-known"' in page) == bool(value), f["name"]
        if f["type"] == "id_number":  # other people's numbers are never guessed
            assert f'name="{f["name"]}" value=""' in page


def test_every_prefill_source_is_walked():
    """The demo forms between them read every prefill source but 经营范围 (which the
    scope picker test covers), so the walk above reaches each kind of fact."""
    from yiwang.services.prefill import SOURCES, source_of

    used = {
        source_of(f).partition(":")[0] for fields in fixture()["forms"].values() for f in fields
    }
    assert set(SOURCES) - used <= {"business_scope"}


def test_an_answer_the_applicant_changes_is_what_is_filed(facts, client):
    from yiwang.services.models import Application

    seed_services_demo(only={"JF-0302"})
    item = _item_with("dibao")
    client.force_login(facts["person"])
    page = client.get(reverse("services:apply", args=[item.code])).content.decode()
    assert '<option value="410823" selected>' in page
    # Without a script: pick the county, press 下一级, the townships are listed.
    data = _valid(item, {"division__county": "410822"})
    r = client.post(
        reverse("services:apply", args=[item.code]), {**data, "_division_next": "division"}
    )
    assert r.status_code == 200 and not Application.objects.exists()
    body = r.content.decode()
    assert 'name="division__township"' in body and '<option value="410822" selected>' in body
    township = _first_child("410822")
    data = _valid(item, {"division__county": "410822", "division__township": township})
    r = client.post(reverse("services:apply", args=[item.code]), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    app = Application.objects.get()
    assert app.form_data["division"] == township


def test_a_township_of_another_county_is_not_taken(facts, client):
    from yiwang.services.models import Application

    seed_services_demo(only={"JF-0302"})
    item = _item_with("dibao")
    client.force_login(facts["person"])
    data = _valid(
        item, {"division__county": "410823", "division__township": _first_child("410822")}
    )
    r = client.post(reverse("services:apply", args=[item.code]), data)
    assert r.status_code == 302
    assert Application.objects.get().form_data["division"] == "410823"


def test_scope_picker_joins_ticked_entries(facts, client):
    from yiwang.services.models import Application

    seed_services_demo(only={"XK-0102"})
    item = _item_with("individual")
    client.force_login(facts["person"])
    page = client.get(reverse("services:apply", args=[item.code])).content.decode()
    assert 'name="scope__scope" value="日用百货销售"' in page
    data = _valid(item, {"scope": "小吃", "scope__scope": ["日用百货销售", "家政服务", "不在表中"]})
    data["division"] = "410823"
    r = client.post(reverse("services:apply", args=[item.code]), data)
    assert r.status_code == 302, r.content.decode()[:3000]
    assert Application.objects.get().form_data["scope"] == "小吃；日用百货销售；家政服务"


def test_division_children_api(city, citizen, client):
    client.force_login(citizen)
    rows = client.get("/api/v1/org/divisions/410823/children").json()
    assert rows and all(r["parent"] == "410823" for r in rows)
    assert [r["code"] for r in rows] == sorted(r["code"] for r in rows)


def test_a_bad_prefill_source_is_refused():
    from django.core.exceptions import ValidationError

    from yiwang.services.formspec import clean_form_fields

    ok = clean_form_fields(
        [{"name": "n", "label": "号", "type": "text", "prefill": "licence:food_business"}]
    )
    assert ok[0]["prefill"] == "licence:food_business"
    for bad in ({"prefill": "salary"}, {"picker": "map"}, {"prefill": 3}):
        with pytest.raises(ValidationError):
            clean_form_fields([{"name": "n", "label": "号", "type": "text", **bad}])


# --- helpers ---


def _item_with(form: str):
    from yiwang.services.models import ServiceItem

    for main in fixture()["items"]:
        for child in main["children"]:
            if child.get("form") == form:
                return ServiceItem.objects.get(code=f"{CITY}-{spec_key(main)}-{child['suffix']}")
    raise AssertionError(form)


def _first_child(code: str) -> str:
    from yiwang.core.models import Division

    return (
        Division.objects.filter(parent_id=code).order_by("code").values_list("code", flat=True)[0]
    )


def _valid(item, extra: dict) -> dict:
    """Valid answers for every field of ``item``'s form and a file for every material the
    citizen must supply, then ``extra``."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from yiwang.services.materials import resolve_materials

    out: dict = {}
    for need in resolve_materials(item, id_type="111", id_number="11010519491231002X"):
        if not need.satisfied:
            out[need.key] = SimpleUploadedFile("m.pdf", b"%PDF-1.4\n%%EOF\n" + need.key.encode())
    for f in item.form_fields:
        kind = f["type"]
        if kind == "select":
            out[f["name"]] = f["choices"][0][0]
        elif kind in ("integer", "number"):
            out[f["name"]] = str(f.get("min", 1) if f.get("min", 1) > 0 else 1)
        elif kind == "phone":
            out[f["name"]] = "13812345678"
        elif kind == "checkbox":
            out[f["name"]] = "1"
        elif kind == "date":
            out[f["name"]] = "2026-01-05"
        elif kind != "division":
            out[f["name"]] = "测试"
    out.update(extra)
    return out
