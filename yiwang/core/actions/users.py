"""Writes to users and roles: staff accounts, citizen and enterprise accounts, roles."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import access, audit, ratelimit
from yiwang.core.errors import Invalid, NotFound, RateLimited
from yiwang.core.fields import index_for
from yiwang.core.identifiers import validate_credit_code, validate_id_number, validate_mobile
from yiwang.core.identity import registry
from yiwang.core.models import Assurance, OrgUnit, RoleAssignment, User
from yiwang.core.notify.text import bilingual
from yiwang.core.roles import ROLES, role_label

# Self-registration attempts per ID number an hour: the registry match must not become
# an oracle for guessing which name goes with an ID number.
REGISTER_TRIES_PER_ID = 5


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
    under the same rules as granting it; a role not held there is ``NotFound``."""
    held = RoleAssignment.objects.filter(user=user, role=role).select_related(
        "org_unit__division", "org_unit__department"
    )
    if org_unit is not None:
        held = held.filter(org_unit=org_unit)
    assignments = list(held)
    for ra in assignments:
        access.require_grant(actor, user, role, ra.org_unit or user.org_unit)
    if not assignments:
        # Refuse what the actor could not revoke anyway, then say it is not held.
        access.require_grant(actor, user, role, org_unit or user.org_unit)
        raise NotFound(_("该人员没有此角色，无需收回。"), code="role_not_held")
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

    def title() -> str:
        verb = _("授予") if action.endswith("grant_role") else _("收回")
        return _("角色变更：%(verb)s %(user)s “%(role)s”") % {
            "verb": verb,
            "user": user.username,
            "role": role_label(role),
        }

    by = getattr(actor, "username", "")
    do_notify_many(
        actor=actor,
        users=bureau,
        title=bilingual(title),
        body=bilingual(lambda: _("操作人：%(by)s。") % {"by": by or _("系统")}),
        url=f"/org/staff/{user.pk}/",
        channels=(),
    )


def id_taken_error() -> ValidationError:
    """An ID number already bound to an account: only a window clerk re-binds it."""
    return ValidationError(
        {
            "id_number": _(
                "该身份证号码已注册账号。如非本人注册，请携带居民身份证到政务服务大厅窗口"
                "核验后办理账号换绑。"
            )
        },
        code="id_taken",
    )


def identity_mismatch_error() -> Invalid:
    """Name and ID number do not match the population registry — one neutral message
    that does not say which of the two is wrong (or whether the ID number exists)."""
    return Invalid(
        _("姓名与身份证号码未能通过人口库核验，请核对后重新输入。"), code="identity_mismatch"
    )


def _require_assurance_grant(actor, level: int) -> None:
    """Staff creating an account at a 实名等级 above 未实名 must be able to verify
    identities (``identity.verify``, 窗口实名核验); the platform states its own."""
    if actor is not None and level > Assurance.NONE:
        access.require(
            actor,
            "identity.verify",
            message=_("您没有实名核验的权限，不能创建已实名的账号。"),
        )


def _new_citizen(*, username, full_name, id_number, password, phone, validate, level: int) -> User:
    if User.objects.filter(id_number_index=index_for(User, "id_number", id_number)).exists():
        raise id_taken_error()
    user = User(
        username=username,
        full_name=full_name,
        kind=User.Kind.CITIZEN,
        id_number=id_number,
        phone=validate_mobile(phone) if phone else "",
        assurance=level,
        assured_at=timezone.now() if level > Assurance.NONE else None,
    )
    _set_password(user, password, validate)
    _insert(user, id_taken_error())
    return user


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
    assurance: int = Assurance.SMS,
) -> User:
    """Create a citizen account (群众) bound to a validated, unique ID number, at the
    实名等级 its creator states: the platform (seeding, imports from systems that
    verified the person) or a window clerk who saw the ID card. Self-registration goes
    through ``do_register_citizen``, which sets only the level it proved."""
    _check_username(username)
    id_number = validate_id_number(id_number)
    _require_assurance_grant(actor, assurance)
    user = _new_citizen(
        username=username,
        full_name=full_name,
        id_number=id_number,
        password=password,
        phone=phone,
        validate=validate,
        level=assurance,
    )
    return _recorded_citizen(actor, user, id_number, assurance, "stated")


def do_register_citizen(
    *,
    actor=None,
    username: str,
    full_name: str,
    id_number: str,
    password: str,
    phone: str,
    validate: bool = True,
) -> User:
    """个人注册 (self-registration): name and ID number must match one resident in the
    population registry (人口库, through its blind index) — else one neutral refusal —
    and the ID number must not be bound to an account yet (re-binding is a window
    clerk's ``do_rebind_id_number``). The account starts at 基础库比对; the SMS code to
    the registry's mobile number (``do_verify_phone_code``) takes it to 实名. With no
    population registry installed it stays 未实名."""
    _check_username(username)
    id_number = validate_id_number(id_number)
    full_name = "".join(full_name.split())
    if not ratelimit.spend(
        "register-id", index_for(User, "id_number", id_number), REGISTER_TRIES_PER_ID, 3600
    ):
        raise RateLimited(_("该身份证号码的注册尝试过于频繁，请一小时后再试。"))
    return _register_citizen(actor, username, full_name, id_number, password, phone, validate)


