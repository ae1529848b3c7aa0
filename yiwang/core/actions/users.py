"""Writes to users and roles: staff accounts, citizen and enterprise accounts, roles."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from yiwang.core import access, audit
from yiwang.core.fields import index_for
from yiwang.core.identifiers import validate_credit_code, validate_id_number, validate_mobile
from yiwang.core.models import OrgUnit, RoleAssignment, User
from yiwang.core.roles import ROLES, role_label


def _check_username(username: str) -> None:
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("该用户名已被使用。")}, code="username_taken")


def _insert(user: User, conflict: ValidationError | None = None) -> None:
    """Insert a new account; a concurrent insert that wins the race on a unique column
    becomes the same field error the up-front check gives, not a 500."""
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        _check_username(user.username)
        raise (conflict or ValidationError({"username": _("该用户名已被使用。")})) from None


def _set_password(user: User, password: str | None, validate: bool = True) -> None:
    """Hash the password (checked against the password rules unless ``validate`` is off,
    as for generated demo accounts); no password means password login is disabled."""
    if password and not validate:
        user.set_password(password)
    elif password:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()


@transaction.atomic
def do_create_staff(
    *,
    actor,
    username: str,
    full_name: str,
    org_unit: OrgUnit,
    roles: list[str],
    password: str | None = None,
    phone: str = "",
    validate: bool = True,
) -> User:
    """Create a staff account (工作人员) in an org unit with its roles."""
    _check_username(username)
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValidationError({"roles": _("未知角色：%s") % ", ".join(unknown)})
    if actor is not None:
        # Creating an account with roles is granting them: the same rules, checked
        # against the new member's org unit before anything is written.
        probe = User(kind=User.Kind.STAFF, org_unit=org_unit)
        for code in roles:
            access.require_grant(actor, probe, code, org_unit)
    user = User(
        username=username,
        full_name=full_name,
        kind=User.Kind.STAFF,
        org_unit=org_unit,
        is_staff=False,
        phone=validate_mobile(phone) if phone else "",
    )
    _set_password(user, password, validate)
    _insert(user)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=r, org_unit=org_unit) for r in roles]
    )
    audit.record(
        actor=actor,
        action="core.user.create_staff",
        obj=user,
        change={"org_unit": org_unit.pk, "roles": roles},
    )
    return user


@transaction.atomic
def do_grant_role(*, actor, user: User, role: str, org_unit: OrgUnit | None = None):
    """Give a staff member a role (授予角色) held in an org unit (their own by default).

    ``access.require_grant`` decides: nobody grants to themselves, only the roles the
    role's ``granted_by`` names grant it, never wider than the granter's own reach; only
    staff accounts hold roles. Recorded in the ledger and told to the bureau."""
    unit = org_unit or user.org_unit
    access.require_grant(actor, user, role, unit)
    ra, created = RoleAssignment.objects.get_or_create(user=user, role=role, org_unit=unit)
    if created:
        _record_role_change(actor, user, "core.user.grant_role", role, [ra.org_unit_id])
    return ra


@transaction.atomic
def do_revoke_role(*, actor, user: User, role: str, org_unit: OrgUnit | None = None) -> int:
    """Take a role back (收回角色) — in one org unit, or everywhere the member holds it —
    under the same rules as granting it."""
    held = RoleAssignment.objects.filter(user=user, role=role).select_related(
        "org_unit__division", "org_unit__department"
    )
    if org_unit is not None:
        held = held.filter(org_unit=org_unit)
    assignments = list(held)
    for ra in assignments:
        access.require_grant(actor, user, role, ra.org_unit or user.org_unit)
    if not assignments:
        return 0
    RoleAssignment.objects.filter(pk__in=[ra.pk for ra in assignments]).delete()
    units = [ra.org_unit_id for ra in assignments]
    _record_role_change(actor, user, "core.user.revoke_role", role, units)
    return len(assignments)


def _record_role_change(actor, user: User, action: str, role: str, units: list) -> None:
    """Ledger entry for a grant or revoke, and a message to the bureau's administrators
    (大数据局) whose reach covers the member, so no role changes hands unseen."""
    from yiwang.core.actions.notify import do_notify_many

    audit.record(actor=actor, action=action, obj=user, change={"role": role, "org_unit": units})
    home = user.org_unit
    if home is None:
        return
    bureau = [
        u
        for u in access.holders(
            {"bureau_admin"}, division_path=home.division.path, department=home.department
        )
        if getattr(actor, "pk", None) != u.pk
    ]
    verb = _("授予") if action.endswith("grant_role") else _("收回")
    title = _("角色变更：%(verb)s %(user)s “%(role)s”") % {
        "verb": verb,
        "user": user.username,
        "role": role_label(role),
    }
    by = getattr(actor, "username", "") or _("系统")
    do_notify_many(
        actor=actor,
        users=bureau,
        title=title,
        body=_("操作人：%(by)s。") % {"by": by},
        url=f"/org/staff/{user.pk}/",
        channels=(),
    )


@transaction.atomic
def do_create_citizen(
    *,
    actor,
    username: str,
    full_name: str,
    id_number: str,
    password: str | None,
    phone: str = "",
    validate: bool = True,
) -> User:
    """Create a citizen account (群众) bound to a validated, unique ID number."""
    _check_username(username)
    id_number = validate_id_number(id_number)
    if User.objects.filter(id_number_index=index_for(User, "id_number", id_number)).exists():
        raise ValidationError({"id_number": _("该身份证号码已注册账号。")}, code="id_taken")
    user = User(
        username=username,
        full_name=full_name,
        kind=User.Kind.CITIZEN,
        id_number=id_number,
        phone=validate_mobile(phone) if phone else "",
    )
    _set_password(user, password, validate)
    _insert(user, ValidationError({"id_number": _("该身份证号码已注册账号。")}, code="id_taken"))
    audit.record(
        actor=actor or user,
        action="core.user.create_citizen",
        obj=user,
        change={"id_number": id_number},
    )
    return user


@transaction.atomic
def do_create_enterprise(
    *,
    actor,
    username: str,
    enterprise_name: str,
    credit_code: str,
    full_name: str,
    password: str | None,
    phone: str = "",
    validate: bool = True,
) -> User:
    """Create an enterprise account (企业用户) bound to a validated credit code."""
    _check_username(username)
    credit_code = validate_credit_code(credit_code)
    user = User(
        username=username,
        full_name=full_name,
        kind=User.Kind.ENTERPRISE,
        credit_code=credit_code,
        enterprise_name=enterprise_name,
        phone=validate_mobile(phone) if phone else "",
    )
    _set_password(user, password, validate)
    _insert(user)
    audit.record(
        actor=actor or user,
        action="core.user.create_enterprise",
        obj=user,
        change={"credit_code": credit_code},
    )
    return user
