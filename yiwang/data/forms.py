"""Forms of the data pages (数据共享交换): they parse what a page sends and leave the
rules to the actions (``data.actions``), whose refusals go back onto the form with
``core.forms.add_errors``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _l

from yiwang.data.actions.objections import field_label, registry_label
from yiwang.data.registry import REGISTRIES


class GrantRevokeForm(forms.Form):
    """收回授权: why the grant is taken back. The action insists on a reason (one rule
    for page and API), so the form only marks it."""

    reason = forms.CharField(
        label=_l("收回理由"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        setattr(self.fields["reason"], "required_mark", True)  # noqa: B010 - read by the field partial


class ShareDecideForm(forms.Form):
    """共享申请办理: the step taken (the button pressed) and the opinion (办理意见).
    Which steps are open and when the opinion is needed, the workflow decides."""

    action = forms.CharField(required=False, max_length=64)
    comment = forms.CharField(
        label=_l("办理意见（不同意时须说明理由）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def add_error(self, field: str | None, error: Any) -> None:
        # The step is a button, not a question: a refusal of it is about the whole form.
        super().add_error(None if field == "action" else field, error)


class _ItemCheckboxes(forms.CheckboxSelectMultiple):
    """The resource's items, each box with the id the page has always given it
    (``f-<item id>``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ids: list[int] = []

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        if index is None:
            return ""
        i = int(index)
        return f"f-{self.ids[i]}" if i < len(self.ids) else super().id_for_label(id_, index)


class _ItemNames(forms.MultipleChoiceField):
    """Item names as sent; which of them the resource has, the action checks."""

    def valid_value(self, value: Any) -> bool:
        return True


class ShareRequestForm(forms.Form):
    """提出共享申请: the items of one published resource (按最小必要原则), the purpose,
    the legal basis, the consuming system and the period of use. Every rule on them
    (at least one item, dates in order, at most three years) is the action's."""

    purpose = forms.CharField(
        label=_l("用途"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    legal_basis = forms.CharField(
        label=_l("依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    consumer_system = forms.CharField(
        label=_l("使用系统（英文标识，用于 X-Road-Client）"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "120"}),
    )
    starts_on = forms.DateField(
        label=_l("使用起始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    ends_on = forms.DateField(
        label=_l("使用截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, items: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        # Added here, not declared: a class attribute named ``fields`` would shadow the
        # form's own ``fields``.
        names = _ItemNames(
            label=_l("申请的信息项（按最小必要原则选择）"), required=False, widget=_ItemCheckboxes
        )
        self.fields["fields"] = names
        names.choices = [(item.name, item.name) for item in items]
        widget = names.widget
        assert isinstance(widget, _ItemCheckboxes)
        widget.ids = [item.pk for item in items]
        for name in ("fields", "purpose", "legal_basis", "consumer_system", "starts_on", "ends_on"):
            setattr(self.fields[name], "required_mark", True)  # noqa: B010 - read by the field partial


# ---- pages with several steps on one record ----------------------------------------

UNKNOWN_STEP = _l("未知的操作。")


class StepChoice(forms.Form):
    """Which step (操作) of a page was sent: the hidden ``op`` of the form submitted."""

    op = forms.ChoiceField(
        choices=[],
        error_messages={"required": UNKNOWN_STEP, "invalid_choice": UNKNOWN_STEP},
    )

    def __init__(self, *args: Any, steps: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        op = self.fields["op"]
        assert isinstance(op, forms.ChoiceField)
        op.choices = [(s, s) for s in steps]


class Steps:
    """The forms of a page that offers several steps on one record (更正 / 说明, 采纳 /
    提出异议 …), each form sent with its hidden ``op``: the one sent is bound to the
    data, the others stay blank for the page. Templates reach a step's form as
    ``steps.<op>``; ``{% error_summary steps %}`` lists the errors of all of them,
    an unknown step included."""

    def __init__(self, data: Any, forms_by_step: Mapping[str, type[forms.Form]]) -> None:
        self.choice = StepChoice(data, steps=forms_by_step)
        self.op = self.choice.cleaned_data["op"] if self.choice.is_valid() else ""
        self.forms = {
            step: form(data if step == self.op else None) for step, form in forms_by_step.items()
        }

    @property
    def sent(self) -> forms.Form | None:
        """The bound form of the step sent, if it is one the page offers."""
        return self.forms.get(self.op)

    def __getitem__(self, step: str) -> forms.Form:
        return self.forms[step]

    def __iter__(self) -> Iterator[forms.Form]:
        yield self.choice
        yield from self.forms.values()


def renamed(exc: ValidationError, **names: str) -> ValidationError:
    """An action's refusal with its fields named as the page's form names them (the
    action's ``proposed_value`` is the correcting form's ``value``), so each message
    lands on its field."""
    if not hasattr(exc, "error_dict") or not names.keys() & exc.error_dict.keys():
        return exc
    return ValidationError({names.get(k, k): v for k, v in exc.error_dict.items()})


class NoQuestions(forms.Form):
    """A step that is only a button (采纳权威值, 提交审核 …): nothing to fill in."""


def _mark_required(form: forms.Form, *names: str) -> None:
    """Mark questions the action insists on, though the form leaves the check to it."""
    for name in names:
        setattr(form.fields[name], "required_mark", True)  # noqa: B010 - read by the field partial


# ---- 数据异议 and 数据冲突 -------------------------------------------------------------


class _Clipped(forms.CharField):
    """Text trimmed and cut to 2000 characters, as the page always took it; whether it
    is acceptable is ``do_raise_objection``'s to say."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> str:
        return (super().to_python(value) or "")[:2000]


class ObjectionForm(forms.Form):
    """提出数据异议: the record (by registry and natural key, or a record page's id), the
    field in doubt, the proposed value and the reason.

    With ``registry`` (a record page's own form) the fields offered are that registry's
    only."""

    record = _Clipped(widget=forms.HiddenInput)
    registry = _Clipped(label=_l("基础库"), widget=forms.Select)
    key = _Clipped(
        label=_l("记录主键（公民身份号码、统一社会信用代码、记录编号或地名地址编码）"),
        widget=forms.TextInput(attrs={"maxlength": 64}),
    )
    field = _Clipped(label=_l("有误的字段"), widget=forms.Select)
    proposed_value = _Clipped(label=_l("建议值"), widget=forms.TextInput(attrs={"maxlength": 500}))
    reason = _Clipped(
        label=_l("异议理由"), widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000})
    )

    def __init__(self, *args: Any, registry: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["registry"].widget.choices = [
            (code, registry_label(code)) for code in REGISTRIES
        ]
        if registry in REGISTRIES:
            s = REGISTRIES[registry]
            self.fields["field"].widget.choices = [
                (f, field_label(registry, f)) for f in s.fields() if f != s.key
            ]
        else:
            self.fields["field"].widget.choices = [
                (
                    registry_label(code),
                    [(f, field_label(code, f)) for f in s.fields() if f != s.key],
                )
                for code, s in REGISTRIES.items()
            ]
        _mark_required(self, "key", "proposed_value", "reason")


class ObjectionCorrectForm(forms.Form):
    """核实有误并更正: the corrected value (empty: the proposed one) and the opinion.
    Whether the value meets the field's data element standard, the action decides."""

    value = forms.CharField(
        label=_l("更正后的值（留空则采用建议值）"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "500"}),
    )
    comment = forms.CharField(
        label=_l("办理意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "correct-%s")
        super().__init__(*args, **kwargs)


class ObjectionExplainForm(forms.Form):
    """核实无误并说明: why the value stands (说明), which the action insists on."""

    comment = forms.CharField(
        label=_l("说明（必填：为何数据无误）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": "2000"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "explain-%s")
        super().__init__(*args, **kwargs)
        _mark_required(self, "comment")


class ConflictObjectForm(forms.Form):
    """对权威值提出异议 from a 数据冲突: the proposed value (empty: the department's own)
    and the reason, both checked by the objection's action."""

    proposed_value = forms.CharField(
        label=_l("建议值（留空则采用本部门值）"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "500"}),
    )
    reason = forms.CharField(
        label=_l("异议理由（必填）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": "2000"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "object-%s")
        super().__init__(*args, **kwargs)
        _mark_required(self, "reason")
