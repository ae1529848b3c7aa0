"""Forms of the 电子证照 pages: they parse what a page sends and leave the rules to the
actions (``licences.actions``), whose refusals go back onto the form with
``core.forms.add_errors``; 证照核验 puts the query's refusal on the input it is about."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yiwang.core.models import Department
from yiwang.licences.models import LicenceType, Seal
from yiwang.licences.verify import PAYLOAD_MAX

DATE_FORMAT = _l("日期格式应为 YYYY-MM-DD。")
ISSUER_MISSING = _l("请选择颁发机构。")
DEPARTMENT_MISSING = _l("请选择用章部门。")


def _mark_required(form: forms.Form, *names: str) -> None:
    """Mark questions the action insists on, though the form leaves the check to it."""
    for name in names:
        setattr(form.fields[name], "required_mark", True)  # noqa: B010 - read by the field partial


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        error_messages={"invalid": DATE_FORMAT},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class _DepartmentChoice(forms.ChoiceField):
    """One of the given departments, by its id; anything else is the same refusal as
    none."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.departments: list[Department] = []

    def clean(self, value: Any) -> Department:
        key = super().clean(value)
        found = next((d for d in self.departments if str(d.pk) == key), None)
        if found is None:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return found


def _departments(
    form: forms.Form, name: str, departments: Sequence[Department], empty: Any
) -> None:
    field = form.fields[name]
    assert isinstance(field, _DepartmentChoice)
    field.departments = list(departments)
    field.choices = [(str(d.pk), d.name) for d in departments] or [("", empty)]


# ---- 证照 --------------------------------------------------------------------------


class LicenceStatusForm(forms.Form):
    """变更证照状态: 暂扣 / 恢复 / 撤销 / 注销 / 吊销 with a reason (原因) the holder is told.
    Whether the step is open now and how long the reason must be, the action decides."""

    action = forms.CharField(label=_l("操作"), required=False)
    reason = forms.CharField(
        label=_l("原因（必填，将通知持证主体）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": "500"}),
    )

    def __init__(self, *args: Any, transitions: Iterable[Any] = (), **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["action"].widget = forms.Select(
            choices=[(t.code, t.label) for t in transitions]
        )


class LicenceTypeForm(forms.Form):
    """签发电子证照, the first question: which 证照类型 (those in use)."""

    type = forms.CharField(label=_l("证照类型"), required=False)

    def __init__(self, *args: Any, types: QuerySet[LicenceType], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.types = types
        self.fields["type"].widget = forms.Select(
            choices=[("", _l("请选择"))] + [(t.slug, t.display_name) for t in types]
        )

    def licence_type(self) -> LicenceType | None:
        """The type chosen, or None when none (or one not in use) was."""
        slug = self.cleaned_data["type"] if self.is_valid() else ""
        return self.types.filter(slug=slug).first() if slug else None


class LicenceIssueForm(forms.Form):
    """签发电子证照 by hand: the issuing department (颁发机构), the holder (持证主体 and its
    代码), the type's 照面信息 (one ``data_<key>`` input each), the validity and the source.

    The holder, the identifier by its standard and the 照面信息 the action checks (one
    rule for page, API and issuing on approval); the form checks that the department is
    one the user may issue for and that the date is a date."""

    issuer = _DepartmentChoice(
        label=_l("颁发机构"),
        error_messages={"required": ISSUER_MISSING, "invalid_choice": ISSUER_MISSING},
    )
    holder_name = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"maxlength": "100"})
    )
    holder_id_type = forms.CharField(label=_l("持证主体代码类型"), required=False)
    holder_id = forms.CharField(
        label=_l("持证主体代码"), required=False, widget=forms.TextInput(attrs={"maxlength": "40"})
    )
    valid_until = _date_field(_l("有效期截止（留空按目录默认）"))
    source = forms.CharField(
        label=_l("来源（如办件编号）"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "120"}),
    )

    def __init__(
        self,
        *args: Any,
        licence_type: LicenceType,
        issuers: Sequence[Department],
        id_types: Sequence[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        _departments(self, "issuer", issuers, _l("您没有可签发此类证照的部门"))
        self.fields["holder_name"].label = licence_type.display_holder_label
        self.fields["holder_id_type"].widget = forms.Select(
            choices=[(v, f"{label}（{v}）") for v, label in id_types]
        )
        self.keys = [f["key"] for f in licence_type.fields or []]
        for spec in licence_type.fields or []:
            self.fields[f"data_{spec['key']}"] = forms.CharField(
                label=spec.get("label", spec["key"]),
                required=False,
                widget=forms.TextInput(attrs={"maxlength": "500"}),
            )
            if spec.get("required"):
                _mark_required(self, f"data_{spec['key']}")
        _mark_required(self, "holder_name", "holder_id_type", "holder_id")
        # The data inputs come after the holder, as the licence face lists them.
        order = ["issuer", "holder_name", "holder_id_type", "holder_id"]
        self.order_fields(order + [f"data_{k}" for k in self.keys])

    def data_fields(self) -> list[forms.BoundField]:
        """The 照面信息 inputs, in the type's order."""
        return [self[f"data_{k}"] for k in self.keys]

    def licence_data(self) -> dict[str, str]:
        """The 照面信息 as the action takes it: ``{key: value}``."""
        return {k: self.cleaned_data[f"data_{k}"] for k in self.keys}


# ---- 电子印章 ----------------------------------------------------------------------


class SealCreateForm(forms.Form):
    """制作电子印章: the department that will use it (用章部门), the kind, a name and how
    long it is valid. Kind, name and validity the action checks."""

    department = _DepartmentChoice(
        label=_l("用章部门"),
        error_messages={"required": DEPARTMENT_MISSING, "invalid_choice": DEPARTMENT_MISSING},
    )
    kind = forms.CharField(
        label=_l("印章类型"),
        required=False,
        widget=forms.Select(choices=Seal.Kind.choices),
    )
    name = forms.CharField(
        label=_l("印章名称（留空用部门名称）"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "24"}),
    )
    valid_until = _date_field(_l("有效期截止（留空为五年）"))

    def __init__(self, *args: Any, departments: Sequence[Department], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        _departments(self, "department", departments, DEPARTMENT_MISSING)
        _mark_required(self, "kind")


class SealDisableForm(forms.Form):
    """停用印章: why (停用原因); its length the action checks."""

    reason = forms.CharField(
        label=_l("停用原因（必填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": "500"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


# ---- 证照核验 ----------------------------------------------------------------------


class VerifyForm(forms.Form):
    """证照核验: the pasted QR content (or an identifier), or the licence's PDF file. One
    of the two is needed; what they say, the verification decides."""

    payload = forms.CharField(
        label=_l("二维码内容或电子证照标识"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": "1000"}),
    )
    file = forms.FileField(
        required=False,
        allow_empty_file=True,  # an empty file is refused by the upload check, with its words
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args: Any, max_mb: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["file"].label = _("或上传证照 PDF 文件（不超过 %(max_mb)s MB）") % {
            "max_mb": max_mb
        }

    def clean_payload(self) -> str:
        # Bounded before anything reads it; one character over tells the check it is long.
        return self.cleaned_data["payload"][: PAYLOAD_MAX + 1]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("file") is None and not data.get("payload", "").strip():
            raise forms.ValidationError(
                _l("请粘贴二维码内容、输入电子证照标识或上传证照文件。"), code="empty"
            )
        return data
