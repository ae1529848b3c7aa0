"""Forms of the staff directory (工作人员名录): revealing one field for a stated purpose,
and granting or revoking a role (授予/收回角色). The forms only parse; who may grant
what is decided by ``core.access.require_grant`` inside the actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.core.roles import role_label
from yiwang.core.staff_directory import REVEALABLE

FIELD_LABELS = {"full_name": _("姓名"), "phone": _("手机号码")}


class RevealForm(forms.Form):
    """查看完整信息: which field of which member, and why (recorded in the ledger)."""

    user_id = forms.IntegerField(widget=forms.HiddenInput)
    field = forms.ChoiceField(label=_("字段"), choices=[(f, FIELD_LABELS[f]) for f in REVEALABLE])
    purpose = forms.CharField(
        label=_("用途"),
        min_length=2,
        max_length=200,
        error_messages={"required": _("请说明查看用途。")},
    )


class GrantRoleForm(forms.Form):
    """授予角色: the choices are the roles the signed-in administrator may grant this
    member (``access.grantable_roles``); anything else is refused by the action too."""

    role = forms.ChoiceField(
        label=_("角色"), error_messages={"required": _("请选择要授予的角色。")}
    )

    def __init__(self, *args, grantable: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["role"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("请选择")), *((c, role_label(c)) for c in grantable)]


class RevokeRoleForm(forms.Form):
    """收回角色: one role held in one org unit."""

    role = forms.CharField(max_length=32, widget=forms.HiddenInput)
    org_unit = forms.IntegerField(widget=forms.HiddenInput)
