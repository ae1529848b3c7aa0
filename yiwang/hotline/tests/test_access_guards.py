"""The hotline room's named guards keep each refusal's own message; the grid guards
refuse the platform, since reports and on-the-spot checks are a named worker's."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiwang.hotline import access

pytestmark = pytest.mark.django_db


def test_require_perm_passes_the_platform_and_keeps_its_message(make_staff):
    access.require_perm(None, "hotline.view", "x")
    access.require_perm(make_staff("hotline_agent"), "hotline.view", "x")
    with pytest.raises(PermissionDenied, match="您无权查看派单规则"):
        access.require_perm(make_staff("grid_worker"), "hotline.view", "您无权查看派单规则。")


def test_grid_guards_refuse_the_platform_and_other_workers(make_staff):
    class Grid:
        name = "一号网格"

    with pytest.raises(PermissionDenied, match="只有网格员"):
        access.require_worker_of(None, Grid(), "只有网格员")
    with pytest.raises(PermissionDenied, match="不是网格“一号网格”的网格员"):
        access.require_grid_reporter(None, Grid())
