"""Forms of the 12345 pages, staff's and citizens': they parse what a page sends and
leave the rules to the actions (``hotline.actions``), whose refusals go back onto the
form with ``core.forms.add_errors`` (``ActionForm.add_refusal`` where the action names a
question otherwise)."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from yiwang.core.access import departments_in_scope
from yiwang.core.forms import MultipleFileField, add_errors
from yiwang.core.models import Department, Division, User
from yiwang.hotline.actions.warnings import GROUPS
from yiwang.hotline.models import (
    Category,
    Channel,
    Emergency,
    Grid,
    Kind,
    KnowledgeEntry,
    Result,
    Satisfaction,
    Urgency,
    Warning,
)
from yiwang.hotline.queries import category_groups

# One message for a rule with a part missing, as the page has always said it.
RULE_INCOMPLETE = _l("请选择诉求分类、区划和承办部门。")
State = KnowledgeEntry.State
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
        (top.display_name, [(c.code, c.display_name) for c in leaves])
        for top, leaves in category_groups()
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
        widget=forms.Textarea(attrs={"rows": 5}),
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
        content = self.fields["content"]
        setattr(content, "required_mark", True)  # noqa: B010 - read by the field partial
        limit = settings.YIWANG["HOTLINE_CONTENT_MAX"]
        content.widget.attrs["maxlength"] = limit
        content.help_text = _(
            "记录来电人原话要点；最多 %(max)d 字。输入时右侧显示知识库答案和相似工单。"
        ) % {"max": limit}
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
            + [
                (top.display_name, [(c.code, c.display_name) for c in leaves])
                for top, leaves in category_groups()
            ]
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


# --- citizens' pages (网上诉求, 工单查询) ---


class SubmitForm(forms.Form):
    """网上诉求: what a citizen writes. The form reads and shows the input; the rules
    (content required and not too long, a known category, a real address) are
    ``do_take_ticket``'s, the same for the page, the API and the call centre."""

    kind = forms.CharField(label=_l("诉求类型"), required=False, widget=forms.Select)
    title = forms.CharField(
        label=_l("标题（可不填）"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": 120}),
    )
    content = forms.CharField(
        label=_l("诉求内容"), required=False, strip=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    category = forms.CharField(
        label=_l("诉求分类（不确定可不选）"), required=False, widget=forms.Select
    )
    address = forms.CharField(
        label=_l("事发地址"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    attachments = MultipleFileField(label=_l("照片或材料（JPG、PNG、PDF）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        limit = settings.YIWANG["HOTLINE_CONTENT_MAX"]
        self.fields["kind"].widget.choices = Kind.choices
        self.fields["category"].widget.choices = [("", _("不确定，由系统判断"))] + [
            (top.display_name, [(c.code, c.display_name) for c in leaves])
            for top, leaves in category_groups()
        ]
        content = self.fields["content"]
        setattr(content, "required_mark", True)  # noqa: B010 - read by the field partial
        content.widget.attrs["maxlength"] = limit
        content.help_text = _("请写清时间、地点和事情经过，最多 %(max)d 字。") % {"max": limit}
        self.fields["attachments"].widget.attrs["accept"] = ATTACHMENT_TYPES


class RateForm(forms.Form):
    """回访评价 by the citizen on the tracking page: satisfaction and an optional comment
    (``do_callback`` decides what is acceptable)."""

    satisfaction = forms.CharField(
        label=_l("请评价本次办理"), required=False, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_l("意见（可选）"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "rate-%s")
        super().__init__(*args, **kwargs)
        satisfaction = self.fields["satisfaction"]
        satisfaction.widget.choices = [c for c in Satisfaction.choices if c[0]]
        setattr(satisfaction, "required_mark", True)  # noqa: B010 - read by the field partial


TRACK_NUMBER_MISSING = _l("请填写工单编号。")
TRACK_CODE_MISSING = _l("请填写查询码。")


class TrackForm(forms.Form):
    """工单查询 by the number and query code (查询码) a caller was given; no account
    needed. Whether the pair names a ticket, the page decides (one answer for a wrong
    number and a wrong code)."""

    number = forms.CharField(
        label=_l("工单编号"), required=False, max_length=40, widget=forms.TextInput()
    )
    code = forms.CharField(
        label=_l("查询码（6 位数字）"),
        required=False,
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def is_blank(self) -> bool:
        """Nothing asked yet: neither a number nor a code."""
        return not self.is_bound or not any(
            str(self.data.get(name) or "").strip() for name in ("number", "code")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "number" in data and not data["number"]:
            self.add_error("number", TRACK_NUMBER_MISSING)
        if "code" in data and not data["code"]:
            self.add_error("code", TRACK_CODE_MISSING)
        return data


# --- 知识库 ---


class EntryForm(forms.Form):
    """知识条目 a department keeps (答复口径): the departments offered are those the user
    keeps the knowledge of; lengths and the rest, ``do_save_entry`` checks."""

    department = forms.ModelChoiceField(label=_l("维护部门"), queryset=Department.objects.none())
    category = forms.ModelChoiceField(
        label=_l("诉求分类"), queryset=Category.objects.none(), required=False
    )
    question = forms.CharField(label=_l("问题"), max_length=200)
    answer = forms.CharField(
        label=_l("答复口径"), max_length=5000, widget=forms.Textarea(attrs={"rows": 8})
    )
    keywords = forms.CharField(
        label=_l("关键词"),
        max_length=200,
        required=False,
        help_text=_l("市民常用的说法，空格分隔，如：公积金 提取 取钱"),
    )
    legal_basis = forms.CharField(label=_l("依据"), max_length=300, required=False)
    valid_until = forms.DateField(
        label=_l("有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_l("政策到期后不再检索到；留空为长期有效。"),
    )
    state = forms.ChoiceField(
        label=_l("状态"),
        choices=[(State.PUBLISHED, _l("发布")), (State.DRAFT, _l("草稿"))],
        initial=State.PUBLISHED,
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department = cast(forms.ModelChoiceField, self.fields["department"])
        department.queryset = departments_in_scope(user, "knowledge.manage").order_by(
            "division_id", "code"
        )
        category = cast(forms.ModelChoiceField, self.fields["category"])
        category.queryset = Category.objects.filter(active=True, parent__isnull=False).order_by(
            "code"
        )


class CiteForm(forms.Form):
    """引用 a knowledge entry: the ticket it answers (by number, optional) and the page to
    return to without htmx (checked by the view to stay on this site)."""

    ticket = forms.CharField(required=False)
    next = forms.CharField(required=False)

    def clean_ticket(self) -> str:
        return self.cleaned_data["ticket"][:40]


class WithdrawForm(forms.Form):
    """停用 a knowledge entry, with an optional reason for the ledger."""

    reason = forms.CharField(required=False)

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"][:500]


# --- the ticket page (工单办理) ---


class _OpForm(forms.Form):
    op = forms.CharField(required=False, max_length=40)


def posted_op(data: Any) -> str:
    """Which of a page's forms was sent: its hidden ``op`` (empty when there is none)."""
    form = _OpForm(data)
    return form.cleaned_data["op"] if form.is_valid() else ""


class _ValueIdRadio(forms.RadioSelect):
    """Radio buttons each with the id ``<prefix><value>`` the page has always given it."""

    def __init__(self, *args: Any, prefix: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.prefix = prefix

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        if index is None:
            return ""
        choices = list(self.choices)
        i = int(index)
        return (
            f"{self.prefix}{choices[i][0]}"
            if i < len(choices)
            else super().id_for_label(id_, index)
        )


def _comment(label: Any, *, rows: int = 2, maxlength: int | None = None) -> forms.CharField:
    attrs: dict[str, Any] = {"rows": rows}
    if maxlength:
        attrs["maxlength"] = str(maxlength)
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs=attrs))


class RevealForm(ActionForm):
    """查看完整个人信息: the purpose (用途) the ledger records with the clear value."""

    purpose = forms.CharField(
        label=_l("查看完整信息的用途"),
        max_length=100,
        min_length=2,
        initial=_l("回访联系"),
        error_messages={
            "required": _l("查看完整个人信息须说明用途。"),
            "min_length": _l("查看完整个人信息须说明用途。"),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class TicketStepForm(ActionForm):
    """One step on a 12345 ticket (工单办理), the page's hidden ``op`` naming it. The
    forms parse what the step sends; whether the user may take it now and what it
    needs (a reason, a known department …) the handling actions decide."""

    step: ClassVar[str] = ""
    id_prefix: ClassVar[str] = ""

    def __init__(self, *args: Any, ticket: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix or self.step}-%s")
        super().__init__(*args, **kwargs)
        self.ticket = ticket


class DispatchForm(TicketStepForm):
    """派单 (改派 after a return, when the explanation is needed): the category to keep
    or change, and the department (the routing rules' when none is chosen)."""

    step = "dispatch"
    category = forms.CharField(label=_l("诉求分类"), required=False, widget=forms.Select)
    department = forms.CharField(label=_l("承办部门"), required=False, widget=forms.Select)
    comment = _comment(_l("派单说明"), maxlength=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.ticket.category
        self.fields["category"].widget.choices = category_choices(_("（保持当前分类）"))
        self.fields["category"].initial = category.code if category is not None else ""
        self.fields["department"].widget.choices = [("", _("按派单规则"))] + [
            (d.code, d.name)
            for d in Department.objects.select_related("division").order_by("division_id", "code")
        ]
        if self.ticket.flow.state == "returned":
            self.fields["comment"].label = _("派单说明") + _("（须填）")

    def clean_department(self) -> Department | None:
        code = self.cleaned_data["department"]
        if not code:
            return None
        found = Department.objects.filter(code=code).first()
        if found is None:
            raise ValidationError(_("未知的部门：%s") % code, code="department_unknown")
        return found


class AnswerNowForm(TicketStepForm):
    """即接即办: the answer given to the caller at once."""

    step = "answer_now"
    action_fields = {"comment": "answer"}
    input_ids = {"answer": "answer"}
    answer = _comment(_l("答复内容"), rows=3, maxlength=5000)


class HandOffForm(TicketStepForm):
    """移交应急联动: to 110/119/120/122, with what was handed over."""

    step = "hand_off"
    id_prefix = "handoff"
    input_ids = {"service": "service"}
    service = forms.CharField(label=_l("移交至"), required=False, widget=forms.Select)
    comment = _comment(_l("移交说明（须填）"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].widget.choices = [c for c in Emergency.choices if c[0]]
        self.fields["service"].initial = self.ticket.emergency


class MergeForm(TicketStepForm):
    """合并工单: into the ticket of the number given (the most similar one offered)."""

    step = "merge"
    input_ids = {"into": "into"}
    into = forms.CharField(label=_l("并入的工单编号"), required=False, max_length=40)
    comment = forms.CharField(label=_l("合并理由（须填）"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        nearest = self.ticket.links.select_related("other").order_by("-score").first()
        if nearest is not None:
            self.fields["into"].initial = nearest.other.number


class SignForm(TicketStepForm):
    """签收: nothing to ask."""

    step = "sign"


class ReplyForm(TicketStepForm):
    """答复: the result (解决/部分解决/未解决) and the reply to the caller."""

    step = "reply"
    action_fields = {"reply": "comment"}
    input_ids = {"comment": "reply-text"}
    result = forms.CharField(
        label=_l("办理结果"),
        required=False,
        initial="resolved",
        widget=_ValueIdRadio(prefix="result-"),
    )
    comment = _comment(_l("答复内容（须填）"), rows=4, maxlength=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["result"].widget.choices = [
            c for c in Result.choices if c[0] in ("resolved", "partial", "unresolved")
        ]


class ExtensionForm(TicketStepForm):
    """申请延期: how many more working days, and why."""

    step = "extension"
    id_prefix = "ext"
    input_ids = {"days": "days", "comment": "ext-reason"}
    days = forms.IntegerField(
        label=_l("延期工作日"),
        required=False,
        initial=5,
        widget=forms.NumberInput(attrs={"min": "1", "max": "30"}),
        error_messages={"invalid": _l("延期天数须为 1 至 30 个工作日。")},
    )
    comment = _comment(_l("延期理由（须填）"))


class ReturnForm(TicketStepForm):
    """退单: why the ticket is not the department's."""

    step = "return"
    action_fields = {"reason": "comment"}
    input_ids = {"comment": "return-reason"}
    comment = _comment(_l("退单理由（须填，派单后 2 个工作日内）"))


class RejectReturnForm(TicketStepForm):
    """退单不成立: why the ticket goes back to the same department."""

    step = "reject_return"
    id_prefix = "reject"
    comment = _comment(_l("理由（须填）"))


class DecideExtensionForm(TicketStepForm):
    """延期审核: approve or refuse (the button pressed) with an opinion."""

    step = "decide_extension"
    id_prefix = "decide"
    action_fields = {"note": "comment"}
    decision = forms.CharField(required=False, widget=forms.HiddenInput)
    comment = _comment(_l("审核意见（不同意时须填）"))


class SendBackForm(TicketStepForm):
    """退回重办: why the reply is not good enough."""

    step = "send_back"
    id_prefix = "send-back"
    comment = _comment(_l("退回重办理由（须填）"))


class ConcludeForm(TicketStepForm):
    """办结: nothing to ask."""

    step = "conclude"


class CallbackForm(TicketStepForm):
    """回访: the caller's satisfaction (不满意 reopens the ticket) and the record."""

    step = "callback"
    id_prefix = "cb"
    satisfaction = forms.CharField(
        label=_l("来电人评价"), required=False, widget=_ValueIdRadio(prefix="cb-")
    )
    comment = _comment(_l("回访记录"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["satisfaction"].widget.choices = [c for c in Satisfaction.choices if c[0]]


class SuperviseForm(TicketStepForm):
    """督办: what the centre requires of the department."""

    step = "supervise"
    comment = _comment(_l("督办要求（须填）"))


# The form of each page step (the ``op`` the ticket page sends).
STEP_FORMS: dict[str, type[TicketStepForm]] = {
    form.step: form
    for form in (
        DispatchForm,
        AnswerNowForm,
        HandOffForm,
        MergeForm,
        SignForm,
        ReturnForm,
        RejectReturnForm,
        ReplyForm,
        ExtensionForm,
        DecideExtensionForm,
        SendBackForm,
        ConcludeForm,
        CallbackForm,
        SuperviseForm,
    )
}


# --- 网格化管理 ---


class Ticks(forms.MultipleChoiceField):
    """Several ticked values, as sent: which of them are known, the action decides (with
    its own message), not the choices the page offers."""

    def valid_value(self, value: Any) -> bool:
        return True


# 网格事件 types as grid workers name them, each taken in as a 12345 诉求类型.
EVENT_KINDS = [
    (Kind.REPORT, _l("问题隐患（举报）")),
    (Kind.HELP, _l("群众求助")),
    (Kind.COMPLAINT, _l("矛盾纠纷（投诉）")),
    (Kind.SUGGEST, _l("意见建议")),
    (Kind.CONSULT, _l("政策咨询")),
]
GRID_MISSING = _l("请选择您所在的网格。")


class GridReportForm(ActionForm):
    """网格事件上报 from the worker's phone: the grid (the worker's own are offered; any
    grid's code is read, and the action refuses one that is not the worker's), what was
    found, where, and photos. The position inputs keep the ids the page's geolocation
    script fills (``f-lon``, ``f-lat``)."""

    action_fields = {"location": "longitude", "attachments": "photos"}
    input_ids = {"longitude": "f-lon", "latitude": "f-lat"}

    grid = forms.CharField(
        label=_l("所在网格"),
        required=False,
        widget=forms.Select,
        error_messages={"required": GRID_MISSING},
    )
    kind = forms.CharField(
        label=_l("事件类型"), required=False, initial=Kind.REPORT, widget=forms.Select
    )
    title = forms.CharField(
        label=_l("标题"),
        required=False,
        help_text=_l("可不填，默认取描述的开头（在词语或标点处截断）。"),
        widget=forms.TextInput(attrs={"maxlength": "120"}),
    )
    content = forms.CharField(
        label=_l("情况描述"),
        required=False,
        strip=False,
        widget=forms.Textarea(),
    )
    category = forms.CharField(
        label=_l("诉求分类"),
        required=False,
        help_text=_l("选定分类后直接派往承办部门。"),
        widget=forms.Select,
    )
    address = forms.CharField(
        label=_l("地址"),
        required=False,
        help_text=_l("不填地址和位置时，按所在网格定位。"),
        widget=forms.TextInput(attrs={"maxlength": "200"}),
    )
    longitude = forms.CharField(
        label=_l("经度"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "20"}),
    )
    latitude = forms.CharField(
        label=_l("纬度"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "maxlength": "20"}),
    )
    photos = MultipleFileField(label=_l("现场照片"))

    def __init__(self, *args: Any, grids: list[Any], max_photos: int, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "f-%s")
        super().__init__(*args, **kwargs)
        offered = [(g.code, f"{g.name}（{g.code}）") for g in grids]
        grid = self.fields["grid"]
        grid.widget.choices = offered if len(offered) == 1 else [("", _("请选择")), *offered]
        grid.initial = grids[0].code if len(grids) == 1 else ""
        self.fields["kind"].widget.choices = EVENT_KINDS
        limit = settings.YIWANG["HOTLINE_CONTENT_MAX"]
        content = self.fields["content"]
        content.widget.attrs["maxlength"] = limit
        content.help_text = _("写明发现了什么、在哪里、影响多大，最多 %(max)d 字。") % {
            "max": limit
        }
        self.fields["category"].widget.choices = [("", _("不确定（由系统或话务员分类）"))] + [
            (c.code, f"{getattr(c.parent, 'display_name', '')} · {c.display_name}")
            for c in Category.objects.filter(
                active=True, parent__isnull=False, children__isnull=True
            )
            .select_related("parent")
            .order_by("code")
        ]
        for name in ("grid", "kind", "content"):
            setattr(self.fields[name], "required_mark", True)  # noqa: B010 - read by the field partial
        photos = self.fields["photos"]
        photos.widget.attrs.update({"accept": "image/*", "capture": "environment"})
        photos.help_text = _("可拍照或从相册选择，JPG 或 PNG 格式，最多 %(n)s 张。") % {
            "n": max_photos
        }

    def clean_grid(self) -> Grid:
        code = self.cleaned_data["grid"][:24]
        found = Grid.objects.select_related("division").filter(code=code).first() if code else None
        if found is None:
            raise ValidationError(GRID_MISSING, code="grid_unknown")
        return found


class GridDefineForm(forms.Form):
    """划定网格 (or rename one by its code): code, name, the township or village it lies
    in (offered: ``divisions``) and households; the action checks each."""

    code = forms.CharField(
        label=_l("网格编码"),
        required=False,
        help_text=_l("如 410823001-01；已有编码则修改该网格。"),
        widget=forms.TextInput(attrs={"maxlength": "24"}),
    )
    name = forms.CharField(
        label=_l("名称"), required=False, widget=forms.TextInput(attrs={"maxlength": "60"})
    )
    division = forms.CharField(
        label=_l("所属乡镇街道或村社区"), required=False, widget=forms.Select
    )
    households = forms.CharField(
        label=_l("户数"),
        required=False,
        widget=forms.NumberInput(attrs={"min": "0", "max": "100000"}),
    )

    def __init__(self, *args: Any, divisions: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "d-%s")
        super().__init__(*args, **kwargs)
        self.fields["division"].widget.choices = [("", _("请选择"))] + [
            (d.code, f"{d.name}（{d.code}）") for d in divisions
        ]
        for name in ("code", "name", "division"):
            setattr(self.fields[name], "required_mark", True)  # noqa: B010 - read by the field partial


WORKERS_UNKNOWN = _l("所选网格员不存在。")


class GridWorkersForm(forms.Form):
    """配备网格员: the grid (chosen on the page, sent hidden) and its workers, ticked
    among the staff holding the 网格员 role (``candidates``). Whether each may serve
    that grid, the action decides."""

    grid = forms.CharField(required=False, widget=forms.HiddenInput)
    workers = Ticks(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_list": WORKERS_UNKNOWN},
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "a-%s")
        super().__init__(*args, **kwargs)
        workers = cast(Ticks, self.fields["workers"])
        workers.choices = [
            (
                str(u.pk),
                format_html(
                    '{} <span class="muted">{} · {}</span>',
                    u,
                    u.username,
                    getattr(u.org_unit, "name", ""),
                ),
            )
            for u in candidates
        ]
        code = self["grid"].value() or ""
        workers.label = _("网格 %(code)s 的网格员（勾选即配备，取消勾选即调出）") % {"code": code}

    def add_error(self, field: str | None, error: Any) -> None:
        # The grid is chosen above the form, not asked in it: its refusal is the form's.
        super().add_error(None if field == "grid" else field, error)

    def clean_grid(self) -> Grid:
        found = Grid.objects.filter(code=self.cleaned_data["grid"][:24]).first()
        if found is None:
            raise ValidationError(_("请选择网格。"), code="grid_unknown")
        return found

    def clean_workers(self) -> list[User]:
        ids = self.cleaned_data["workers"]
        found = list(User.objects.filter(pk__in=ids)) if all(i.isdigit() for i in ids) else []
        if len(found) != len(set(ids)):
            raise ValidationError(WORKERS_UNKNOWN, code="unknown")
        return found


# --- 预警信息发布 ---


class WarningDraftForm(forms.Form):
    """起草预警 (warning draft): title, kind (类别, suggestions offered), level, text, the
    areas (``division_groups``: the city, then each county with its townships), the
    groups told and the channels beyond the site message (``channels``). What is
    required, how long each text may be and which areas, groups and channels are known,
    ``do_draft_warning`` decides."""

    title = forms.CharField(
        label=_l("标题"), required=False, widget=forms.TextInput(attrs={"maxlength": "120"})
    )
    kind = forms.CharField(
        label=_l("预警类别"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": "30", "list": "w-kinds"}),
    )
    level = forms.CharField(label=_l("预警级别"), required=False, widget=forms.RadioSelect)
    body = forms.CharField(
        label=_l("预警内容与防御指引"),
        required=False,
        help_text=_l("最多 2000 字。"),
        widget=forms.Textarea(attrs={"maxlength": "2000"}),
    )
    divisions = Ticks(
        label=_l("发布区域"),
        required=False,
        help_text=_l("可多选（按住 Ctrl 或 ⌘ 键）；选县区即包括其下所有乡镇街道。"),
        widget=forms.SelectMultiple(attrs={"size": "10"}),
    )
    groups = Ticks(
        label=_l("发布对象"),
        required=False,
        help_text=_l("群众按人口库户籍区划确定；选择全市时包括全部群众账号。"),
        widget=forms.CheckboxSelectMultiple,
    )
    channels = Ticks(
        label=_l("发布渠道"),
        required=False,
        help_text=_l("站内消息始终发送。"),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        division_groups: list[dict],
        channels: list[tuple[str, Any]],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "w-%s")
        super().__init__(*args, **kwargs)
        self.fields["level"].widget.choices = [
            (value, format_html('<span class="level level-{}">{}</span>', value, label))
            for value, label in Warning.Level.choices
        ]
        self.fields["level"].initial = Warning.Level.BLUE
        cast(Ticks, self.fields["divisions"]).choices = [
            (g["label"], [(d["code"], d["name"]) for d in g["options"]]) for g in division_groups
        ]
        cast(Ticks, self.fields["groups"]).choices = list(GROUPS.items())
        self.fields["groups"].initial = list(GROUPS)
        cast(Ticks, self.fields["channels"]).choices = channels
        self.fields["channels"].initial = [value for value, _label in channels]
        for name in ("title", "kind", "level", "body", "divisions", "groups"):
            setattr(self.fields[name], "required_mark", True)  # noqa: B010 - read by the field partial


class Open311KeyForm(forms.Form):
    """发放 Open311 接口密钥: the outside app (调用方) the key is for."""

    name = forms.CharField(
        label=_l("调用方名称"),
        max_length=100,
        help_text=_l("申请单位及其应用，例如“焦作日报社 随手拍”。"),
    )


class LeafForm(forms.Form):
    """小类 edit form (诉求分类维护): names, descriptions, keywords as one text field (split
    on spaces, commas and 、), the handling line among the lines departments have, and
    whether the leaf is offered. Lengths, the keywords and the line are checked by the
    action, so the page and any other caller get the same refusals."""

    name = forms.CharField(
        label=_l("名称"), error_messages={"required": _l("请填写分类名称。")}, max_length=200
    )
    name_en = forms.CharField(label=_l("英文名称"), required=False, max_length=400)
    description = forms.CharField(
        label=_l("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    description_en = forms.CharField(
        label=_l("英文说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    keywords = forms.CharField(
        label=_l("关键词与同义词"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_l("市民常用的说法，用空格、逗号或顿号（、）分隔。"),
    )
    line = forms.ChoiceField(label=_l("承办条线"), choices=())
    active = forms.BooleanField(label=_l("启用（受理时可选）"), required=False, initial=True)

    def __init__(self, *args: Any, lines: Any = (), **kwargs: Any) -> None:
        """``lines``: the (line, label) pairs offered (``queries.line_choices``)."""
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        line = cast(forms.ChoiceField, self.fields["line"])
        line.choices = [("", _l("请选择")), *lines]
        line.error_messages["invalid_choice"] = _l("请选择有承办部门的条线。")
        line.error_messages["required"] = _l("请选择承办条线。")

    @classmethod
    def initial_of(cls, leaf: Category) -> dict[str, Any]:
        """The form's values for an existing leaf (keywords joined by 、)."""
        return {
            "name": leaf.name,
            "name_en": leaf.name_en,
            "description": leaf.description,
            "description_en": leaf.description_en,
            "keywords": "、".join(leaf.keywords or []),
            "line": leaf.line,
            "active": leaf.active,
        }


class PublishForm(forms.Form):
    """发布新版本: a note saying what changed and why."""

    note = forms.CharField(
        label=_l("版本说明"),
        max_length=500,
        error_messages={"required": _l("请填写版本说明。")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
