"""Pages of unified identity (统一身份认证): login with 动态口令, logout, self-registration,
the account page (password, 长辈模式, 全部下线) and the OIDC consent page."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from oauth2_provider.views import AuthorizationView

from yiwang.core import access
from yiwang.core.actions import assurance as assurance_actions
from yiwang.core.actions import identity as actions
from yiwang.core.actions.users import do_register_citizen, do_register_enterprise
from yiwang.core.errors import refused
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.identity import assurance, lockout, throttle, totp
from yiwang.core.identity.forms import (
    CitizenRegistrationForm,
    ElderModeForm,
    EnterpriseRegistrationForm,
    LoginForm,
    NextForm,
    PhoneCodeForm,
    PhoneCodeSendForm,
    TOTPCodeForm,
    TOTPDisableForm,
)
from yiwang.core.middleware import ELDER_COOKIE, EPOCH_KEY
from yiwang.core.models import User
from yiwang.core.ratelimit import charge, client_ip

PENDING_KEY = "yiwang_pending_login"
ENROL_KEY = "yiwang_totp_enrol"
PENDING_SECONDS = 300
REGISTER_PER_MINUTE = 10  # registration submissions per address (人口库比对 is an oracle)
SMS_PER_MINUTE = 5  # 短信验证码 requests per address
BACKEND = "yiwang.core.identity.backend.LockoutModelBackend"
HOME_BY_KIND: dict[str, str] = {
    User.Kind.STAFF: "web:workbench",
    User.Kind.CITIZEN: "web:citizen",
    User.Kind.ENTERPRISE: "web:enterprise",
}


def landing_url(request: HttpRequest, user: User, next_url: str = "") -> str:
    """Where to go after login: a safe ``next`` on this site, else the user's own space."""
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return reverse(HOME_BY_KIND.get(user.kind, "web:home"))


def _locked_message(until) -> str:
    return _("账号已锁定，请于 %(time)s 后再试。") % {
        "time": timezone.localtime(until).strftime("%H:%M")
    }


def _complete_login(request, user: User, next_url: str, reason: str, backend: str = BACKEND):
    """Log the session in, pin it to the user's session epoch and record the success."""
    login(request, user, backend=backend)
    request.session[EPOCH_KEY] = user.session_epoch
    actions.do_record_login(
        actor=user, user=user, username=user.username, success=True, reason=reason,
        ip=client_ip(request),
    )  # fmt: skip
    return redirect(landing_url(request, user, next_url))


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """统一身份认证登录: password first; staff with 动态口令 continue to the code step."""
    next_url = NextForm.next_of(request.POST, request.GET)
    if request.method == "GET" and request.user.is_authenticated and not next_url:
        # With a ``next`` (e.g. OIDC prompt=login) the form is shown again to re-authenticate.
        return redirect(landing_url(request, request.user))
    if request.method == "POST" and throttle.blocked(client_ip(request)):
        message = _("此网络地址登录失败次数过多，请 %(n)s 分钟后再试。") % {
            "n": throttle.window_minutes()
        }
        form = LoginForm(request)
        return render(
            request,
            "core/identity/login.html",
            {"form": form, "next": next_url, "throttled": message},
            status=429,
        )
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            if user.totp_enabled:
                request.session.pop(PENDING_KEY, None)
                request.session[PENDING_KEY] = {
                    "uid": user.pk,
                    "backend": getattr(user, "backend", BACKEND),
                    "at": time.time(),
                    "next": next_url,
                }
                return redirect("core:login_totp")
            return _complete_login(request, user, next_url, reason="password")
        throttle.note_failure(client_ip(request))
        username = form.cleaned_data.get("username")
        if username and form.cleaned_data.get("password"):
            locked = getattr(request, "yiwang_locked_until", None)
            actions.do_record_login(
                actor=None,
                user=User.objects.filter(username=username).first(),
                username=username,
                success=False,
                reason="locked" if locked else "password",
                ip=client_ip(request),
            )
    return render(request, "core/identity/login.html", {"form": form, "next": next_url})


