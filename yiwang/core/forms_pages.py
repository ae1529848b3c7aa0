"""Forms of core's own pages: the case page (办件详情) and 我的消息. They parse what a
page sends and leave the rules to the actions (``core.actions``), whose refusals go back
onto the form with ``core.forms.add_errors``. (``core.forms`` keeps the helpers every
room's forms share.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _l

OP_UNKNOWN = _l("未知的操作。")


class _StepForm(forms.Form):
    """A form whose step is a hidden input or a button, not a question: a refusal of the
    step is about the whole form, shown in the error summary only."""

    steps: tuple[str, ...] = ()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(None if field in self.steps else field, error)


class CaseOpForm(_StepForm):
    """Which of the case page's forms was sent: its hidden ``op`` (签收, 退回组内, 办理,
    上传附件, 添加备注)."""

    steps = ("op",)

    op = forms.ChoiceField(
        choices=[(op, op) for op in ("claim", "release", "transition", "attach", "comment")],
        widget=forms.HiddenInput,
        error_messages={"required": OP_UNKNOWN, "invalid_choice": OP_UNKNOWN},
    )


class CaseAssignForm(forms.Form):
    """签收 or 退回组内: nothing to fill in; whether the case may be claimed, the action
    decides."""


class CaseTransitionForm(_StepForm):
    """办理: the step taken (the button pressed) and the opinion (办理意见). Which steps are
    open and when the opinion is needed, the workflow decides."""

    steps = ("action",)

    action = forms.CharField(required=False, max_length=64)
    comment = forms.CharField(
        label=_l("办理意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "act-%s")
        super().__init__(*args, **kwargs)


class CaseAttachForm(forms.Form):
    """上传附件: one file; its type and size the upload check decides."""

    file = forms.FileField(
        label=_l("上传附件（PDF、OFD、图片、Word、Excel、文本）"),
        error_messages={"required": _l("请选择要上传的文件。")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "att-%s")
        super().__init__(*args, **kwargs)


class CaseCommentForm(forms.Form):
    """添加备注: a note in the case's history. The action insists on one (and on its
    length), so the form only marks it."""

    comment = forms.CharField(
        label=_l("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "cmt-%s")
        super().__init__(*args, **kwargs)
        setattr(self.fields["comment"], "required_mark", True)  # noqa: B010 - read by the field partial


# The case page's forms by the ``op`` that sends them.
CASE_FORMS: dict[str, type[forms.Form]] = {
    "claim": CaseAssignForm,
    "release": CaseAssignForm,
    "transition": CaseTransitionForm,
    "attach": CaseAttachForm,
    "comment": CaseCommentForm,
}


def case_forms(op: str = "", data: Any = None, files: Any = None) -> dict[str, forms.Form]:
    """The case page's forms by their ``op``; the one sent (``op``) bound to what was
    sent, the others empty."""
    return {
        name: form_class(data, files) if name == op else form_class()
        for name, form_class in CASE_FORMS.items()
    }


class MarkReadForm(forms.Form):
    """我的消息: mark one message read (``id``) or all of them (``all``). Only the user's
    own unread messages are marked; an id that names none marks nothing."""

    id = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )
    all = forms.BooleanField(required=False, widget=forms.HiddenInput)
