"""Roles (角色) and the permissions each grants. Roles are data here, in one table, so
every room asks the same question: may this user do P within this org unit?"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    permissions: frozenset[str]
    city_wide: bool = False  # sees every division and department (not only its own)


def _role(code, label, perms, city_wide=False) -> Role:
    return Role(code, label, frozenset(perms), city_wide)


ROLES: dict[str, Role] = {
    r.code: r
    for r in [
        _role(
            "window_clerk",
            _("窗口人员"),
            {"case.view", "case.handle", "case.intake", "personal.unmask"},
        ),
        _role(
            "approver",
            _("审批人员"),
            {
                "case.view",
                "case.handle",
                "case.decide",
                "personal.unmask",
                "licence.view",
                "licence.issue",
                "licence.manage",
            },
        ),
        _role(
            "dept_admin",
            _("部门管理员"),
            {
                "case.view",
                "case.handle",  # acts where a workflow names dept_admin (差评整改, 申诉)
                "case.assign",
                "org.view",
                "user.view",
                "user.manage",
                "personal.unmask",
                "licence.view",
                "licence.issue",
                "licence.manage",
                "seal.manage",
                "service.manage",
                "hotline.view",
                "hotline.handle",
                "knowledge.manage",
            },
        ),
        _role(
            "data_steward", _("数据专员"), {"data.view", "data.manage", "case.view", "case.handle"}
        ),
        _role(
            "bureau_admin",
            _("大数据局管理员"),
            {
                "case.view",
                "case.assign",
                "case.handle",
                "data.view",
                "data.manage",
                "data.review",
                "org.view",
                "org.manage",
                "user.view",
                "user.manage",
                "licence.view",
                "service.manage",
            },
            city_wide=True,
        ),
        # The 12345 centre works city-wide: its agents take every call and follow every
        # ticket to the end whichever department handles it (workflow roles narrow what
        # they may do to the hotline's own steps).
        _role(
            "hotline_agent",
            _("12345 话务员"),
            {"case.handle", "case.intake", "personal.unmask", "hotline.view", "hotline.intake"},
            city_wide=True,
        ),
        _role(
            "hotline_supervisor",
            _("12345 值班长"),
            {
                "case.handle",
                "case.intake",
                "case.assign",
                "personal.unmask",
                "hotline.view",
                "hotline.intake",
                "hotline.supervise",
                "warning.publish",
            },
            city_wide=True,
        ),
        _role(
            "hotline_handler",
            _("热线承办人员"),
            {"case.view", "case.handle", "hotline.view", "hotline.handle", "knowledge.manage"},
        ),
        _role("grid_worker", _("网格员"), {"case.view", "grid.report"}),
        _role("inspector", _("执法检查人员"), {"case.view", "case.handle"}),
        _role(
            "leader",
            _("领导"),
            {"case.view", "cockpit.view", "org.view", "hotline.view"},
            city_wide=True,
        ),
        _role(
            "auditor",
            _("审计人员"),
            {"audit.view", "audit.verify", "case.view", "org.view", "personal.unmask"},
            city_wide=True,
        ),
        _role(
            "sysadmin",
            _("系统管理员"),
            {"org.view", "org.manage", "user.view", "user.manage", "audit.verify", "system.manage"},
            city_wide=True,
        ),
    ]
}


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code
