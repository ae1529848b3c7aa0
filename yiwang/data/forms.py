"""Forms of the data pages (数据共享交换): they parse what a page sends and leave the
rules to the actions (``data.actions``), whose refusals go back onto the form with
``core.forms.add_errors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _l


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
