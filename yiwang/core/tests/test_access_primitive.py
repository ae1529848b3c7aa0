"""The one access primitive (``core.access``): ``covers`` answers "does this user hold
permission P over this place and department", ``restrict``/``scope`` narrow a queryset by
the same rule, ``require`` guards actions. Walked systematically: every role × a city and
a county org unit × places in the own county, another county, the city and another
department — and each answer compared with ``scope`` on a real queryset."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiwang.core import access
from yiwang.core.models import OrgUnit
from yiwang.core.roles import ROLES

pytestmark = pytest.mark.django_db

# The places a grant is asked about: (name, division code, department line).
PLACES = {
    "city_market": ("410800", "market"),
    "own_county_market": ("410823", "market"),
    "other_county_market": ("410822", "market"),
    "own_county_housing": ("410823", "housing"),
    "city_housing": ("410800", "housing"),
}
# Where a role held in the market department reaches (city- or county-level unit).
REACH = {
    "410800": {"city_market", "own_county_market", "other_county_market"},  # 条线
    "410823": {"own_county_market"},
}
# Where a city-wide role reaches: the whole city from city level, one county from a
# county (a county leader or auditor never reads another county).
CITY_WIDE_REACH = {
    "410800": set(PLACES),
    "410823": {"own_county_market", "own_county_housing"},
}
ALL_PERMS = sorted({p for role in ROLES.values() for p in role.permissions})


@pytest.fixture
def places(city):
    return {name: city.unit(code, line) for name, (code, line) in PLACES.items()}


def _expected(role, perm: str, holder: str) -> set[str]:
    if perm not in role.permissions:
        return set()
    if role.city_wide:
        return CITY_WIDE_REACH[holder]
    return REACH[holder]


@pytest.mark.parametrize("role_code", sorted(ROLES))
@pytest.mark.parametrize("holder", sorted(REACH))
def test_every_role_covers_exactly_its_jurisdiction(make_staff, places, role_code, holder):
    user = make_staff(role_code, holder, "market")
    role = ROLES[role_code]
    units = OrgUnit.objects.filter(pk__in=[u.pk for u in places.values()])
    for perm in [*ALL_PERMS, "no.such_permission"]:
        expected = _expected(role, perm, holder)
        said = {
            name
            for name, unit in places.items()
            if access.covers(user, perm, division=unit.division, department=unit.department)
        }
        assert said == expected, (role_code, holder, perm)
        # The queryset form agrees row for row, in both spellings.
        seen = {name for name, unit in places.items() if unit in access.scope(user, units, perm)}
        assert seen == expected, (role_code, holder, perm)
        assert set(access.restrict(units, user, perm)) == set(access.scope(user, units, perm))
        # A department alone stands for its own division; a path works like a Division.
        for name, unit in places.items():
            by_dept = access.covers(user, perm, department=unit.department)
            by_path = access.covers(
                user, perm, division=unit.division.path, department=unit.department
            )
            assert by_dept == by_path == (name in expected), (role_code, holder, perm, name)
        # No place at all: held anywhere.
        assert access.covers(user, perm) == access.has_perm(user, perm) == bool(expected)


def test_division_alone_ignores_the_department(make_staff, city):
    county = make_staff("approver", "410823", "market")
    assert access.covers(county, "case.view", division=city.wuzhi)
    assert access.covers(county, "case.view", division="/410800/410823/410823001/")  # a path below
    assert not access.covers(county, "case.view", division=city.boai)
    assert not access.covers(county, "case.view", division=city.jiaozuo)  # above the grant


def test_superuser_all_and_nobody_nothing(make_staff, places, city):
    from django.contrib.auth.models import AnonymousUser

    boss = make_staff("window_clerk", "410823", "housing")
    boss.is_superuser = True
    boss.save(update_fields=["is_superuser"])
    unit = places["other_county_market"]
    assert access.covers(boss, "no.such_permission", department=unit.department)
    for nobody in (None, AnonymousUser()):
        assert not access.covers(nobody, "case.view", department=unit.department)
        assert not access.covers(nobody, "case.view")
        assert not access.restrict(OrgUnit.objects.all(), nobody, "case.view").exists()


def test_inactive_staff_hold_nothing(make_staff, places):
    gone = make_staff("bureau_admin", "410800", "big_data")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    unit = places["city_market"]
    assert not access.covers(gone, "case.view", department=unit.department)
    assert not access.restrict(OrgUnit.objects.all(), gone, "case.view").exists()


def test_the_platform_passes_guards_people_are_checked(make_staff, places):
    """The one rule for a missing actor: ``None`` is the platform — guards let it
    through, questions about it say no."""
    dept = places["other_county_market"].department
    access.require(None, "service.manage", department=dept)
    access.deny_unless(None, False, "never raised for the platform")
    clerk = make_staff("window_clerk", "410823", "market")
    with pytest.raises(PermissionDenied, match="不行"):
        access.require(clerk, "service.manage", department=dept, message="不行")
    with pytest.raises(PermissionDenied):
        access.require(clerk, "case.view", department=dept)  # right perm, wrong county
    access.require(clerk, "case.view", department=places["own_county_market"].department)
    with pytest.raises(PermissionDenied, match="不行"):
        access.deny_unless(clerk, False, "不行")


def test_restrict_via_one_foreign_key(make_staff, city):
    """``via="x"`` is the department ``x`` and its division ``x__division``."""
    from yiwang.core.models import Department

    county = make_staff("dept_admin", "410823", "market")
    depts = Department.objects.filter(division__code__in=["410800", "410823", "410822"])
    units = OrgUnit.objects.filter(department__in=depts)
    via = set(access.restrict(units, county, "service.manage", via="department"))
    assert via == set(access.scope(county, units, "service.manage"))
    assert {u.department.code for u in via} == {"410823-market"}
    mine = set(access.departments_in_scope(county, "service.manage"))
    assert mine == {d for d in depts if access.covers(county, "service.manage", department=d)}
