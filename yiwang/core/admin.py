"""Django admin for core master data. Personal fields are masked; writes go through
``actions.admin`` so they are audited; ledger, cases and messages are read-only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiwang.core.actions.admin import do_admin_delete, do_admin_save
from yiwang.core.fields import index_for
from yiwang.core.identifiers import is_valid_id_number
from yiwang.core.masking import mask_id_number, mask_name, mask_phone
from yiwang.core.models import (
    ApiClient,
    AuditBlock,
    AuditEntry,
    CalendarDay,
    CalendarYear,
    Case,
    CaseEvent,
    Delivery,
    Department,
    Division,
    Notification,
    NumberSequence,
    OrgUnit,
    RoleAssignment,
    User,
    Workflow,
)
from yiwang.core.roles import role_label

admin.site.site_header = _("焦作一网 系统管理后台")
admin.site.site_title = _("焦作一网")
admin.site.index_title = _("基础数据与账号维护")


class AuditedAdmin(admin.ModelAdmin):
    """Saves and deletes through the audited admin actions."""

    def save_model(self, request, obj, form, change):
        do_admin_save(
            actor=request.user, obj=obj, changed=list(form.changed_data), created=not change
        )

    def delete_model(self, request, obj):
        do_admin_delete(actor=request.user, obj=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            do_admin_delete(actor=request.user, obj=obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """View only: these rows are written by their own workflows, never by hand."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Division)
class DivisionAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "kind", "parent", "zone", "population")
    list_filter = ("level", "kind")
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    readonly_fields = ("path",)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("code", "name", "short_name", "line", "division", "credit_code")
    list_filter = ("line", "division__level")
    search_fields = ("code", "name", "short_name", "credit_code")
    raw_id_fields = ("division", "parent")
    exclude = ("sm2_private_enc",)
    readonly_fields = ("sm2_public_pem",)


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdmin):
    list_display = ("name", "department", "division")
    list_filter = ("department__line",)
    search_fields = ("name", "department__name", "division__name", "division__code")
    raw_id_fields = ("department", "division")


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ("role_name", "org_unit", "granted_at")
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("角色"))
    def role_name(self, obj):
        return role_label(obj.role)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin):
    """Accounts are created by registration or the user actions; here an administrator
    can only switch an account on or off and change its preferences."""

    list_display = (
        "username",
        "masked_name",
        "kind",
        "org_unit",
        "masked_id_number",
        "masked_phone",
        "assurance",
        "is_active",
        "totp_enabled",
        "last_login",
    )
    list_filter = ("kind", "assurance", "is_active", "totp_enabled", "is_superuser")
    search_fields = ("username", "enterprise_name", "credit_code")
    list_select_related = ("org_unit",)
    fields = (
        "username",
        "kind",
        "masked_name",
        "masked_id_number",
        "masked_phone",
        "enterprise_name",
        "credit_code",
        "org_unit",
        "is_active",
        "elder_mode",
        "totp_enabled",
        "last_login",
        "date_joined",
    )
    readonly_fields = (
        "username",
        "kind",
        "masked_name",
        "masked_id_number",
        "masked_phone",
        "enterprise_name",
        "credit_code",
        "org_unit",
        "totp_enabled",
        "last_login",
        "date_joined",
    )
    inlines = (RoleInline,)

    @admin.display(description=_("姓名"))
    def masked_name(self, obj):
        return mask_name(obj.full_name)

    @admin.display(description=_("身份证号码"))
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number) if obj.id_number else ""

    @admin.display(description=_("手机号码"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone) if obj.phone else ""

    def get_search_results(self, request, queryset, search_term):
        """Exact ID number or mobile number searches use the blind index."""
        term = search_term.strip()
        if is_valid_id_number(term):
            return queryset.filter(id_number_index=index_for(User, "id_number", term)), False
        if term.isdigit() and len(term) == 11:
            return queryset.filter(phone_index=index_for(User, "phone", term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ("year", "source", "loaded_at")


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    """Official holidays and adjusted working days: editable when a schedule changes."""

    list_display = ("date", "is_workday", "name")
    list_filter = ("is_workday",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(Workflow)
class WorkflowAdmin(ReadOnlyAdmin):
    list_display = ("code", "version", "name", "case_time_limit_days", "active")
    list_filter = ("active",)
    search_fields = ("code", "name")


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    fields = ("at", "action", "from_state", "to_state", "actor", "comment", "comment_en")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "title",
        "workflow",
        "state",
        "division",
        "department",
        "state_due",
        "case_due",
        "closed_at",
        "escalation_level",
    )
    list_filter = ("workflow__code", "state", "escalation_level", "calendar_estimated")
    search_fields = ("number", "title")
    list_select_related = ("workflow", "division", "department")
    date_hierarchy = "opened_at"
    inlines = (CaseEventInline,)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("title", "user", "created_at", "read_at")
    list_filter = ("read_at",)
    search_fields = ("title", "user__username")
    list_select_related = ("user",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("notification", "channel", "status", "attempts", "sent_at")
    list_filter = ("channel", "status")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_label", "action", "object_type", "object_id", "block")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "action", "object_id", "purpose")
    date_hierarchy = "at"


@admin.register(AuditBlock)
class AuditBlockAdmin(ReadOnlyAdmin):
    list_display = ("number", "first_entry", "last_entry", "count", "sealed_at", "key_id")
    search_fields = ("merkle_root", "head")
    exclude = ("leaves",)


@admin.register(ApiClient)
class ApiClientAdmin(ReadOnlyAdmin):
    """API clients are created with ``yiwang apiclient`` (the secret is shown once)."""

    list_display = ("name", "user", "scopes", "created_at")
    search_fields = ("name", "user__username")


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdmin):
    list_display = ("key", "value")
    search_fields = ("key",)
