"""The 办件管理 gate (``services.access.require_case_staff``): staff who may see cases."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiwang.services import access

pytestmark = pytest.mark.django_db


def test_case_staff_gate(make_staff, citizen):
    access.require_case_staff(make_staff("window_clerk", "410823", "market"), "x")
    with pytest.raises(PermissionDenied, match="办件管理仅对工作人员开放"):
        access.require_case_staff(citizen, "办件管理仅对工作人员开放。")
    with pytest.raises(PermissionDenied, match="办件管理仅对工作人员开放"):
        access.require_case_staff(make_staff("hotline_agent"), "办件管理仅对工作人员开放。")
