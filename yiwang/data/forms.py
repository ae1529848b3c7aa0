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
