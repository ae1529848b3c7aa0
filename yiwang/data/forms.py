"""Forms of the data pages (数据共享交换): they parse what a page sends and leave the
rules to the actions (``data.actions``), whose refusals go back onto the form with
``core.forms.add_errors``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yiwang.core.models import Department
from yiwang.data.actions.objections import field_label, registry_label
from yiwang.data.models import Catalogue, DataElement, DataResource, Grade, OpenType, ShareType
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


RESOURCE_MISSING = _l("请选择已发布的数据资源。")


class ShareResourceForm(forms.Form):
    """提出共享申请, first step: the published resource asked for (数据资源), by its
    code. ``resources`` are those the steward may ask for; a code outside them is the
    same refusal as none."""

    resource = forms.CharField(
        label=_l("数据资源"),
        max_length=40,
        widget=forms.Select,
        error_messages={"required": RESOURCE_MISSING, "max_length": RESOURCE_MISSING},
    )

    def __init__(self, *args: Any, resources: QuerySet[DataResource], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s-choice")
        super().__init__(*args, **kwargs)
        self.resources = resources
        self.fields["resource"].widget.choices = [("", _l("请选择"))] + [
            (r.code, f"{r.code} {r.name}（{r.get_share_type_display()}）") for r in resources
        ]

    def clean_resource(self) -> DataResource:
        found = self.resources.filter(code=self.cleaned_data["resource"]).first()
        if found is None:
            raise forms.ValidationError(RESOURCE_MISSING, code="required")
        return found


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

    def __init__(self, data: Any, forms_by_step: Mapping[str, Callable[..., forms.Form]]) -> None:
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


# ---- 基础库 -----------------------------------------------------------------------

PURPOSE_MISSING = _l("查看完整个人信息须说明用途。")


class RevealForm(forms.Form):
    """查看完整个人信息: the purpose (用途) the ledger records with every clear value; at
    least two characters, as ``core.masking.reveal`` requires."""

    purpose = forms.CharField(
        label=_l("查看完整个人信息的用途（必填，将记入审计账本）"),
        min_length=2,
        max_length=200,
        error_messages={"required": PURPOSE_MISSING, "min_length": PURPOSE_MISSING},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


# ---- 政务数据目录 and 数据元 -----------------------------------------------------------


class CatalogueFilter(forms.Form):
    """目录检索: the catalogue's filters (keyword, classification node, kind, provider,
    share and open type, grade, status), all optional."""

    q = forms.CharField(label=_l("关键词"), required=False, max_length=100)
    node = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=_l("目录类别"), required=False, choices=[("", _l("全部")), *Catalogue.Kind.choices]
    )
    provider = forms.ModelChoiceField(
        label=_l("提供方"),
        required=False,
        queryset=Department.objects.none(),
        empty_label=_l("全部"),
    )
    share_type = forms.ChoiceField(
        label=_l("共享属性"), required=False, choices=[("", _l("全部")), *ShareType.choices]
    )
    open_type = forms.ChoiceField(
        label=_l("开放属性"), required=False, choices=[("", _l("全部")), *OpenType.choices]
    )
    grade = forms.ChoiceField(
        label=_l("数据级别"), required=False, choices=[("", _l("全部")), *Grade.choices]
    )
    status = forms.ChoiceField(
        label=_l("状态"),
        required=False,
        choices=[
            ("", _l("已发布")),
            ("all", _l("全部（含草稿和历史版本）")),
            *DataResource.Status.choices,
        ],
    )

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.fields["provider"].queryset = Department.objects.filter(
            pk__in=DataResource.objects.values("provider")
        ).order_by("code")


class ResourceForm(forms.Form):
    """编目表单: one data resource's metadata (资源信息). The rules across fields (grade and
    level, no-share basis …) are ``do_draft_resource``'s."""

    provider = forms.ModelChoiceField(label=_l("提供方"), queryset=Department.objects.none())
    catalogue = forms.ModelChoiceField(
        label=_l("目录分类"), queryset=Catalogue.objects.all(), to_field_name="code"
    )
    name = forms.CharField(label=_l("资源名称"), max_length=200)
    abstract = forms.CharField(
        label=_l("资源摘要"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    format = forms.CharField(label=_l("资源格式"), max_length=40, initial="数据库")
    registry = forms.ChoiceField(
        label=_l("对应基础库"), choices=DataResource.Registry.choices, required=False
    )
    share_type = forms.ChoiceField(label=_l("共享属性"), choices=ShareType.choices)
    share_condition = forms.CharField(
        label=_l("共享条件"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    share_method = forms.CharField(label=_l("共享方式"), max_length=40, initial="接口")
    no_share_basis = forms.CharField(
        label=_l("不予共享依据"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    open_type = forms.ChoiceField(label=_l("开放属性"), choices=OpenType.choices)
    open_condition = forms.CharField(
        label=_l("开放条件"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    update_cycle = forms.ChoiceField(label=_l("更新周期"), choices=DataResource.UpdateCycle.choices)
    grade = forms.ChoiceField(label=_l("数据级别"), choices=Grade.choices, initial=Grade.GENERAL)
    level = forms.TypedChoiceField(
        label=_l("一般数据分级"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), (1, _l("1 级")), (2, _l("2 级")), (3, _l("3 级")), (4, _l("4 级"))],
    )


class ItemForm(forms.Form):
    """One information item (信息项) of a resource, citing its data element (数据元)."""

    name = forms.CharField(label=_l("信息项名称"), max_length=100)
    element = forms.ModelChoiceField(
        label=_l("数据元"), queryset=DataElement.objects.all(), required=False
    )
    field = forms.CharField(label=_l("基础库字段"), max_length=40, required=False)
    required = forms.BooleanField(label=_l("必填"), required=False)
    is_key = forms.BooleanField(label=_l("主键"), required=False)


ItemFormSet = forms.formset_factory(ItemForm, extra=3, can_delete=True, max_num=200)


class ElementForm(forms.Form):
    """定义数据元: a data element's standard (code, names, type, length, format,
    validator, whether personal)."""

    code = forms.RegexField(label=_l("数据元编码"), regex=r"^[A-Za-z0-9_-]{1,20}$", max_length=20)
    name = forms.CharField(label=_l("中文名称"), max_length=60)
    name_en = forms.CharField(label=_l("英文名称"), max_length=60, required=False)
    definition = forms.CharField(
        label=_l("定义"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    data_type = forms.ChoiceField(label=_l("数据类型"), choices=DataElement.DataType.choices)
    max_length = forms.IntegerField(
        label=_l("最大长度"), required=False, min_value=1, max_value=100000
    )
    pattern = forms.CharField(label=_l("格式（正则）"), max_length=200, required=False)
    validator = forms.CharField(label=_l("校验规则"), max_length=40, required=False)
    personal = forms.BooleanField(label=_l("个人信息"), required=False)
    sensitive = forms.BooleanField(label=_l("敏感个人信息"), required=False)
    standard = forms.CharField(label=_l("依据标准"), max_length=100, required=False)

    def clean_pattern(self):
        import re

        text = self.cleaned_data["pattern"]
        try:
            re.compile(text)
        except re.error:
            raise forms.ValidationError(_("不是有效的正则表达式。")) from None
        return text

    def clean_validator(self):
        from yiwang.data.standards import VALIDATORS

        name = self.cleaned_data["validator"].strip()
        if name and name not in VALIDATORS:
            raise forms.ValidationError(
                _("未知的校验规则，可用：%s") % "、".join(sorted(VALIDATORS))
            )
        return name


class ResourceReviewForm(forms.Form):
    """大数据局审核: 审核通过并发布 or 退回修改 (the button pressed) with the opinion
    (审核意见), which a return needs; both are the action's to check."""

    action = forms.CharField(required=False, max_length=16)
    comment = forms.CharField(
        label=_l("审核意见（退回时必填）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "review-%s")
        super().__init__(*args, **kwargs)

    def add_error(self, field: str | None, error: Any) -> None:
        # The step is a button, not a question: a refusal of it is about the whole form.
        super().add_error(None if field == "action" else field, error)


class ResourceWithdrawForm(forms.Form):
    """撤回: why the steward takes a submitted or returned version back (the workflow
    insists on it)."""

    comment = forms.CharField(
        label=_l("撤回原因"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "withdraw-%s")
        super().__init__(*args, **kwargs)
        _mark_required(self, "comment")


class ElementClaimForm(forms.Form):
    """权威来源认定: the city department that is a data element's single source
    (一数一源); whether another already holds it, the action says."""

    department = forms.ModelChoiceField(
        label=_l("权威来源部门"),
        queryset=Department.objects.none(),
        empty_label=None,
        error_messages={"required": _l("请选择部门。"), "invalid_choice": _l("请选择部门。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "claim-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Department.objects.filter(
            division_id=settings.YIWANG["CITY_DIVISION"]
        ).order_by("code")


class ElementReleaseForm(forms.Form):
    """解除权威来源: why the element's source department is released (the action insists
    on a reason)."""

    reason = forms.CharField(label=_l("解除原因"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "release-%s")
        super().__init__(*args, **kwargs)
        _mark_required(self, "reason")


# ---- 数据归集 ----------------------------------------------------------------------


class RowFixForm(forms.Form):
    """修正一行问题数据: one question per column of the file, labelled with the column's
    name and sent as ``col-<n>`` in the file's order. Whether the row now passes, the
    batch's checks say; their reasons go back onto the column they name."""

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.columns = columns
        for i, name in enumerate(columns):
            self.fields[f"col-{i}"] = forms.CharField(
                label=name, required=False, max_length=500, strip=False
            )

    def values(self) -> dict[str, str]:
        """Column name → the value as edited."""
        return {name: self.cleaned_data[f"col-{i}"] for i, name in enumerate(self.columns)}

    def add_reasons(self, reasons: list[dict]) -> None:
        """The checks' reasons (问题原因) for the row still refused: each on the column of
        the same name, the others (another item's, the whole row's) on the form."""
        for reason in reasons:
            name = reason.get("field") or ""
            field = f"col-{self.columns.index(name)}" if name in self.columns else None
            self.add_error(field, reason.get("message") or reason.get("code") or "")


class RegistryDefineForm(forms.Form):
    """定义名册: code, names, owner department, data grade and the JSON Schema whose
    fields may carry ``x-personal`` / ``x-mask`` (脱敏方式) and ``title``. The rules are
    the action's (``do_define_registry``)."""

    code = forms.CharField(
        label=_l("名册代码"),
        max_length=16,
        help_text=_l("字母开头，2–16 位字母、数字、- 或 _，如 gaoling"),
    )
    name = forms.CharField(label=_l("名册名称"), max_length=200)
    name_en = forms.CharField(label=_l("英文名称"), max_length=200, required=False)
    description = forms.CharField(
        label=_l("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ModelChoiceField(label=_l("所属部门"), queryset=Department.objects.none())
    grade = forms.ChoiceField(label=_l("数据级别"), choices=Grade.choices, initial=Grade.GENERAL)
    schema = forms.CharField(
        label=_l("结构（JSON Schema）"),
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_l(
            "每个字段可写 title（中文名）、x-title-en、x-personal、x-mask（id_number、mobile、name、address、date、secret）；主键字段写 primaryKey: true。"
        ),
    )

    def __init__(self, *args: Any, departments: QuerySet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = departments if departments is not None else Department.objects.none()

    def clean_schema(self) -> dict:
        import json

        try:
            value = json.loads(self.cleaned_data["schema"])
        except ValueError:
            raise ValidationError(_("不是有效的 JSON。")) from None
        if not isinstance(value, dict):
            raise ValidationError(_("结构须为 JSON 对象。"))
        return value
