"""Forms of the 政务服务 staff pages: they parse what a page sends and leave the rules
to the actions (``services.actions``), whose refusals go back onto the form with
``core.forms.add_errors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _l

from yiwang.services.models import ServiceItem

ITEM_MISSING = _l("请选择已发布的办理事项。")


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
