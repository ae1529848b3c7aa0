"""Staff directory pages (工作人员名录): the list, masked by default with a purpose-bound
reveal, and one member's page where an administrator grants and revokes roles."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from yiwang.core import access, masking
from yiwang.core.actions.users import do_grant_role, do_revoke_role
from yiwang.core.errors import status_of
from yiwang.core.forms import add_errors
from yiwang.core.models import OrgUnit
from yiwang.core.roles import role_label
from yiwang.core.staff_directory import staff_row, visible_staff
from yiwang.core.staff_forms import GrantRoleForm, RevealForm, RevokeRoleForm


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    """List staff in the user's jurisdiction; POST reveals one field for a stated purpose."""
    access.require(request.user, "user.view")
    revealed = None
    form = RevealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = access.pick(visible_staff(request.user), form.cleaned_data["user_id"])
        field = form.cleaned_data["field"]
        try:
            value = masking.reveal(request.user, member, field, form.cleaned_data["purpose"])
            revealed = {"id": member.pk, "field": field, "value": value}
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
    page = Paginator(visible_staff(request.user), 50).get_page(request.GET.get("page"))
    refused = request.method == "POST" and not form.is_valid()
    return render(
        request,
        "core/staff_list.html",
        {
            "page": page,
            "rows": [staff_row(u) for u in page.object_list],
            "revealed": revealed,
            "form": form if request.method == "POST" else None,
            "can_unmask": access.has_perm(request.user, "personal.unmask"),
        },
        status=400 if refused else 200,
    )


@login_required
def staff_member(request: HttpRequest, pk: int) -> HttpResponse:
    """One member: masked facts, roles held where, and — for an administrator who may —
    the 授予角色 form and a 收回 button per role."""
    access.require(request.user, "user.view")
    member = access.pick(visible_staff(request.user), pk)
    grantable = access.grantable_roles(request.user, member)
    form = GrantRoleForm(grantable=grantable)
    status = 200
    if request.method == "POST":
        form, status = _change_roles(request, member, grantable)
        if status == 302:
            return redirect("core:staff-member", pk=member.pk)
    held = member.role_assignments.select_related("org_unit__division", "org_unit__department")
    roles = [
        {
            "label": role_label(ra.role),
            "code": ra.role,
            "unit": ra.org_unit,
            "granted_at": ra.granted_at,
            "revocable": ra.org_unit is not None
            and access.may_grant(request.user, member, ra.role, ra.org_unit),
        }
        for ra in held.order_by("role")
    ]
    return render(
        request,
        "core/staff_member.html",
        {
            "member": member,
            "facts": _facts(member),
            "row": staff_row(member),
            "roles": roles,
            "form": form,
        },
        status=status,
    )


def _facts(member) -> list[tuple[str, str]]:
    """The member's masked facts (信息摘要), as the directory shows them."""
    row = staff_row(member)
    return [
        (_("姓名"), row["full_name"]),
        (_("手机号码"), row["phone"]),
        (_("所在组织"), row["org_unit_name"]),
    ]


def _change_roles(request: HttpRequest, member, grantable: list[str]):
    """Run a grant or revoke from the member page: (the grant form to show, status) —
    302 when done, else the refusal's status with its reason on the form."""
    if "revoke" in request.POST:
        revoke = RevokeRoleForm(request.POST)
        form = GrantRoleForm(grantable=grantable)
        if not revoke.is_valid():
            add_errors(form, ValidationError(_("请求不完整，请刷新页面后重试。")))
            return form, 400
        unit = OrgUnit.objects.filter(pk=revoke.cleaned_data["org_unit"]).first()
        try:
            do_revoke_role(
                actor=request.user, user=member, role=revoke.cleaned_data["role"], org_unit=unit
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return form, status_of(exc)
        messages.success(request, _("已收回角色。"))
        return form, 302
    form = GrantRoleForm(request.POST, grantable=grantable)
    if not form.is_valid():
        return form, 400
    try:
        do_grant_role(actor=request.user, user=member, role=form.cleaned_data["role"])
    except ValidationError as exc:
        add_errors(form, exc)
        return form, status_of(exc)
    messages.success(request, _("已授予角色。"))
    return form, 302
