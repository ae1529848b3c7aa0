"""授权: who may grant which role, where — walked over the whole role table.

Each role says who may grant it (``Role.granted_by``); nobody grants to themselves; the
reach of what is granted lies inside the granter's own; only staff hold roles; every
grant and revoke is in the ledger and told to the bureau. The same rules hold in the
API, on the member page and from the command line (the platform)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from yiwang.core import access
from yiwang.core.actions.users import do_grant_role, do_revoke_role
from yiwang.core.errors import Forbidden, error_codes
from yiwang.core.models import AuditEntry, Notification, RoleAssignment, User
from yiwang.core.roles import ROLES

pytestmark = pytest.mark.django_db

# The places a grant may be made in: (division, department line).
TARGETS = {
    "own_county_market": ("410823", "market"),
    "own_county_housing": ("410823", "housing"),
    "other_county_market": ("410822", "market"),
    "city_market": ("410800", "market"),
}
GRANTERS = sorted(code for code, role in ROLES.items() if "user.manage" in role.permissions)


def _places(city, make_staff, role_code: str, holder: str) -> set[str]:
    """Where a holder of ``role_code`` at ``holder`` (a market unit) holds ``user.manage``."""
    granter = make_staff(role_code, holder, "market")
    return {
        name
        for name, (code, line) in TARGETS.items()
        if access.covers(granter, "user.manage", department=city.department(code, line))
    }


@pytest.mark.parametrize("holder", ["410800", "410823"])
@pytest.mark.parametrize("granter_role", GRANTERS)
def test_every_grant_follows_the_role_table_and_the_granters_reach(
    city, make_staff, granter_role, holder
):
    """Every granting role × held at city and at county level × every role × every place:
    allowed exactly when the role table names the granter and the place is in reach, and
    then the new holder covers nothing the granter does not."""
    granter = make_staff(granter_role, holder, "market")
    reach = _places(city, make_staff, granter_role, holder)
    for place, (code, line) in TARGETS.items():
        member = make_staff("window_clerk", code, line)
        for role_code, role in ROLES.items():
            allowed = access.may_grant(granter, member, role_code, member.org_unit)
            in_reach = place in reach and (
                not role.city_wide or _city_wide_in_reach(granter_role, holder, code)
            )
            expected = granter_role in role.granted_by and in_reach
            assert allowed == expected, (granter_role, holder, role_code, place)
            if not allowed:
                with pytest.raises(Forbidden):
                    do_grant_role(actor=granter, user=member, role=role_code)
                continue
            do_grant_role(actor=granter, user=member, role=role_code)
            fresh = User.objects.get(pk=member.pk)
            for perm in role.permissions:
                for other, (c2, l2) in TARGETS.items():
                    dept = city.department(c2, l2)
                    if access.covers(fresh, perm, department=dept) and perm == "user.manage":
                        assert other in reach, (granter_role, holder, role_code, other)
            do_revoke_role(actor=granter, user=member, role=role_code)


def _city_wide_in_reach(granter_role: str, holder: str, target_division: str) -> bool:
    """A city-wide role held in a unit reaches that unit's whole division subtree, every
    department: only a granter who reaches every department there may hand it out."""
    granter = ROLES[granter_role]
    if not granter.city_wide:
        return False
    return holder == "410800" or target_division.startswith(holder)


def test_nobody_grants_themselves_any_role(make_staff):
    for granter_role in GRANTERS:
        for holder in ("410800", "410823"):
            me = make_staff(granter_role, holder, "big_data")
            for role_code in ROLES:
                assert not access.may_grant(me, me, role_code, me.org_unit)
                with pytest.raises(Forbidden) as refused:
                    do_grant_role(actor=me, user=me, role=role_code)
                assert refused.value.code == "self_grant"


def test_county_admin_cannot_make_itself_or_a_colleague_auditor(client, make_staff, citizen):
    """The reported attack: a county department admin granting itself auditor or
    bureau_admin through the API, then reading what those roles read."""
    admin = make_staff("dept_admin", "410823", "market")
    clerk = make_staff("window_clerk", "410823", "market")
    client.force_login(admin)
    before = RoleAssignment.objects.count()
    for target in (admin, clerk):
        for role in ("auditor", "bureau_admin", "sysadmin", "dept_admin", "leader"):
            response = client.post(
                f"/api/v1/org/staff/{target.pk}/roles",
                json.dumps({"role": role}),
                content_type="application/json",
            )
            assert response.status_code == 403, (target.username, role, response.content)
    assert RoleAssignment.objects.count() == before
    assert not access.has_perm(User.objects.get(pk=admin.pk), "audit.view")
    assert client.get("/audit/").status_code == 403
    ok = client.post(
        f"/api/v1/org/staff/{clerk.pk}/roles",
        json.dumps({"role": "approver"}),
        content_type="application/json",
    )
    assert ok.status_code == 200 and "approver" in ok.json()["roles"]


def test_county_bureau_admin_cannot_hand_out_city_reach(city, make_staff):
    """bureau_admin held in a county reaches the county: it may make a county
    department admin, never a city one, nor grant in another county."""
    county_bureau = make_staff("bureau_admin", "410823", "big_data")
    own = make_staff("window_clerk", "410823", "housing")
    other = make_staff("window_clerk", "410822", "housing")
    at_city = make_staff("window_clerk", "410800", "housing")
    assert access.may_grant(county_bureau, own, "dept_admin", own.org_unit)
    assert access.may_grant(county_bureau, own, "leader", own.org_unit)
    assert not access.may_grant(county_bureau, other, "dept_admin", other.org_unit)
    assert not access.may_grant(county_bureau, at_city, "dept_admin", at_city.org_unit)
    assert not access.may_grant(county_bureau, own, "auditor", own.org_unit)
    assert not access.may_grant(county_bureau, own, "bureau_admin", own.org_unit)


def test_roles_only_for_staff_accounts(make_staff, citizen):
    """A role given to a citizen or an API client's system user would be silently
    ignored (only staff grants count), so it is refused, for the platform too."""
    system = User.objects.create(username="client-x", kind=User.Kind.SYSTEM)
    bureau = make_staff("bureau_admin", "410800", "big_data")
    for member in (citizen, system):
        for actor in (None, bureau):
            with pytest.raises(ValidationError) as refused:
                do_grant_role(actor=actor, user=member, role="window_clerk")
            assert error_codes(refused.value) == {"not_staff"}
    assert not RoleAssignment.objects.filter(user__in=[citizen, system]).exists()


def test_grant_and_revoke_are_recorded_and_told_to_the_bureau(make_staff):
    city_bureau = make_staff("bureau_admin", "410800", "big_data")
    county_bureau = make_staff("bureau_admin", "410823", "big_data")
    other_county_bureau = make_staff("bureau_admin", "410822", "big_data")
    admin = make_staff("dept_admin", "410823", "market")
    clerk = make_staff("window_clerk", "410823", "market")
    do_grant_role(actor=admin, user=clerk, role="approver")
    do_revoke_role(actor=admin, user=clerk, role="approver")
    entries = AuditEntry.objects.filter(object_id=str(clerk.pk), actor=admin)
    assert {e.action for e in entries} == {"core.user.grant_role", "core.user.revoke_role"}
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert {city_bureau.pk, county_bureau.pk} <= told
    assert other_county_bureau.pk not in told
    assert admin.pk not in told


def test_revoke_follows_the_same_rules(make_staff):
    admin = make_staff("dept_admin", "410823", "market")
    auditor = make_staff("auditor", "410823", "market")
    with pytest.raises(Forbidden):
        do_revoke_role(actor=admin, user=auditor, role="auditor")
    assert RoleAssignment.objects.filter(user=auditor, role="auditor").exists()


def test_member_page_offers_only_grantable_roles_and_refuses_the_rest(client, make_staff):
    admin = make_staff("dept_admin", "410823", "market")
    clerk = make_staff("window_clerk", "410823", "market")
    client.force_login(admin)
    page = client.get(f"/org/staff/{clerk.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="approver"' in html and 'value="auditor"' not in html
    refused = client.post(f"/org/staff/{clerk.pk}/", {"role": "auditor"})
    assert refused.status_code == 400
    assert "error-summary" in refused.content.decode()
    assert not RoleAssignment.objects.filter(user=clerk, role="auditor").exists()
    own = client.post(f"/org/staff/{admin.pk}/", {"role": "approver"})
    assert own.status_code == 400
    assert not RoleAssignment.objects.filter(user=admin, role="approver").exists()
    done = client.post(f"/org/staff/{clerk.pk}/", {"role": "approver"})
    assert done.status_code == 302
    assert RoleAssignment.objects.filter(user=clerk, role="approver").exists()
    unit = clerk.org_unit_id
    gone = client.post(
        f"/org/staff/{clerk.pk}/", {"revoke": "1", "role": "approver", "org_unit": unit}
    )
    assert gone.status_code == 302
    assert not RoleAssignment.objects.filter(user=clerk, role="approver").exists()


def test_refused_revokes_answer_with_their_reason(client, make_staff):
    """Revoking one's own role, a role out of reach, or one not held: the reason on the
    page with its status (never a 500, never "done"); the same from the API."""
    admin = make_staff("dept_admin", "410823", "market")
    clerk = make_staff("window_clerk", "410823", "market")
    client.force_login(admin)
    url = f"/org/staff/{admin.pk}/"
    own = client.post(url, {"revoke": "1", "role": "dept_admin", "org_unit": admin.org_unit_id})
    assert own.status_code == 403 and "不能给自己" in own.content.decode()
    assert RoleAssignment.objects.filter(user=admin, role="dept_admin").exists()
    unit = clerk.org_unit_id
    member = f"/org/staff/{clerk.pk}/"
    missing = client.post(member, {"revoke": "1", "role": "approver", "org_unit": unit})
    assert missing.status_code == 404 and "该人员没有此角色" in missing.content.decode()
    bogus = client.post(member, {"revoke": "1", "role": "nope", "org_unit": unit})
    assert bogus.status_code == 400
    broken = client.post(member, {"revoke": "1", "role": "window_clerk"})
    assert broken.status_code == 400 and "请求不完整" in broken.content.decode()
    api = client.delete(f"/api/v1/org/staff/{clerk.pk}/roles/approver")
    assert api.status_code == 404
    assert api.json()["error"]["details"][0]["code"] == "role_not_held"
    assert client.delete(f"/api/v1/org/staff/{clerk.pk}/roles/nope").status_code == 422
    assert RoleAssignment.objects.filter(user=clerk, role="window_clerk").exists()


def test_platform_grants_what_no_person_may(make_staff):
    """系统管理员 and auditors come from the command line, recorded without a person."""
    member = make_staff("window_clerk", "410800", "big_data")
    call_command("users", "grant", member.username, "sysadmin")
    assert RoleAssignment.objects.filter(user=member, role="sysadmin").exists()
    assert AuditEntry.objects.filter(
        action="core.user.grant_role", object_id=str(member.pk), actor=None
    ).exists()
    sysadmin = User.objects.get(pk=member.pk)
    other = make_staff("window_clerk", "410800", "big_data")
    assert not access.may_grant(sysadmin, other, "sysadmin", other.org_unit)
    assert access.may_grant(sysadmin, other, "auditor", other.org_unit)


def test_admin_cannot_add_role_assignments(admin_client, make_staff):
    """The admin site shows roles read-only: grants go through the rules above."""
    from django.contrib import admin

    assert RoleAssignment not in admin.site._registry
    member = make_staff("window_clerk", "410800", "big_data")
    page = admin_client.get(f"/admin/core/user/{member.pk}/change/")
    assert page.status_code == 200
    assert 'name="role_assignments-0-role"' not in page.content.decode()