@sensitive_post_parameters("code")
@never_cache
def login_totp(request: HttpRequest) -> HttpResponse:
    """Second login step: the 6-digit 动态口令; wrong codes count towards the lockout."""
    pending = request.session.get(PENDING_KEY)
    user = User.objects.filter(pk=pending["uid"], is_active=True).first() if pending else None
    if (
        pending is None
        or user is None
        or time.time() - pending["at"] > PENDING_SECONDS
        or not user.totp_enabled
    ):
        request.session.pop(PENDING_KEY, None)
        messages.error(request, _("登录已超时，请重新输入用户名和密码。"))
        return redirect("web:login")
    until = lockout.locked_until(user)
    if until is not None:
        request.session.pop(PENDING_KEY, None)
        messages.error(request, _locked_message(until))
        return redirect("web:login")
    form = TOTPCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if totp.verify(user.totp_secret, form.cleaned_data["code"], user_id=user.pk):
            request.session.pop(PENDING_KEY, None)
            return _complete_login(
                request, user, pending["next"], reason="totp", backend=pending["backend"]
            )
        throttle.note_failure(client_ip(request))
        locked = actions.do_record_login(
            actor=None, user=user, username=user.username, success=False, reason="totp",
            ip=client_ip(request),
        )  # fmt: skip
        if locked is not None:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, _locked_message(locked))
            return redirect("web:login")
        form.add_error("code", _("动态口令不正确或已过期，请重新输入。"))
    return render(request, "core/identity/login_totp.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out of this browser (the ledger records it)."""
    if request.user.is_authenticated:
        actions.do_record_logout(actor=request.user, ip=client_ip(request))
    logout(request)
    return redirect("web:home")


def _attach_errors(form, exc: ValidationError, password_field: str = "password1") -> None:
    """Put an action's ValidationError on the matching form fields."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target: str | None = password_field if field == "password" else field
            form.add_error(target if target in form.fields else None, errors)
        return
    for error in exc.error_list:
        target = password_field if (error.code or "").startswith("password") else None
        form.add_error(target, error)


def _register(request, form_class, create, template: str) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(landing_url(request, request.user))
    form = form_class(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        charge("register", request, REGISTER_PER_MINUTE, _("注册过于频繁，请稍后再试。"))
        data = dict(form.cleaned_data)
        password = data.pop("password1")
        data.pop("password2")
        try:
            user = create(actor=None, password=password, **data)
        except ValidationError as exc:
            _attach_errors(form, exc)
            status = refused(exc).status
        else:
            if assurance.is_verified(user):
                messages.success(request, _("注册成功，欢迎使用焦作一网。"))
            else:
                messages.success(
                    request,
                    _("注册成功。请在“账号与安全”中完成短信实名核验，之后即可使用证照夹等功能。"),
                )
            return _complete_login(request, user, "", reason="register")
    return render(request, template, {"form": form}, status=status)


@sensitive_post_parameters("password1", "password2", "id_number")
@never_cache
def register_citizen(request: HttpRequest) -> HttpResponse:
    """个人注册 (群众): name and ID number are checked against the population registry
    (人口库); the account starts at 基础库比对 and reaches 实名 with the SMS code."""
    return _register(
        request, CitizenRegistrationForm, do_register_citizen, "core/identity/register_citizen.html"
    )


@sensitive_post_parameters("password1", "password2")
@never_cache
def register_enterprise(request: HttpRequest) -> HttpResponse:
    """企业注册 (法人)."""
    return _register(
        request,
        EnterpriseRegistrationForm,
        do_register_enterprise,
        "core/identity/register_enterprise.html",
    )


def _account_page(request, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    from yiwang.core.masking import mask_id_number, mask_phone

    level = assurance.level_of(user)
    context = {
        "password_form": forms.get("password_form") or PasswordChangeForm(user),
        "elder_form": forms.get("elder_form")
        or ElderModeForm(initial={"elder_mode": user.elder_mode}),
        "masked_id_number": mask_id_number(user.id_number) if user.id_number else "",
        "can_use_totp": user.kind == User.Kind.STAFF,
        "shows_assurance": user.kind in (User.Kind.CITIZEN, User.Kind.ENTERPRISE),
        "assurance_label": assurance.label(level),
        "assurance_verified": assurance.is_verified(user),
        "can_verify_by_sms": user.kind == User.Kind.CITIZEN and level < assurance.VERIFIED,
        "masked_phone": mask_phone(user.phone) if user.phone else "",
        "phone_form": forms.get("phone_form") or PhoneCodeForm(),
        "send_form": forms.get("send_form") or PhoneCodeSendForm(),
    }
    return render(request, "core/identity/account.html", context, status=status)


@login_required
@never_cache
def account(request: HttpRequest) -> HttpResponse:
    """账号与安全: profile summary, password, 长辈模式, 动态口令 and 全部下线."""
    return _account_page(request)


@login_required
@require_POST
def send_phone_code(request: AuthenticatedHttpRequest) -> HttpResponse:
    """获取短信验证码 for 实名核验: sent to the account's mobile number (which must be the
    registry's); refusals (rate limits, a different number) show on the account page."""
    form = PhoneCodeSendForm(request.POST)
    form.is_valid()
    try:
        charge("sms-code-ip", request, SMS_PER_MINUTE, _("获取验证码过于频繁，请稍后再试。"))
        assurance_actions.do_send_phone_code(actor=request.user, user=request.user)
    except ValidationError as exc:
        add_errors(form, exc)
        return _account_page(request, status=refused(exc).status, send_form=form)
    messages.success(request, _("验证码已发送到您的手机，请在 5 分钟内输入。"))
    return redirect(reverse("core:account") + "#assurance-h")


@login_required
@require_POST
@sensitive_post_parameters("code")
def verify_phone_code(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Type back the 短信验证码: the account becomes 实名 (手机短信核验)."""
    form = PhoneCodeForm(request.POST)
    if form.is_valid():
        try:
            assurance_actions.do_verify_phone_code(
                actor=request.user, user=request.user, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return _account_page(request, status=refused(exc).status, phone_form=form)
        messages.success(request, _("实名核验已完成。"))
        return redirect("core:account")
    return _account_page(request, status=400, phone_form=form)


@login_required
@require_POST
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def change_password(request: AuthenticatedHttpRequest) -> HttpResponse:
    """修改密码: other sessions end; this one stays signed in."""
    form = PasswordChangeForm(request.user, request.POST)
    if form.is_valid():
        try:
            user = actions.do_change_password(
                actor=request.user,
                user=request.user,
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as exc:
            _attach_errors(form, exc, password_field="new_password2")
        else:
            update_session_auth_hash(request, user)
            messages.success(request, _("密码已修改。"))
            return redirect("core:account")
    return _account_page(request, status=400, password_form=form)


@login_required
@require_POST
def set_elder_mode(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Save the 长辈模式 preference on the account and apply it in this browser."""
    form = ElderModeForm(request.POST)
    form.is_valid()
    on = bool(form.cleaned_data.get("elder_mode"))
    actions.do_set_elder_mode(actor=request.user, user=request.user, on=on)
    messages.success(request, _("已保存长辈模式偏好。"))
    response = redirect("core:account")
    response.set_cookie(ELDER_COOKIE, "1" if on else "0", max_age=365 * 24 * 3600, samesite="Lax")
    return response


@login_required
@require_POST
def logout_everywhere(request: AuthenticatedHttpRequest) -> HttpResponse:
    """全部下线: every session and token of this account ends, this one included."""
    actions.do_logout_everywhere(actor=request.user, user=request.user)
    logout(request)
    messages.success(request, _("已在所有设备上退出登录，请重新登录。"))
    return redirect("web:login")


@login_required
@never_cache
@sensitive_post_parameters("code")
def totp_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """动态口令 enrolment: scan the QR code (or type the secret), confirm with a code."""
    access.require_staff(request.user, _("动态口令仅面向工作人员开放。"))
    user = request.user
    if user.totp_enabled:
        return render(request, "core/identity/totp.html", {"disable_form": TOTPDisableForm()})
    secret = request.session.get(ENROL_KEY) or totp.new_secret()
    request.session[ENROL_KEY] = secret
    form = TOTPCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_enable_totp(
                actor=user, user=user, secret=secret, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            _attach_errors(form, exc)
        else:
            request.session.pop(ENROL_KEY, None)
            messages.success(request, _("动态口令已开启，下次登录时需要输入。"))
            return redirect("core:account")
    uri = totp.provisioning_uri(secret, user.username)
    context = {
        "form": form,
        "qr": totp.qr_svg_data_uri(uri),
        "secret": totp.grouped(secret),
    }
    return render(request, "core/identity/totp.html", context)


@login_required
@require_POST
@sensitive_post_parameters("password")
def totp_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Turn 动态口令 off after checking the password."""
    access.require_staff(request.user, _("动态口令仅面向工作人员开放。"))
    form = TOTPDisableForm(request.POST)
    if form.is_valid():
        try:
            actions.do_disable_totp(
                actor=request.user, user=request.user, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            _attach_errors(form, exc, password_field="password")
        else:
            messages.success(request, _("动态口令已关闭。"))
            return redirect("core:account")
    return render(request, "core/identity/totp.html", {"disable_form": form}, status=400)


class ConsentView(AuthorizationView):
    """OIDC/OAuth2 授权确认: the user sees which system asks for what, in our shell."""

    template_name = "core/identity/authorize.html"
