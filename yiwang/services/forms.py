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
