"""API shapes for the organisation model and the staff directory."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field


class DivisionOut(Schema):
    code: str
    name: str
    level: str
    kind: str
    parent: str | None = Field(None, alias="parent_id")
    zone: str | None = Field(None, alias="zone_id")


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    line: str
    division: str = Field(alias="division_id")
    parent: int | None = Field(None, alias="parent_id")


class OrgUnitOut(Schema):
    id: int
    name: str
    department: int = Field(alias="department_id")
    division: str = Field(alias="division_id")


class StaffOut(Schema):
    """A staff member as the directory shows it: name and phone masked (脱敏)."""

    id: int
    username: str
    full_name: str
    phone: str
    org_unit: int | None
    roles: list[str]


class RoleIn(Schema):
    role: str = Field(min_length=1, max_length=32)


class RevealIn(Schema):
    field: str = Field(pattern="^(full_name|phone)$")
    purpose: str = Field(min_length=2, max_length=200)


class RevealOut(Schema):
    field: str
    value: str
