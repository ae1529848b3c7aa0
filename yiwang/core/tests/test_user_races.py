"""Two registrations racing for one username: the loser gets the field error, not a 500."""

import pytest
from django.core.exceptions import ValidationError

from yiwang.core.actions import users
from yiwang.core.models import User


@pytest.mark.parametrize("kind", ["staff", "enterprise"])
def test_username_race_is_a_field_error(kind, city, monkeypatch):
    from yiwang.core.identifiers import make_credit_code

    User.objects.create(username="racer", kind="citizen")
    real_check = users._check_username
    calls = {"n": 0}

    def check_passes_first_time(username):
        calls["n"] += 1
        if calls["n"] > 1:  # the check after the failed insert sees the winner
            real_check(username)

    monkeypatch.setattr(users, "_check_username", check_passes_first_time)
    with pytest.raises(ValidationError) as err:
        if kind == "staff":
            users.do_create_staff(
                actor=None,
                username="racer",
                full_name="甲",
                org_unit=city.unit("410823", "market"),
                roles=["approver"],
            )
        else:
            users.do_create_enterprise(
                actor=None,
                username="racer",
                enterprise_name="乙公司",
                credit_code=make_credit_code("91", "410800", "MA3XYW12"),
                full_name="乙",
                password=None,
            )
    assert "username" in err.value.message_dict
    assert User.objects.filter(username="racer").count() == 1
