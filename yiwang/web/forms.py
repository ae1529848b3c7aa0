"""Forms of the web shell: the 长辈模式 switch every page carries in its header."""

from __future__ import annotations

from django import forms


class ElderToggleForm(forms.Form):
    """Switch 长辈模式 on (``on`` = "1") or off, then return to the page it was pressed on
    (``next``). A button with nothing typed: anything but "1" switches it off, and a
    ``next`` off this site goes home (the view checks it)."""

    on = forms.CharField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def switched_on(self) -> bool:
        return self.is_valid() and self.cleaned_data["on"] == "1"

    def target(self) -> str:
        return (self.cleaned_data["next"] if self.is_valid() else "") or "/"
