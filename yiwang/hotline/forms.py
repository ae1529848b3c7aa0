"""Forms of the 12345 staff pages: they parse what a page sends and leave the rules to
the actions (``hotline.actions``), whose refusals go back onto the form with
``core.forms.add_errors``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _l

from yiwang.core.models import Department, Division
from yiwang.hotline.models import Category
from yiwang.hotline.queries import category_groups

# One message for a rule with a part missing, as the page has always said it.
RULE_INCOMPLETE = _l("请选择诉求分类、区划和承办部门。")


class RoutingRuleForm(forms.Form):
    """派单规则: the department that handles a matter (诉求分类) in an area (区划).

    The choices are codes; a code that names no matter, area or department is the same
    refusal as leaving it out. The action checks that the department lies in the area
    or above it."""

    category = forms.CharField(label=_l("诉求分类"), error_messages={"required": RULE_INCOMPLETE})
    division = forms.CharField(label=_l("区划"), error_messages={"required": RULE_INCOMPLETE})
    department = forms.CharField(label=_l("承办部门"), error_messages={"required": RULE_INCOMPLETE})
    note = forms.CharField(label=_l("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["category"].widget = forms.Select(
            choices=[("", _l("请选择"))]
            + [(top.name, [(c.code, c.name) for c in leaves]) for top, leaves in category_groups()]
        )
        self.fields["division"].widget = forms.Select(
            choices=[
                (d.code, d.name)
                for d in Division.objects.filter(level__in=["city", "county"]).order_by("code")
            ]
        )
        self.fields["department"].widget = forms.Select(
            choices=[
                (d.code, d.name)
                for d in Department.objects.select_related("division").order_by(
                    "division_id", "code"
                )
            ]
        )

    def _lookup(self, name: str, model: Any) -> Any:
        found = model.objects.filter(code=self.cleaned_data[name]).first()
        if found is None:
            raise forms.ValidationError(RULE_INCOMPLETE, code="required")
        return found

    def clean_category(self) -> Category:
        return self._lookup("category", Category)

    def clean_division(self) -> Division:
        return self._lookup("division", Division)

    def clean_department(self) -> Department:
        return self._lookup("department", Department)


class _VerdictRadio(forms.RadioSelect):
    """The two answers of a check, each input with the id the page has always given it
    (``verify-ok``, ``verify-bad``)."""

    option_ids = {"0": "verify-ok", "1": "verify-bad"}

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        if index is None:
            return ""
        return self.option_ids.get(str(index)) or super().id_for_label(id_, index)


VERIFY_CHOICE_MISSING = _l("请选择核查结果。")


class GridVerifyForm(forms.Form):
    """网格员核查: whether the concluded result holds on the spot, and what was seen.
    The action insists on a note when it does not."""

    satisfied = forms.ChoiceField(
        label=_l("核查结果"),
        choices=[("1", _l("已解决")), ("0", _l("未解决，退回重办"))],
        widget=_VerdictRadio,
        error_messages={
            "required": VERIFY_CHOICE_MISSING,
            "invalid_choice": VERIFY_CHOICE_MISSING,
        },
    )
    comment = forms.CharField(
        label=_l("核查说明"),
        max_length=2000,
        required=False,
        help_text=_l("未解决时必填。"),
        widget=forms.Textarea(attrs={"maxlength": "2000"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "verify-%s")
        super().__init__(*args, **kwargs)


class WarningStepForm(forms.Form):
    """One step on a warning (预警): publish (发布) or lift (解除) with an explanation.
    The step comes from the form's hidden ``op``; the length of the explanation and
    whether the step may be taken now, the actions decide."""

    op = forms.ChoiceField(
        choices=[("publish", "publish"), ("cancel", "cancel")],
        widget=forms.HiddenInput,
        error_messages={"required": _l("未知的操作。"), "invalid_choice": _l("未知的操作。")},
    )
    reason = forms.CharField(
        label=_l("解除说明"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "500"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "cancel-%s")
        super().__init__(*args, **kwargs)

    def add_error(self, field: str | None, error: Any) -> None:
        # The step is a hidden input, not a question: its refusal is about the form.
        super().add_error(None if field == "op" else field, error)
