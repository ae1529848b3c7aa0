"""``yiwang demo``: seeds once, every role has accounts, identifiers valid, idempotent."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from yiwang.core.actions.demo import DEMO_PASSWORD, STAFF_DIVISIONS, do_seed_population
from yiwang.core.identifiers import is_valid_credit_code, is_valid_id_number
from yiwang.core.models import AuditEntry, Case, RoleAssignment, User
from yiwang.core.roles import ROLES

pytestmark = pytest.mark.django_db(transaction=True)


def _demo(*extra) -> str:
    out = io.StringIO()
    call_command("demo", "--no-serve", "--people", "50", "--enterprises", "10", *extra, stdout=out)
    return out.getvalue()


def test_demo_seeds_city_accounts_and_cases_then_is_idempotent():
    out = _demo()
    assert "demo city seeded" in out
    assert User.objects.filter(kind="citizen").count() == 50
    assert User.objects.filter(kind="enterprise").count() == 10
    for division in STAFF_DIVISIONS:
        held = set(
            RoleAssignment.objects.filter(org_unit__division_id=division).values_list(
                "role", flat=True
            )
        )
        assert set(ROLES) <= held, division
    for u in User.objects.filter(kind="citizen"):
        assert is_valid_id_number(u.id_number)
        assert u.id_number_index and u.id_number.startswith("41")
    for u in User.objects.filter(kind="enterprise"):
        assert is_valid_credit_code(u.credit_code) and u.enterprise_name
    # Every demo account signs in with the documented password; admin reaches Django admin.
    assert authenticate(username="wuzhi_approver", password=DEMO_PASSWORD) is not None
    assert authenticate(username="citizen001", password=DEMO_PASSWORD) is not None
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    # The account table lists staff of each division with the password.
    assert "boai_window_clerk" in out and "jiaozuo_leader" in out and DEMO_PASSWORD in out
    # Open cases so window clerks have something waiting.
    from yiwang.core.inbox import inbox_for

    assert Case.objects.filter(workflow__code="generic_approval").count() == 6
    assert inbox_for(User.objects.get(username="wuzhi_window_clerk")).count() == 2

    users, entries, cases = User.objects.count(), AuditEntry.objects.count(), Case.objects.count()
    again = _demo()
    assert "demo city seeded" not in again
    assert "wuzhi_approver" in again
    assert (User.objects.count(), Case.objects.count()) == (users, cases)
    assert AuditEntry.objects.count() == entries


def test_demo_citizens_are_verified_and_found_in_the_population_registry():
    """Demo accounts are stated 实名 (手机短信核验) and the data room's 人口库 holds the same
    people, so registry checks and the SMS code work on demo data; a demo database from
    before 实名等级 is brought up to it when ``yiwang demo`` runs again."""
    from yiwang.core.identity import assurance, registry
    from yiwang.core.models import Assurance

    _demo()
    citizen = User.objects.get(username="citizen001")
    assert assurance.is_verified(citizen)
    facts = registry.match_person(citizen.full_name, citizen.id_number)
    assert facts is not None and facts["phone"] == citizen.phone
    assert all(u.assurance == Assurance.SMS for u in User.objects.filter(kind="enterprise"))
    User.objects.filter(kind="citizen").update(assurance=Assurance.NONE)
    _demo()
    assert not User.objects.filter(kind="citizen", assurance=Assurance.NONE).exists()


def test_scale_seeding_adds_bulk_rows_and_resumes():
    out = _demo("--scale", "city", "--people", "300", "--enterprises", "80", "--batch-size", "64")
    assert "rows/s" in out
    assert User.objects.filter(kind="citizen").count() == 300
    assert User.objects.filter(kind="enterprise").count() == 80
    assert all(
        is_valid_credit_code(c)
        for c in User.objects.filter(username__startswith="e").values_list("credit_code", flat=True)
    )
    bulk = User.objects.filter(kind="citizen", username__startswith="p")
    assert bulk.count() == 100  # 200 demo citizens come first in the same stream
    ids = [u.id_number for u in bulk]
    assert all(is_valid_id_number(i) for i in ids)
    assert len(set(ids)) == len(ids)
    sample = bulk.first()
    # Encrypted at rest, blind index filled, no password sign-in.
    from yiwang.core.fields import index_for

    assert (
        User.objects.get(id_number_index=index_for(User, "id_number", sample.id_number)) == sample
    )
    assert not sample.has_usable_password()
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM core_user WHERE id = %s", [sample.pk])
        assert cur.fetchone()[0].startswith("sm4:v")
    # Resuming with a larger target continues the stream without duplicates.
    created = do_seed_population(actor=None, people=350, enterprises=80, batch_size=64)
    assert created == {"citizens": 50, "enterprises": 0}
    ids = list(User.objects.filter(kind="citizen").values_list("id_number_index", flat=True))
    assert len(ids) == 350 == len(set(ids))
    assert AuditEntry.objects.filter(action="core.demo.bulk_citizens").exists()
