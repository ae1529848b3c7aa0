"""The licence room's staff gate (``require_staff_with``): staff holding the permission,
with the page's or the API's own message for everyone else."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiwang.licences import access

pytestmark = pytest.mark.django_db


def test_staff_gate_wants_staff_holding_the_permission(make_staff, citizen):
    access.require_staff_with(make_staff("bureau_admin"), "licence.view", "x")
    with pytest.raises(PermissionDenied, match="该页面仅对"):
        access.require_staff_with(make_staff("bureau_admin"), "seal.manage", "该页面仅对")
    with pytest.raises(PermissionDenied, match="该接口仅对"):
        access.require_staff_with(citizen, "licence.view", "该接口仅对")
