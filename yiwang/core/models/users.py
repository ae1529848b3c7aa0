"""Users of four kinds (工作人员 / 群众 / 企业用户 / 系统) and their roles."""

from __future__ import annotations

from typing import ClassVar, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.authcache import InvalidatingQuerySet
from yiwang.core.fields import BlindIndexField, EncryptedTextField
from yiwang.core.models.org import OrgUnit


class Accounts(UserManager.from_queryset(InvalidatingQuerySet)):  # type: ignore[misc]
    """Django's ``UserManager`` whose bulk updates invalidate the accounts they change in
    ``yiwang.core.authcache`` (a ``QuerySet.update`` sends no signal). To migrations it
    is ``UserManager`` itself: it changes nothing in the database."""

    use_in_migrations = True

    def deconstruct(self):
        return (False, "django.contrib.auth.models.UserManager", None, *self._constructor_args)

    def __eq__(self, other):
        return isinstance(other, UserManager) and self._constructor_args == other._constructor_args

    __hash__ = UserManager.__hash__


class HoldingQuerySet(InvalidatingQuerySet):
    """Role assignments: bulk writes invalidate the holders' cached grants."""

    owner = "user_id"


class Assurance(models.IntegerChoices):
    """实名等级 (identity assurance): how far a citizen or enterprise account has proved
    it belongs to the person or entity it names. Each level includes those below it."""

    NONE = 0, _("未实名")
    REGISTRY = 1, _("基础库比对")  # name + ID number (credit code) found in the registry
    SMS = 2, _("手机短信核验")  # and a one-time code to the registry's mobile number
    IN_PERSON = 3, _("窗口核验")  # and seen in person with the ID card at a window


class User(AbstractUser):
    """A person or system that signs in. Personal identifiers are SM4-encrypted with a
    blind index; ``session_epoch`` changes on "log out everywhere"; ``assurance`` is
    the 实名等级 the account reached (never more than it proved)."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("工作人员")
        CITIZEN = "citizen", _("群众")
        ENTERPRISE = "enterprise", _("企业用户")
        SYSTEM = "system", _("系统")

    kind = models.CharField(_("用户类型"), max_length=12, choices=Kind.choices, db_index=True)
    full_name = models.CharField(_("姓名"), max_length=64, blank=True)
    id_number = EncryptedTextField(_("身份证号码"), blank=True)
    id_number_index = BlindIndexField(source="id_number", unique=False)
    phone = EncryptedTextField(_("手机号码"), blank=True)
    phone_index = BlindIndexField(source="phone")
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True, db_index=True)
    enterprise_name = models.CharField(_("企业名称"), max_length=120, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所在组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    totp_secret = EncryptedTextField(blank=True, editable=False)
    totp_enabled = models.BooleanField(_("启用动态口令"), default=False)
    # When the staff 动态口令 requirement first applied to this account without TOTP: the
    # enrolment window (YIWANG["STAFF_TOTP_WINDOW_DAYS"]) counts from here.
    totp_required_since = models.DateTimeField(null=True, blank=True, editable=False)
    session_epoch = models.PositiveIntegerField(default=0, editable=False)
    elder_mode = models.BooleanField(_("长辈模式"), default=False)
    assurance = models.PositiveSmallIntegerField(
        _("实名等级"), choices=Assurance.choices, default=Assurance.NONE, editable=False
    )
    assured_at = models.DateTimeField(_("实名核验时间"), null=True, blank=True, editable=False)

    objects: ClassVar[UserManager[Self]] = Accounts()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            # One citizen account per ID number, also under concurrent registrations.
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=models.Q(kind="citizen", id_number_index__isnull=False),
                name="user_citizen_id_unique",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def division(self):
        return self.org_unit.division if self.org_unit_id else None

    @property
    def department(self):
        return self.org_unit.department if self.org_unit_id else None


class RoleAssignment(models.Model):
    """角色: a staff member holds a role within an org unit (defaults to their own)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=32)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("组织"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    objects = HoldingQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "org_unit"], name="role_unique")
        ]
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")

    def __str__(self) -> str:
        return f"{self.user} · {self.role}"


class RecoveryCode(models.Model):
    """恢复码: a single-use code that stands in for the 动态口令 when the phone is lost.
    Only a keyed SM3 hash (HMAC-SM3 with the blind-index key, bound to the user) is kept;
    the clear codes are shown once, at enrolment or regeneration."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")

    def __str__(self) -> str:
        return f"{self.user} · {_('恢复码')}"
