"""API: the current user (当前用户): profile, 长辈模式 preference, 全部下线."""

from __future__ import annotations

from ninja import Router

from yiwang.core.actions.identity import do_logout_everywhere, do_set_elder_mode
from yiwang.core.identity.tokens import require_scope
from yiwang.core.masking import mask_id_number
from yiwang.core.roles import role_label
from yiwang.core.schemas.identity import LogoutEverywhereOut, MeOut, MePatch

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
