"""Forms of the 政务服务 pages: they parse what a page sends and leave the rules
to the actions (``services.actions``), whose refusals go back onto the form with
``core.forms.add_errors``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _l

from yiwang.services.models import HolderIdType, ServiceItem

ITEM_MISSING = _l("请选择已发布的办理事项。")


class _Clipped(forms.CharField):
    """Text cut to the length the page always accepted (the action checks the rest)."""

    def __init__(self, *args: Any, clip: int, **kwargs: Any) -> None:
        self.clip = clip
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> str:
        return (super().to_python(value) or "")[: self.clip]


class _Ids(forms.Field):
    """The ids ticked in a group of boxes the page draws itself (the materials received
    on paper, 已收取纸质材料); a value that is not a number is dropped, as the page
    always did."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        return [int(v) for v in values if isinstance(v, str) and v.isascii() and v.isdigit()]


class SentForm(forms.Form):
    """Which of a page's forms was sent, told by its hidden field (``op``, or the one
    named by ``field``): one of ``names``, or ``""`` for none of them."""

    def __init__(self, data: Any, *, names: Iterable[str], field: str = "op") -> None:
        super().__init__(data)
        self.name_field = field
        self.fields[field] = forms.ChoiceField(choices=[(n, n) for n in names], required=False)

    @property
    def sent(self) -> str:
        if not self.is_bound or not self.is_valid():
            return ""
        return str(self.cleaned_data[self.name_field])


class VisitIssueForm(forms.Form):
    """发放窗口服务编号: the item served and, if the visitor gives it, their ID (证件).

    ``items`` are the items the clerk may pick (published 办理项); a code outside them
    is the same refusal as none. The action checks the ID number."""

    item = forms.CharField(
        label=_l("办理事项"),
        max_length=40,
        widget=forms.Select(attrs={"id": "visit-item"}),
        error_messages={"required": ITEM_MISSING, "max_length": ITEM_MISSING},
    )
    applicant_id_type = forms.ChoiceField(
        label=_l("证件类型"),
        choices=[("111", _l("居民身份证")), ("001", _l("统一社会信用代码"))],
        required=False,
        widget=forms.Select(attrs={"id": "visit-id-type"}),
    )
    applicant_id_number = forms.CharField(
        label=_l("证件号码"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={"id": "visit-id-number", "maxlength": "18", "autocomplete": "off"}
        ),
    )

    def __init__(self, *args: Any, items: QuerySet[ServiceItem], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "visit-%s")
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["item"].widget.choices = [("", _l("请选择"))] + [
            (it.code, f"{it.name}（{it.department.short_name or it.department.name}）")
            for it in items.select_related("department")[:500]
        ]

    def clean_item(self) -> ServiceItem:
        item = self.items.filter(code=self.cleaned_data["item"].strip()).first()
        if item is None:
            raise forms.ValidationError(ITEM_MISSING, code="required")
        return item


