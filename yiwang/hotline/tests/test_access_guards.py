"""The hotline room's named guards keep each refusal's own message; the grid guards
refuse the platform, since reports and on-the-spot checks are a named worker's."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from yiwang.hotline import access
from yiwang.hotline.actions.grid import do_define_grid, do_set_grid_workers

pytestmark = pytest.mark.django_db


def test_require_perm_passes_the_platform_and_keeps_its_message(make_staff):
    access.require_perm(None, "hotline.view", "x")
    access.require_perm(make_staff("hotline_agent"), "hotline.view", "x")
    with pytest.raises(PermissionDenied, match="您无权查看派单规则"):
        access.require_perm(make_staff("grid_worker"), "hotline.view", "您无权查看派单规则。")


def test_grid_guards_refuse_the_platform_and_other_workers(make_staff, supervisor):
    grid = do_define_grid(
        actor=supervisor, code="410823001-01", name="一号网格", division="410823001"
    )
    own = make_staff("grid_worker", "410823", "big_data", full_name="周网格")
    other = make_staff("grid_worker", "410823", "big_data", full_name="吴网格")
    do_set_grid_workers(actor=supervisor, grid=grid, workers=[own])

    access.require_worker_of(own, grid, "只有网格员")
    access.require_grid_reporter(own, grid)
    with pytest.raises(PermissionDenied, match="只有网格员"):
        access.require_worker_of(None, grid, "只有网格员")
    with pytest.raises(PermissionDenied, match="只有网格员"):
        access.require_worker_of(other, grid, "只有网格员")
    with pytest.raises(PermissionDenied, match="不是网格“一号网格”的网格员"):
        access.require_grid_reporter(other, grid)
    with pytest.raises(PermissionDenied, match="不是网格“一号网格”的网格员"):
        access.require_grid_reporter(None, grid)
