"""The data room's named guards (``data.access``): the bureau's review, the registers'
staff gate, and the steward's own requests (共享申请、数据异议) — the one guard that
refuses the platform, since such a request is made in a department's name."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiwang.data import access

pytestmark = pytest.mark.django_db


def test_review_is_the_bureaus_and_the_platform_passes(make_staff):
    access.require_review(None, "x")
    access.require_review(make_staff("bureau_admin"), "x")
    with pytest.raises(PermissionDenied, match="只有大数据局"):
        access.require_review(make_staff("data_steward"), "只有大数据局")


def test_registers_open_to_data_staff_only(make_staff, citizen):
    access.require_data_staff(make_staff("data_steward"), "x")
    with pytest.raises(PermissionDenied, match="仅对数据专员"):
        access.require_data_staff(make_staff("window_clerk", "410823", "market"), "仅对数据专员")
    assert not access.may_work_with_data(citizen)


def test_steward_requests_refuse_the_platform(make_staff):
    access.require_steward(make_staff("data_steward"), "x")
    with pytest.raises(PermissionDenied, match="只有数据专员"):
        access.require_steward(None, "只有数据专员")
    with pytest.raises(PermissionDenied, match="只有数据专员"):
        access.require_steward(make_staff("window_clerk", "410823", "market"), "只有数据专员")
