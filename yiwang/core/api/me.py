"""API: the current user (当前用户): profile with 实名等级, 长辈模式 preference, 全部下线,
and the enterprise accounts a legal representative confirms (法定代表人确认)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Router

from yiwang.core.actions.assurance import do_confirm_enterprise
from yiwang.core.actions.identity import do_logout_everywhere, do_set_elder_mode
from yiwang.core.errors import NotFound
from yiwang.core.identity import assurance
from yiwang.core.identity.tokens import require_scope
from yiwang.core.masking import mask_id_number
from yiwang.core.roles import role_label
from yiwang.core.schemas.identity import (
    EnterpriseToConfirmOut,
    LogoutEverywhereOut,
    MeOut,
    MePatch,
)

router = Router()


def _me(request) -> dict:
    user = request.user
    unit = user.org_unit
    roles = user.role_assignments.order_by("role", "org_unit_id")
    scopes = getattr(request, "auth_scopes", None)
    return {
        "id": user.pk,
        "username": user.username,
        "kind": user.kind,
        "full_name": user.full_name,
        "id_number": mask_id_number(user.id_number) if user.id_number else "",
        "phone": user.phone or "",
        "enterprise_name": user.enterprise_name,
        "credit_code": user.credit_code,
        "org_unit": (
            {
                "id": unit.pk,
                "name": unit.name,
                "division": unit.division_id,
                "department": unit.department_id,
            }
            if unit
            else None
        ),
        "roles": [
            {"code": r.role, "label": role_label(r.role), "org_unit": r.org_unit_id} for r in roles
        ],
        "totp_enabled": user.totp_enabled,
        "elder_mode": user.elder_mode,
        "assurance": assurance.level_of(user),
        "assurance_label": assurance.label(assurance.level_of(user), user.kind),
        "scopes": sorted(scopes) if scopes is not None else None,
    }


@router.get("", response=MeOut, summary="当前用户")
def get_me(request):
    """Who is calling: a signed-in person or an API client's system user."""
    require_scope(request, "read")
    return _me(request)


@router.patch("", response=MeOut, summary="修改偏好")
def patch_me(request, payload: MePatch):
    """Change the caller's own preferences (长辈模式)."""
    require_scope(request, "write")
    request.user = do_set_elder_mode(actor=request.user, user=request.user, on=payload.elder_mode)
    return _me(request)


@router.post("/logout-everywhere", response=LogoutEverywhereOut, summary="全部下线")
def logout_everywhere(request):
    """End every session of the caller and revoke their OAuth2 tokens (this one included)."""
    require_scope(request, "write")
    counts = do_logout_everywhere(actor=request.user, user=request.user)
    return {"session_epoch": request.user.session_epoch, **counts}


def _enterprise(user) -> dict:
    level = assurance.level_of(user)
    return {
        "id": user.pk,
        "username": user.username,
        "enterprise_name": user.enterprise_name,
        "credit_code": user.credit_code,
        "assurance": level,
        "assurance_label": assurance.label(level, user.kind),
    }


@router.get(
    "/enterprises-to-confirm", response=list[EnterpriseToConfirmOut], summary="待确认的企业账号"
)
def enterprises_to_confirm(request):
    """Enterprise accounts registered under a credit code whose 法定代表人 (in the
    legal-person registry) is the caller; empty unless the caller is a 实名 citizen."""
    require_scope(request, "read")
    return [_enterprise(e) for e in assurance.enterprises_to_confirm(request.user)]


@router.post(
    "/enterprises/{enterprise_id}/confirm",
    response=EnterpriseToConfirmOut,
    summary="法定代表人确认企业账号",
)
def confirm_enterprise(request, enterprise_id: int):
    """Confirm one listed enterprise account: it becomes 法定代表人核验 (实名)."""
    require_scope(request, "write")
    listed = {e.pk: e for e in assurance.enterprises_to_confirm(request.user)}
    if enterprise_id not in listed:
        raise NotFound(_("没有待您确认的该企业账号。"))
    return _enterprise(do_confirm_enterprise(actor=request.user, enterprise=listed[enterprise_id]))
