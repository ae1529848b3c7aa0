"""Forms of unified identity (统一身份认证): login, 动态口令, registration, account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from yiwang.core.identifiers import validate_credit_code, validate_id_number, validate_mobile
from yiwang.core.identity import enrolment


def six_digits(label, required, wrong, *, help_text="", autofocus: bool = True) -> forms.CharField:
    """A 6-digit one-time code field (短信验证码, 动态口令): the numeric keypad on phones,
    the browser's one-time-code autofill, and one message for any wrong shape."""
    attrs: dict[str, str | bool] = {
        "inputmode": "numeric",
        "autocomplete": "one-time-code",
        "pattern": "[0-9]{6}",
        "maxlength": "6",
    }
    if autofocus:
        attrs["autofocus"] = True
    return forms.CharField(
        label=label,
        help_text=help_text,
        error_messages={"required": required},
        validators=[RegexValidator(r"^[0-9]{6}$", message=wrong, code="digits")],
        widget=forms.TextInput(attrs=attrs),
    )


class LoginForm(AuthenticationForm):
    """Username and password; one generic message for any wrong pair, and when the
    address or the username must wait (登录失败延时), what happened and until when — the
    same for every username, so the page never tells whether an account exists."""

    error_messages = {
        "invalid_login": _("用户名或密码不正确。"),
        "inactive": _("用户名或密码不正确。"),
    }

    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def get_invalid_login_error(self):
        pause = getattr(self.request, "yiwang_login_pause", None)
        if pause is not None:
            return ValidationError(pause.message(), code="paused")
        return super().get_invalid_login_error()


class NextForm(forms.Form):
    """Where to go after login (``next``), as the login form or its link sends it; whether
    it is a safe place on this site, ``landing_url`` decides."""

    next = forms.CharField(required=False, widget=forms.HiddenInput)

    @classmethod
    def next_of(cls, *sources: Any) -> str:
        """The first ``next`` given in ``sources`` (the posted form, then the query)."""
        for source in sources:
            form = cls(source)
            if form.is_valid() and form.cleaned_data["next"]:
                return form.cleaned_data["next"]
        return ""


class UnlockStartForm(forms.Form):
    """解除登录等待, step 1: the username whose wait to lift."""

    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        help_text=_("如果该账号绑定了手机号码，我们会向其发送短信验证码。"),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class UnlockCodeForm(forms.Form):
    """解除登录等待, step 2: the code from the SMS, or a current 动态口令."""

    code = six_digits(
        _("验证码或动态口令"),
        _("请输入 6 位验证码。"),
        _("验证码为 6 位数字。"),
        help_text=_("短信验证码 10 分钟内有效；开启了动态口令的账号也可以输入动态口令。"),
    )


class TOTPCodeForm(forms.Form):
    """The 6-digit 动态口令 from the user's authenticator app."""

    code = six_digits(_("动态口令"), _("请输入 6 位动态口令。"), _("动态口令为 6 位数字。"))


