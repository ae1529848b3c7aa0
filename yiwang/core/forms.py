"""Form helpers the page kit shares: putting an action's refusal on the form it came
from, and a file field that takes several files.

Pages parse input with Django forms and leave the rules to the actions (one place
decides what is valid for pages and API alike); when an action refuses, its messages go
back onto the form, per field where the field is on the form, so the error summary
(错误汇总) links to each and the field shows its own message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put the messages of a refused action onto ``form``: field errors on their field
    when the form has it, everything else as a form-wide error. The form may be unbound
    (a refusal of another form's submission shown on this one)."""
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}  # Django's add_error expects it once a form was cleaned
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            target = name if name in form.fields and name != NON_FIELD_ERRORS else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that sends several files (``multiple``)."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several uploaded files, as a list; the checks on each file stay with the action
    that stores them (one upload check for pages and API)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []
