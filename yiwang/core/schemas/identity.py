"""API shapes of the current user (当前用户) and the identity endpoints."""

from __future__ import annotations

from ninja import Schema


class RoleOut(Schema):
    code: str
    label: str
    org_unit: int | None


class OrgUnitBrief(Schema):
    id: int
    name: str
    division: str
    department: int


class MeOut(Schema):
    """The caller's own account: clear except the ID number, which stays masked (脱敏)."""

    id: int
    username: str
    kind: str
    full_name: str
    id_number: str
    phone: str
    enterprise_name: str
    credit_code: str
    org_unit: OrgUnitBrief | None
    roles: list[RoleOut]
    totp_enabled: bool
    elder_mode: bool
    assurance: int
    assurance_label: str
    scopes: list[str] | None = None


class EnterpriseToConfirmOut(Schema):
    """An enterprise account waiting for its 法定代表人's confirmation."""

    id: int
    username: str
    enterprise_name: str
    credit_code: str
    assurance: int
    assurance_label: str


class MePatch(Schema):
    elder_mode: bool


class LogoutEverywhereOut(Schema):
    session_epoch: int
    access_tokens: int
    refresh_tokens: int
