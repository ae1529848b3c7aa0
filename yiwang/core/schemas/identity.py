"""API shapes of the current user (当前用户) and the identity endpoints."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


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


# ---- 窗口实名核验 (window clerks) ---------------------------------------------------


class WindowLookupIn(Schema):
    """查找账号: exactly one of the three (the action says so when not)."""

    username: str = Field("", max_length=150, description="用户名（精确匹配）")
    id_number: str = Field("", max_length=18, description="身份证号码（群众账号）")
    credit_code: str = Field("", max_length=18, description="统一社会信用代码（企业账号）")


class WindowAccountOut(Schema):
    """A citizen or enterprise account as a window clerk sees it: name, ID number and
    phone masked (脱敏); ``assurance`` is the 实名等级 (0 未实名 … 3 窗口核验)."""

    id: int
    username: str
    kind: str
    kind_label: str
    full_name: str
    id_number: str
    phone: str
    enterprise_name: str
    credit_code: str
    assurance: int
    assurance_label: str
    assured_at: datetime | None
    is_active: bool
    can_rebind: bool


class WindowLookupOut(Schema):
    accounts: list[WindowAccountOut]


class WindowVerifyIn(Schema):
    reason: str = Field("", max_length=200, description="办理事由，如：本人持身份证到窗口核验")


class WindowRebindIn(Schema):
    full_name: str = Field(max_length=64, description="居民身份证上的姓名")
    id_number: str = Field(max_length=18, description="居民身份证号码")
    reason: str = Field("", max_length=200, description="办理事由")


class WindowRebindOut(Schema):
    account: WindowAccountOut
    unbound: bool = Field(description="是否有原账号因此解除绑定（已通知其用户）")
