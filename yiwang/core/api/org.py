"""API: divisions, departments, org units and the staff directory (masked, scoped)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.pagination import paginate

from yiwang.core import access, masking
from yiwang.core.actions.users import do_grant_role, do_revoke_role
from yiwang.core.api.pagination import Pagination
from yiwang.core.identity.tokens import require_scope
from yiwang.core.models import Department, Division, OrgUnit
from yiwang.core.schemas.org import (
    DepartmentOut,
    DivisionOut,
    OrgUnitOut,
    RevealIn,
    RevealOut,
    RoleIn,
    StaffOut,
)
from yiwang.core.staff_directory import staff_record, staff_row, visible_staff

router = Router()


@router.get("/divisions", response=list[DivisionOut])
@paginate(Pagination, page_size=100)
def list_divisions(request, parent: str | None = None, level: str | None = None):
    """行政区划: public master data, readable by any signed-in user or client."""
    require_scope(request, "org")
    qs = Division.objects.all()
    if parent:
        qs = qs.filter(parent_id=parent)
    if level:
        qs = qs.filter(level=level)
    return qs


@router.get("/divisions/{code}/children", response=list[DivisionOut], url_name="division-children")
def division_children(request, code: str):
    """下级区划: the legal divisions directly under ``code``, all of them (a level is
    small), for the cascading division picker (``core.divisionpicker``)."""
    require_scope(request, "org")
    return list(
        Division.objects.filter(parent_id=code, kind=Division.Kind.LEGAL)
        .order_by("code")
        .only("code", "name", "level", "kind", "parent_id", "zone_id")
    )


@router.get("/divisions/{code}", response=DivisionOut)
def get_division(request, code: str):
    require_scope(request, "org")
    return get_object_or_404(Division, code=code)


@router.get("/departments", response=list[DepartmentOut])
@paginate(Pagination, page_size=100)
def list_departments(request, division: str | None = None, line: str | None = None):
    """部门 of the city and counties."""
    require_scope(request, "org")
    qs = Department.objects.all()
    if division:
        qs = qs.filter(division_id=division)
    if line:
        qs = qs.filter(line=line)
    return qs


@router.get("/units", response=list[OrgUnitOut])
@paginate(Pagination, page_size=100)
def list_units(request, department: int | None = None):
    require_scope(request, "org")
    qs = OrgUnit.objects.all()
    if department:
        qs = qs.filter(department_id=department)
    return qs


@router.get("/staff", response=list[StaffOut])
@paginate(Pagination, page_size=50)
def list_staff(request):
    """工作人员名录 within the caller's jurisdiction; names and phones masked."""
    require_scope(request, "org")
    return [staff_row(u) for u in visible_staff(request.user)]


@router.get("/staff/{user_id}", response=StaffOut)
def get_staff(request, user_id: int):
    require_scope(request, "org")
    return staff_record(request.user, user_id)


@router.post("/staff/{user_id}/reveal", response=RevealOut)
def reveal_staff(request, user_id: int, payload: RevealIn):
    """Show one personal field in clear for a stated purpose; logged in the ledger."""
    require_scope(request, "org")
    member = access.pick(visible_staff(request.user), user_id)
    value = masking.reveal(request.user, member, payload.field, payload.purpose)
    return {"field": payload.field, "value": value}


@router.post("/staff/{user_id}/roles", response=StaffOut)
def grant_role(request, user_id: int, payload: RoleIn):
    """Give a staff member in one's jurisdiction a role in their own org unit (授予角色):
    only the roles the caller may grant there (``access.require_grant``); 403 with the
    reason ``self_grant``, ``out_of_reach`` or ``grant_out_of_reach`` otherwise."""
    require_scope(request, "write")
    access.require(request.user, "user.manage")
    member = access.pick(visible_staff(request.user, "user.manage"), user_id)
    do_grant_role(actor=request.user, user=member, role=payload.role)
    return staff_row(visible_staff(request.user).get(pk=member.pk))


@router.delete("/staff/{user_id}/roles/{role}", response=StaffOut)
def revoke_role(request, user_id: int, role: str):
    """Take a role back (收回角色) wherever the member holds it, under the granting rules."""
    require_scope(request, "write")
    access.require(request.user, "user.manage")
    member = access.pick(visible_staff(request.user, "user.manage"), user_id)
    do_revoke_role(actor=request.user, user=member, role=role)
    return staff_row(visible_staff(request.user).get(pk=member.pk))