class LoginCodeForm(forms.Form):
    """Second login step: the 6-digit 动态口令, or one 恢复码 (``ABCDE-FGHJK``) when the
    phone is not at hand."""

    code = forms.CharField(
        label=_("动态口令或恢复码"),
        max_length=16,
        help_text=_("输入身份验证器显示的 6 位动态口令；手机不在身边时，可输入一个恢复码。"),
        error_messages={"required": _("请输入 6 位动态口令或恢复码。")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().replace(" ", "")
        if not (len(code) == 6 and code.isdigit()) and not enrolment.looks_like_code(code):
            raise ValidationError(
                _("请输入 6 位数字动态口令，或形如 ABCDE-FGHJK 的恢复码。"), code="format"
            )
        return code

    @property
    def is_recovery_code(self) -> bool:
        return not self.cleaned_data["code"].isdigit()


class TOTPChangeForm(TOTPCodeForm):
    """更换手机: the code from the new authenticator and the account password."""

    password = forms.CharField(
        label=_("登录密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("请输入登录密码。")},
    )


class TOTPDisableForm(forms.Form):
    password = forms.CharField(
        label=_("登录密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RecoveryCodesForm(forms.Form):
    """重新生成恢复码: the account password confirms it is the owner asking."""

    password = forms.CharField(
        label=_("登录密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class _PasswordPair(forms.Form):
    """Password and confirmation, checked against each other (the rules run in the action,
    where the user's other details are known)."""

    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        help_text=_("至少 8 位，不能全是数字，不能与用户名或姓名相似。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class ResetPasswordForm(_PasswordPair):
    """找回密码, step 2: the SMS code, the second factor of an account with 动态口令, and
    the new password twice."""

    field_order = ["code", "second", "password1", "password2"]

    code = six_digits(_("短信验证码"), _("请输入 6 位验证码。"), _("验证码为 6 位数字。"))
    second = forms.CharField(
        label=_("动态口令或恢复码"),
        required=False,
        max_length=20,
        help_text=_("仅开启了动态口令的账号需要填写：身份验证器上的 6 位动态口令，或一个恢复码。"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _mobile(value: str) -> str:
    return validate_mobile(value)


class CitizenRegistrationForm(_PasswordPair):
    """个人注册: username, real name, 居民身份证号码, mobile and a password."""

    field_order = ["username", "full_name", "id_number", "phone", "password1", "password2"]

    username = forms.RegexField(
        label=_("用户名"),
        max_length=30,
        min_length=4,
        regex=r"^[A-Za-z][A-Za-z0-9_.-]+$",
        error_messages={"invalid": _("用户名以字母开头，可含字母、数字和 _ . -，4 至 30 位。")},
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    full_name = forms.CharField(
        label=_("姓名"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    id_number = forms.CharField(
        label=_("居民身份证号码"), widget=forms.TextInput(attrs={"maxlength": "18"})
    )
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=14,
        help_text=_(
            "请填写在公安户籍（人口库）登记的本人手机号码，实名核验的短信验证码将发送到该号码。"
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])

    def clean_phone(self) -> str:
        return _mobile(self.cleaned_data["phone"])


class EnterpriseRegistrationForm(_PasswordPair):
    """企业注册: enterprise name, 统一社会信用代码, contact person, mobile and a password."""

    field_order = [
        "username",
        "enterprise_name",
        "credit_code",
        "full_name",
        "phone",
        "password1",
        "password2",
    ]

    username = CitizenRegistrationForm.base_fields["username"]
    enterprise_name = forms.CharField(
        label=_("企业名称"),
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), widget=forms.TextInput(attrs={"maxlength": "18"})
    )
    full_name = forms.CharField(
        label=_("联系人姓名"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = CitizenRegistrationForm.base_fields["phone"]

    def clean_credit_code(self) -> str:
        return validate_credit_code(self.cleaned_data["credit_code"])

    def clean_phone(self) -> str:
        return _mobile(self.cleaned_data["phone"])


class ElderModeForm(forms.Form):
    elder_mode = forms.BooleanField(
        label=_("默认使用长辈模式（字号更大、版面更简洁）"), required=False
    )


class PhoneCodeSendForm(forms.Form):
    """获取短信验证码: nothing to type — the code goes to the account's own mobile number."""


class PhoneCodeForm(forms.Form):
    """The 6-digit 短信验证码 sent to the account's mobile number (实名核验)."""

    code = six_digits(
        _("短信验证码"),
        _("请输入 6 位短信验证码。"),
        _("短信验证码为 6 位数字。"),
        autofocus=False,
    )


# ---- 窗口实名核验 (window clerks) ---------------------------------------------------
# The forms only parse: which of the three a search needs, and what a reason must say,
# the actions decide (``core.actions.reads.do_lookup_account``, ``core.actions.assurance``)
# for pages and API alike.

REASON_HINT = _("例如：本人持居民身份证到窗口核验。记入审计账本。")


def _reason_field() -> forms.CharField:
    """办理事由: required by the action (the same message on page and API), so marked
    required here without the form checking it."""
    reason = forms.CharField(
        label=_("办理事由"), max_length=200, required=False, help_text=REASON_HINT
    )
    setattr(reason, "required_mark", True)  # noqa: B010 - read by the field partial
    return reason


class WindowLookupForm(forms.Form):
    """查找账号: exactly one of 用户名, 身份证号码 (citizens) and 统一社会信用代码
    (enterprises). Sent by POST only: an ID number never goes into a URL or a log."""

    username = forms.CharField(label=_("用户名"), max_length=150, required=False)
    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class WindowAccountForm(forms.Form):
    """Which account of the clerk's last search a 窗口核验 or 换绑 is for, and which."""

    account = forms.IntegerField(widget=forms.HiddenInput)
    op = forms.ChoiceField(choices=[("verify", "verify"), ("rebind", "rebind")])


class WindowVerifyForm(forms.Form):
    """窗口核验: the clerk saw the ID card (an enterprise: licence and the legal
    representative's ID card) and says so."""

    reason = _reason_field()


class WindowRebindForm(forms.Form):
    """账号换绑 (citizens): the name and ID number read from the card, and the reason."""

    full_name = forms.CharField(
        label=_("姓名"),
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("请填写居民身份证上的姓名。")},
    )
    id_number = forms.CharField(
        label=_("居民身份证号码"),
        max_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("请填写居民身份证号码。")},
    )
    reason = _reason_field()

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])