@transaction.atomic
def _register_citizen(actor, username, full_name, id_number, password, phone, validate) -> User:
    """The write of ``do_register_citizen``, in its own transaction: the try was counted
    before it, so a refused one (no such resident) still counts."""
    level = Assurance.NONE
    if registry.has_registry("person"):
        if registry.match_person(full_name, id_number) is None:
            raise identity_mismatch_error()
        level = Assurance.REGISTRY
    user = _new_citizen(
        username=username,
        full_name=full_name,
        id_number=id_number,
        password=password,
        phone=phone,
        validate=validate,
        level=level,
    )
    return _recorded_citizen(actor, user, id_number, level, "self")


def _recorded_citizen(actor, user: User, id_number: str, level: int, via: str) -> User:
    """The ledger entry of a new citizen account: who made it, at which 实名等级, how."""
    audit.record(
        actor=actor or user,
        action="core.user.create_citizen",
        obj=user,
        change={"id_number": id_number, "assurance": int(level), "via": via},
    )
    return user


def _new_enterprise(
    *, username, enterprise_name, credit_code, full_name, password, phone, validate, level: int
) -> User:
    user = User(
        username=username,
        full_name=full_name,
        kind=User.Kind.ENTERPRISE,
        credit_code=credit_code,
        enterprise_name=enterprise_name,
        phone=validate_mobile(phone) if phone else "",
        assurance=level,
        assured_at=timezone.now() if level > Assurance.NONE else None,
    )
    _set_password(user, password, validate)
    _insert(user)
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
    assurance: int = Assurance.SMS,
) -> User:
    """Create an enterprise account (企业用户) bound to a validated credit code, at the
    实名等级 its creator states (the platform, or staff with ``identity.verify``);
    self-registration goes through ``do_register_enterprise``."""
    _check_username(username)
    credit_code = validate_credit_code(credit_code)
    _require_assurance_grant(actor, assurance)
    user = _new_enterprise(
        username=username,
        enterprise_name=enterprise_name,
        credit_code=credit_code,
        full_name=full_name,
        password=password,
        phone=phone,
        validate=validate,
        level=assurance,
    )
    audit.record(
        actor=actor or user,
        action="core.user.create_enterprise",
        obj=user,
        change={"credit_code": credit_code, "assurance": int(assurance), "via": "stated"},
    )
    return user


def enterprise_mismatch_error() -> Invalid:
    """Credit code and enterprise name do not match the legal-person registry: one
    neutral message."""
    return Invalid(
        _("企业名称与统一社会信用代码未能通过法人库核验，请核对后重新输入。"),
        code="identity_mismatch",
    )


def do_register_enterprise(
    *,
    actor=None,
    username: str,
    enterprise_name: str,
    credit_code: str,
    full_name: str,
    password: str,
    phone: str,
    validate: bool = True,
) -> User:
    """企业注册 (self-registration): where a legal-person registry (法人库) is installed,
    the credit code must be registered under the name given (else one neutral refusal)
    and the account starts at 基础库比对. It becomes 实名 only through a window check
    of the licence and the legal representative's ID card."""
    _check_username(username)
    credit_code = validate_credit_code(credit_code)
    enterprise_name = enterprise_name.strip()
    if not ratelimit.spend("register-code", credit_code, REGISTER_TRIES_PER_ID, 3600):
        raise RateLimited(_("该统一社会信用代码的注册尝试过于频繁，请一小时后再试。"))
    return _register_enterprise(
        actor, username, enterprise_name, credit_code, full_name, password, phone, validate
    )


@transaction.atomic
def _register_enterprise(
    actor, username, enterprise_name, credit_code, full_name, password, phone, validate
) -> User:
    """The write of ``do_register_enterprise``, in its own transaction: the try was
    counted before it, so a refused one (no such enterprise) still counts."""
    level = Assurance.NONE
    if registry.has_registry("legal_entity"):
        facts = registry.match_legal_entity(credit_code)
        if facts is None or facts.get("name", "").strip() != enterprise_name:
            raise enterprise_mismatch_error()
        level = Assurance.REGISTRY
    user = _new_enterprise(
        username=username,
        enterprise_name=enterprise_name,
        credit_code=credit_code,
        full_name=full_name,
        password=password,
        phone=phone,
        validate=validate,
        level=level,
    )
    audit.record(
        actor=actor or user,
        action="core.user.create_enterprise",
        obj=user,
        change={"credit_code": credit_code, "assurance": int(level), "via": "self"},
    )
    _tell_accounts_of_the_same_enterprise(user)
    return user


def _tell_accounts_of_the_same_enterprise(new: User) -> None:
    """An enterprise may have several accounts (one per 经办人), so a second one is
    allowed; the existing accounts of the credit code are told, so an account opened in
    the company's name by someone else does not go unnoticed."""
    from yiwang.core.actions.notify import do_notify

    others = User.objects.filter(
        kind=User.Kind.ENTERPRISE, credit_code=new.credit_code, is_active=True
    ).exclude(pk=new.pk)
    for other in others[:20]:
        do_notify(
            actor=None,
            user=other,
            title=bilingual(lambda: _("有新账号以本企业名义注册")),
            body=bilingual(
                lambda: (
                    _(
                        "账号 %(username)s（经办人 %(name)s）以本企业的统一社会信用代码注册。如不是本"
                        "企业人员注册，请不要让法定代表人确认该账号，并拨打 12345 反映。"
                    )
                    % {"username": new.username, "name": new.full_name or "—"}
                )
            ),
            url="/account/",
        )
