"""Roles (角色) and the permissions each grants. Roles are data here, in one table, so
every room asks the same question: may this user do P within this org unit?

The table is composed: core defines the base roles with the platform's own permissions
(办件, 组织机构, 人员, 审计, 脱敏), and each installed room's manifest
(``yiwang.core.rooms``) grants its permissions to roles and may add roles of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Who may grant a role when its definition says nothing: the system administrator alone
# (a room's new role stays closed until the room says which administrators hand it out).
DEFAULT_GRANTERS = frozenset({"sysadmin"})
# Roles a department's own administrator hands out to its staff (岗位角色).
DEPARTMENT_GRANTERS = frozenset({"dept_admin", "bureau_admin", "sysadmin"})


@dataclass(frozen=True)
class Role:
    """A role (角色): the permissions it grants and its reach.

    ``city_wide`` roles reach every department of the holder's division subtree (the
    whole city when held at city level, one county when held in a county); the others
    reach the holder's department (and its county counterparts) in that subtree.
    ``granted_by`` names the roles whose holders may grant it (授权): data, so who hands
    out which role is read and tested like the rest of the table. Empty = only the
    platform itself (the command line) grants it.
    """

    code: str
    label: str
    permissions: frozenset[str]
    city_wide: bool = False
    granted_by: frozenset[str] = DEFAULT_GRANTERS


def _role(code, label, perms, city_wide=False, granted_by=DEPARTMENT_GRANTERS) -> Role:
    return Role(code, label, frozenset(perms), city_wide, frozenset(granted_by))


_BUREAU = frozenset({"bureau_admin", "sysadmin"})


# Core's roles with core's permissions; rooms add theirs through their manifests.
BASE_ROLES: tuple[Role, ...] = (
    _role(
        "window_clerk",
        _("窗口人员"),
        {"case.view", "case.handle", "case.intake", "personal.unmask", "identity.verify"},
    ),
    _role(
        "approver", _("审批人员"), {"case.view", "case.handle", "case.decide", "personal.unmask"}
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
        },
        granted_by=_BUREAU,
    ),
    _role("data_steward", _("数据专员"), {"case.view", "case.handle"}),
    _role(
        "bureau_admin",
        _("大数据局管理员"),
        {
            "case.view",
            "case.assign",
            "case.handle",
            "org.view",
            "org.manage",
            "user.view",
            "user.manage",
            "identity.clients",  # 接入系统管理, over the whole city only (core.access)
        },
        city_wide=True,
        granted_by={"sysadmin"},
    ),
    # The 12345 centre works city-wide: its agents take every call and follow every
    # ticket to the end whichever department handles it (workflow roles narrow what
    # they may do to the hotline's own steps).
    _role(
        "hotline_agent",
        _("12345 话务员"),
        {"case.handle", "case.intake", "personal.unmask"},
        city_wide=True,
        granted_by=_BUREAU,
    ),
    _role(
        "hotline_supervisor",
        _("12345 值班长"),
        {"case.handle", "case.intake", "case.assign", "personal.unmask"},
        city_wide=True,
        granted_by=_BUREAU,
    ),
    _role("hotline_handler", _("热线承办人员"), {"case.view", "case.handle"}),
    _role("grid_worker", _("网格员"), {"case.view"}),
    _role("inspector", _("执法检查人员"), {"case.view", "case.handle"}),
    _role(
        "leader",
        _("领导"),
        {"case.view", "cockpit.view", "org.view"},
        city_wide=True,
        granted_by=_BUREAU,
    ),
    _role(
        "auditor",
        _("审计人员"),
        {"audit.view", "audit.verify", "case.view", "org.view", "personal.unmask"},
        city_wide=True,
        granted_by={"sysadmin"},  # the audited do not choose their auditors (职责分离)
    ),
    _role(
        "sysadmin",
        _("系统管理员"),
        {"org.view", "org.manage", "user.view", "user.manage", "audit.verify", "system.manage"},
        city_wide=True,
        granted_by=(),  # only the platform: `yiwang users grant` on the server
    ),
)


def compose(base: tuple[Role, ...], manifests) -> dict[str, Role]:
    """The role table: ``base`` plus each manifest's own roles, then each manifest's
    grants added to the roles they name. A grant to a role nobody defines is a
    configuration error, not a silent no-op."""
    roles = {r.code: r for r in base}
    for m in manifests:
        for role in m.roles:
            if role.code in roles:
                raise ImproperlyConfigured(f"room {m.key!r} redefines role {role.code!r}")
            roles[role.code] = role
    for m in manifests:
        for code, perms in m.grants.items():
            role = roles.get(code)
            if role is None:
                raise ImproperlyConfigured(f"room {m.key!r} grants to unknown role {code!r}")
            roles[code] = replace(role, permissions=role.permissions | frozenset(perms))
    for role in roles.values():
        unknown = role.granted_by - roles.keys()
        if unknown:
            raise ImproperlyConfigured(f"role {role.code!r} granted by unknown {sorted(unknown)}")
    return roles


def _compose_installed() -> dict[str, Role]:
    from yiwang.core.rooms import manifests

    return compose(BASE_ROLES, manifests())


ROLES: dict[str, Role] = _compose_installed()


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return str(role.label) if role else code