class _ActionRadio(forms.RadioSelect):
    """The actions open now, each input with the id the page has always given it
    (``act-<code>``)."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        if index is None:
            return ""
        choices = list(self.choices)
        i = int(index)
        return f"act-{choices[i][0]}" if i < len(choices) else super().id_for_label(id_, index)


class RectificationActForm(forms.Form):
    """差评整改 办理: one of the actions open to the user now, and the comment the
    workflow asks for (回访情况、整改措施、解释或申诉理由). Whether the action may be
    taken (403 when not the user's step), whether the comment is needed and how long it
    may be, the action decides."""

    action = forms.CharField(label=_l("操作"), required=False, widget=_ActionRadio)
    comment = forms.CharField(
        label=_l("意见（必填：回访情况、整改措施、解释或申诉理由）"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": "1000"}),
    )

    def __init__(self, *args: Any, actions: list[dict], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "act-%s")
        super().__init__(*args, **kwargs)
        self.fields["action"].widget.choices = [(a["code"], a["name"]) for a in actions]
        if actions:
            self.fields["action"].initial = actions[0]["code"]


class WindowIntakeForm(forms.Form):
    """一窗受理: the item taken in (its code, carried by the form), the applicant the
    clerk enters (申请人: name, 证件类型 and number, phone as ``applicant_phone``) and the
    materials received on paper (收取纸质材料, by spec id). The item's 申请表 is its own set of questions
    (``formdata.bound_fields``). Which name, ID number, credit code and phone are
    acceptable, the action decides, so the form takes them as typed."""

    item = forms.CharField(required=False, widget=forms.HiddenInput)
    applicant_name = forms.CharField(
        label=_l("申请人姓名或单位名称"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "100", "autocomplete": "off"}),
    )
    applicant_id_type = forms.CharField(
        label=_l("证件类型"), required=False, widget=forms.Select(choices=HolderIdType.choices)
    )
    applicant_id_number = forms.CharField(
        label=_l("证件号码"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "18", "autocomplete": "off"}),
    )
    # Not ``phone``: nearly every 申请表 has a 联系电话 field of that name on the same page.
    applicant_phone = forms.CharField(
        label=_l("申请人联系电话"),
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "maxlength": "20", "autocomplete": "off"}),
    )
    received = _Ids(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        for name in ("applicant_name", "applicant_id_number"):
            setattr(self.fields[name], "required_mark", True)  # noqa: B010 - read by the field partial

    def applicant(self) -> dict[str, str]:
        """The applicant as ``do_window_intake`` takes it."""
        names = ("applicant_name", "applicant_id_type", "applicant_id_number")
        return {
            **{name: self.cleaned_data[name] for name in names},
            "phone": self.cleaned_data["applicant_phone"],
        }


class RevealForm(forms.Form):
    """查看完整个人信息: the purpose (用途) the ledger records with the clear values.
    Whether the user may see them and whether the purpose says enough,
    ``core.masking.reveal`` decides. ``hidden`` sends a purpose the page sets itself."""

    op = forms.CharField(required=False, initial="reveal", widget=forms.HiddenInput)
    purpose = forms.CharField(
        label=_l("查看完整信息的用途"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "100"}),
    )

    def __init__(self, *args: Any, purpose: str = "", hidden: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["purpose"].initial = purpose
        if hidden:
            self.fields["purpose"].widget = forms.HiddenInput()

    def add_error(self, field: str | None, error: Any) -> None:
        # A hidden purpose is not a question the user can answer: its refusal is the form's.
        hidden = field == "purpose" and self.fields["purpose"].widget.is_hidden
        super().add_error(None if hidden or field == "op" else field, error)


class StaffActForm(forms.Form):
    """办理 an application (受理, 审查, 准予, 一次性告知补正 …): the step, from the button
    pressed, and the opinion (办理意见). Whether the step is open to the user now and
    whether it needs an opinion, the action decides."""

    action = forms.CharField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_l("办理意见"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": "5000"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "act-%s")
        super().__init__(*args, **kwargs)

    def add_error(self, field: str | None, error: Any) -> None:
        # The step is a button, not a question: its refusal is about the form.
        super().add_error(None if field == "action" else field, error)


class ApplicantStepForm(forms.Form):
    """补正 or 撤回 by the applicant: which step, and the comment that goes with it
    (required for a withdrawal; ``do_act`` checks it)."""

    LABELS = {"resubmit": _l("补正说明（选填）"), "withdraw": _l("撤回理由（必填）")}

    action = forms.CharField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )

    def __init__(self, *args: Any, step: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{step}-%s")
        kwargs.setdefault("initial", {"action": step})
        super().__init__(*args, **kwargs)
        self.fields["comment"].label = self.LABELS[step]

    def add_error(self, field: str | None, error: Any) -> None:
        # The step is a hidden input, not a question: its refusal is about the form.
        super().add_error(None if field == "action" else field, error)


class ItemOpForm(forms.Form):
    """发布 / 停用 an item: for a withdrawal the reason (停用理由) the ledger keeps, and
    the page to go back to (``next``: ``list`` for the list, else the item's page)."""

    reason = _Clipped(
        label=_l("停用理由"),
        clip=500,
        widget=forms.TextInput(attrs={"maxlength": "500", "placeholder": _l("停用理由")}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "withdraw-%s")
        super().__init__(*args, **kwargs)


class RateApplicationForm(forms.Form):
    """评价办件: a comment and the level (the level buttons submit it)."""

    level = _Clipped(clip=2000, widget=forms.HiddenInput)
    comment = _Clipped(
        label=_l("评价内容（选填；不满意请写明原因，便于整改）"),
        clip=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "rate-%s")
        super().__init__(*args, **kwargs)


class RateVisitForm(RateApplicationForm):
    """评价窗口服务: a comment, a phone number for the call-back, the level, and the
    rating code (评价码, ``t``) from the QR code or the clerk's screen."""

    contact_phone = _Clipped(
        label=_l("手机号码（选填，不满意时便于回访）"),
        clip=20,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "numeric", "maxlength": 20, "autocomplete": "tel"}
        ),
    )
    t = _Clipped(clip=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        comment = self.fields["comment"]
        comment.label = _l("想说的话（选填）")
        comment.widget.attrs["rows"] = 2
        self.fields["contact_phone"].widget.attrs["id"] = "rate-phone"

    def token(self, fallback: str = "") -> str:
        """The rating code sent with the form, else ``fallback`` (the link's ``?t=``)."""
        sent = ""
        if self.is_bound and "t" not in self.errors:
            sent = self.cleaned_data.get("t", "")
        return sent or fallback[:64]
