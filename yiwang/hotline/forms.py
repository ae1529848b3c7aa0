"""Forms of the 12345 staff pages: they parse what a page sends and leave the rules to
the actions (``hotline.actions``), whose refusals go back onto the form with
``core.forms.add_errors``."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yiwang.core.forms import MultipleFileField, add_errors
from yiwang.core.models import Department, Division
from yiwang.hotline.models import Category, Channel, Emergency, Kind, Urgency
from yiwang.hotline.queries import category_groups

# One message for a rule with a part missing, as the page has always said it.
RULE_INCOMPLETE = _l("请选择诉求分类、区划和承办部门。")
# Attachments a page offers to pick (the upload check decides by the bytes).
ATTACHMENT_TYPES = ".jpg,.jpeg,.png,.pdf,image/jpeg,image/png,application/pdf"


class ActionForm(forms.Form):
    """A page form whose action may name a question otherwise than the form does (退单's
    ``reason`` is the form's ``comment``; a place the locator refuses is ``location``,
    asked as longitude and latitude): ``add_refusal`` puts such a message on the
    form's own field. ``input_ids`` keeps ids a page has always given its inputs."""

    action_fields: ClassVar[dict[str, str]] = {}
    input_ids: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, input_id in self.input_ids.items():
            self.fields[name].widget.attrs["id"] = input_id

    def add_refusal(self, exc: ValidationError) -> None:
        """The messages of a refused action on this form (``core.forms.add_errors``),
        under the form's names for the action's fields."""
        if self.action_fields and hasattr(exc, "error_dict"):
            renamed: dict[str, list[ValidationError]] = {}
            for name, errors in exc.error_dict.items():
                renamed.setdefault(self.action_fields.get(name, name), []).extend(errors)
            exc = ValidationError(renamed)
        add_errors(self, exc)


def category_choices(empty_label: Any) -> list[tuple[Any, Any]]:
    """诉求分类 as a select offers them: ``empty_label`` first, then each 大类 with its
    leaves."""
    return [("", empty_label)] + [
        (top.name, [(c.code, c.name) for c in leaves]) for top, leaves in category_groups()
    ]


class TakeCallForm(ActionForm):
    """受理来电 at the agent console (话务员工作台). The inputs keep the ids the console's
    script reads (``content``, ``address``, ``category``, ``contact_phone``); whether
    the choices are known, the content is there and not too long, the phone and the
    place are right, ``do_take_ticket`` decides, the same for every channel."""

    action_fields = {"location": "longitude"}

    channel = forms.CharField(
        label=_l("受理渠道"), required=False, initial=Channel.PHONE, widget=forms.Select
    )
    kind = forms.CharField(
        label=_l("诉求类型"), required=False, initial=Kind.COMPLAINT, widget=forms.Select
    )
    urgency = forms.CharField(
        label=_l("紧急程度"), required=False, initial=Urgency.NORMAL, widget=forms.Select
    )
    emergency = forms.CharField(
        label=_l("应急联动（110/119/120/122）"), required=False, widget=forms.Select
    )
    content = forms.CharField(
        label=_l("诉求内容"),
        required=False,
        strip=False,
        help_text=_l("记录来电人原话要点；最多 2000 字。输入时右侧显示知识库答案和相似工单。"),
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": "2000"}),
    )
    title = forms.CharField(
        label=_l("标题（可不填，自动取内容开头）"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": "120"}),
    )
    category = forms.CharField(label=_l("诉求分类"), required=False, widget=forms.Select)
    address = forms.CharField(
        label=_l("地址"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": "200"}),
    )
    longitude = forms.CharField(
        label=_l("经度（WGS84，可选）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    latitude = forms.CharField(
        label=_l("纬度（WGS84，可选）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    contact_name = forms.CharField(
        label=_l("来电人"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "50", "autocomplete": "off"}),
    )
    contact_phone = forms.CharField(
        label=_l("联系电话"),
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "maxlength": "20", "autocomplete": "off"}
        ),
    )
    anonymous = forms.BooleanField(label=_l("来电人要求匿名（不记录联系方式）"), required=False)
    attachments = MultipleFileField(label=_l("附件（图片或 PDF，可多个）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["channel"].widget.choices = Channel.choices
        self.fields["kind"].widget.choices = Kind.choices
        self.fields["urgency"].widget.choices = Urgency.choices
        self.fields["emergency"].widget.choices = Emergency.choices
        self.fields["category"].widget.choices = category_choices(_("自动分类"))
        setattr(self.fields["content"], "required_mark", True)  # noqa: B010 - read by the field partial
        self.fields["address"].widget.attrs["placeholder"] = _("如：武陟县城关镇建设路 12 号")
        self.fields["attachments"].widget.attrs["accept"] = ATTACHMENT_TYPES


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
