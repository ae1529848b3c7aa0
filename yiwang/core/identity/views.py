"""Pages of unified identity (统一身份认证): login with 动态口令, logout, self-registration,
the account page (password, 长辈模式, 全部下线). The OIDC consent page is in ``oidc_views``."""

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

from yiwang.core import access, errors
from yiwang.core.actions import assurance as assurance_actions
from yiwang.core.actions import identity as actions
from yiwang.core.actions.users import do_register_citizen, do_register_enterprise
from yiwang.core.errors import refused
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.identity import assurance, enrolment, lockout, throttle, totp
from yiwang.core.identity.forms import (
    CitizenRegistrationForm,
    ElderModeForm,
    EnterpriseRegistrationForm,
    LoginCodeForm,
    LoginForm,
    NextForm,
    PhoneCodeForm,
    PhoneCodeSendForm,
    RecoveryCodesForm,
    ResetPasswordForm,
    TOTPChangeForm,
    TOTPCodeForm,
    TOTPDisableForm,
    UnlockCodeForm,
    UnlockStartForm,
)
from yiwang.core.middleware import ELDER_COOKIE, EPOCH_KEY
from yiwang.core.models import RecoveryCode, User
from yiwang.core.ratelimit import charge, client_ip

PENDING_KEY = "yiwang_pending_login"
ENROL_KEY = "yiwang_totp_enrol"
UNLOCK_KEY = "yiwang_login_unlock"
RESET_KEY = "yiwang_password_reset"
CODES_KEY = "yiwang_recovery_codes"
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


def _complete_login(request, user: User, next_url: str, reason: str, backend: str = BACKEND):
    """Log the session in, pin it to the user's session epoch and record the success."""
    login(request, user, backend=backend)
    request.session[EPOCH_KEY] = user.session_epoch
    request.session.pop(lockout.GRANT_KEY, None)
    actions.do_record_login(
        actor=user, user=user, username=user.username, success=True, reason=reason,
        ip=client_ip(request),
    )  # fmt: skip
    response = redirect(landing_url(request, user, next_url))
    lockout.remember_device(response, user.username)
    return response


def _login_page(request, form, next_url: str, status: int = 200, throttled: str = ""):
    context = {"form": form, "next": next_url, "throttled": throttled}
    return render(request, "core/identity/login.html", context, status=status)


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """统一身份认证登录: password first; staff with 动态口令 continue to the code step. A
    paused address or username (登录频率限制, 登录失败延时) gets 429 with what happened
    and when to try again."""
    next_url = NextForm.next_of(request.POST, request.GET)
    if request.method == "GET" and request.user.is_authenticated and not next_url:
        # With a ``next`` (e.g. OIDC prompt=login) the form is shown again to re-authenticate.
        return redirect(landing_url(request, request.user))
    blocked = throttle.blocked_until(client_ip(request)) if request.method == "POST" else None
    if blocked is not None:
        message = lockout.Pause("address", blocked).message()
        return _login_page(request, LoginForm(request), next_url, 429, throttled=message)
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return _login_page(request, form, next_url)
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
    pause = getattr(request, "yiwang_login_pause", None)
    username = form.cleaned_data.get("username")
    if username and form.cleaned_data.get("password"):
        actions.do_record_login(
            actor=None,
            user=User.objects.filter(username=username).first(),
            username=username,
            success=False,
            reason="paused" if pause is not None and not pause.failed else "password",
            ip=client_ip(request),
            paused_until=pause.until if pause is not None else None,
        )
    return _login_page(request, form, next_url, 429 if pause is not None else 200)


@sensitive_post_parameters("code")
@never_cache
def login_totp(request: HttpRequest) -> HttpResponse:
    """Second login step: the 6-digit 动态口令; wrong codes count towards the username's
    wait like wrong passwords, and while it runs no code is checked."""
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
    ip = client_ip(request)
    form = LoginCodeForm(request.POST if request.method == "POST" else None)
    pause = lockout.check(request, user.username, ip)
    if request.method == "POST" and pause is None and form.is_valid():
        reason = _second_factor(request, user, form)
        if reason:
            request.session.pop(PENDING_KEY, None)
            return _complete_login(
                request, user, pending["next"], reason=reason, backend=pending["backend"]
            )
        pause = lockout.fail(request, user.username, ip)
        actions.do_record_login(
            actor=None, user=user, username=user.username, success=False, reason="totp", ip=ip,
            paused_until=pause.until if pause is not None else None,
        )  # fmt: skip
        form.add_error(
            "code",
            _("恢复码不正确或已使用过。")
            if form.is_recovery_code
            else _("动态口令不正确或已过期，请重新输入。"),
        )
    status = 200
    if pause is not None:
        form.add_error(None, lockout.Pause(pause.scope, pause.until).message())
        status = 429 if request.method == "POST" else 200
    return render(request, "core/identity/login_totp.html", {"form": form}, status=status)


@sensitive_post_parameters("username")
@never_cache
def login_unlock(request: HttpRequest) -> HttpResponse:
    """解除登录等待, step 1: the owner of a username that must wait asks for a one-time
    code by SMS (or goes on to type a 动态口令). The answer is the same for every
    username."""
    form = UnlockStartForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        try:
            actions.do_send_unlock_code(actor=None, username=username, ip=client_ip(request))
        except ValidationError as exc:
            add_errors(form, exc)
            return render(
                request, "core/identity/login_unlock.html", {"form": form},
                status=errors.status_of(exc),
            )  # fmt: skip
        request.session[UNLOCK_KEY] = username
        return redirect("core:login_unlock_verify")
    status = 400 if form.errors else 200
    return render(request, "core/identity/login_unlock.html", {"form": form}, status=status)


@sensitive_post_parameters("code")
@never_cache
def login_unlock_verify(request: HttpRequest) -> HttpResponse:
    """解除登录等待, step 2: the SMS code or a current 动态口令 lifts the username's wait;
    this browser may then sign in without waiting on others' failures."""
    username = request.session.get(UNLOCK_KEY)
    if not username:
        return redirect("core:login_unlock")
    form = UnlockCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_unlock_login(
                actor=None, username=username, code=form.cleaned_data["code"],
                ip=client_ip(request),
            )  # fmt: skip
        except ValidationError as exc:
            add_errors(form, exc)
            status = errors.status_of(exc)
        else:
            request.session.pop(UNLOCK_KEY, None)
            lockout.grant(request, username)
            messages.success(request, _("已解除该账号的登录等待，请输入密码登录。"))
            return redirect(reverse("web:login"))
    elif form.errors:
        status = 400
    context = {"form": form, "username": username}
    return render(request, "core/identity/login_unlock_verify.html", context, status=status)


@sensitive_post_parameters("username")
@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    """找回密码, step 1: a code by SMS to the account's phone; the same answer for every
    username (existing or not, with a phone or not)."""
    form = UnlockStartForm(request.POST if request.method == "POST" else None)
    template = "core/identity/password_reset.html"
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        try:
            actions.do_send_reset_code(actor=None, username=username, ip=client_ip(request))
        except ValidationError as exc:
            add_errors(form, exc)
            return render(request, template, {"form": form}, status=errors.status_of(exc))
        request.session[RESET_KEY] = username
        return redirect("core:password_reset_verify")
    status = 400 if form.errors else 200
    return render(request, template, {"form": form}, status=status)


@sensitive_post_parameters("code", "second", "password1", "password2")
@never_cache
def password_reset_verify(request: HttpRequest) -> HttpResponse:
    """找回密码, step 2: the SMS code (and, with 动态口令, a current code or a 恢复码) and
    the new password; then every session of the account ends and the user signs in."""
    username = request.session.get(RESET_KEY)
    if not username:
        return redirect("core:password_reset")
    form = ResetPasswordForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_reset_password(
                actor=None, username=username, code=form.cleaned_data["code"],
                second=form.cleaned_data["second"],
                new_password=form.cleaned_data["password1"], ip=client_ip(request),
            )  # fmt: skip
        except ValidationError as exc:
            _attach_errors(form, exc, password_field="password1")
            status = errors.status_of(exc)
        else:
            request.session.pop(RESET_KEY, None)
            messages.success(request, _("密码已重置，请用新密码登录。"))
            return redirect(reverse("web:login"))
    elif form.errors:
        status = 400
    context = {"form": form, "username": username}
    return render(request, "core/identity/password_reset_verify.html", context, status=status)


def _second_factor(request, user: User, form: LoginCodeForm) -> str:
    """Check the second step: a 动态口令, or a 恢复码 (spent on use). Returns the login
    reason for the ledger, or "" when the code is wrong."""
    code = form.cleaned_data["code"]
    if form.is_recovery_code:
        used = actions.do_use_recovery_code(actor=None, user=user, code=code, ip=client_ip(request))
        return "recovery_code" if used else ""
    return "totp" if totp.verify(user.totp_secret, code, user_id=user.pk) else ""


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


def _registered_message(user: User) -> str:
    """What a new account is told: how it becomes 实名 (a citizen by SMS, an enterprise
    through its legal representative or a window)."""
    if assurance.is_verified(user):
        return _("注册成功，欢迎使用焦作一网。")
    if user.kind == User.Kind.ENTERPRISE:
        return _(
            "注册成功。请法定代表人登录本人已实名的个人账号确认本企业账号，或到政务服务大厅"
            "窗口核验，之后即可办理企业事项、使用企业证照。"
        )
    return _("注册成功。请在“账号与安全”中完成短信实名核验，之后即可使用证照夹等功能。")


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
            messages.success(request, _registered_message(user))
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
        "can_use_totp": enrolment.may_use(user),
        "recovery_codes_left": _codes_left(user),
        "shows_assurance": user.kind in (User.Kind.CITIZEN, User.Kind.ENTERPRISE),
        "assurance_label": assurance.label(level, user.kind),
        "enterprises_to_confirm": assurance.enterprises_to_confirm(user),
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
def confirm_enterprise(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """法定代表人确认: the signed-in representative confirms one enterprise account of
    theirs (only those listed on their account page can be named here)."""
    listed = {e.pk: e for e in assurance.enterprises_to_confirm(request.user)}
    if pk not in listed:
        raise errors.NotFound(_("没有待您确认的该企业账号。"))
    try:
        assurance_actions.do_confirm_enterprise(actor=request.user, enterprise=listed[pk])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("core:account") + "#enterprises-h")
    messages.success(
        request, _("已确认企业账号“%s”，该账号已完成实名核验。") % listed[pk].enterprise_name
    )
    return redirect(reverse("core:account") + "#enterprises-h")


@login_required
@require_POST
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def change_password(request: AuthenticatedHttpRequest) -> HttpResponse:
    """修改密码: other sessions end; this one stays signed in. Wrong old passwords count
    toward the same pause as the other password checks of a signed-in account."""
    form = PasswordChangeForm(request.user, request.POST)
    try:
        actions.check_password_again(request.user, request.POST.get("old_password", ""))
    except errors.RateLimited as exc:
        form.is_valid()
        _attach_errors(form, exc, password_field="old_password")
        return _account_page(request, status=exc.status, password_form=form)
    except ValidationError:
        pass  # counted; the form says the old password is wrong
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


def _codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def _totp_manage_page(request, status: int = 200, **forms) -> HttpResponse:
    """动态口令 switched on: 恢复码 left and regeneration, changing phones, switching off
    (not offered while the platform requires 动态口令)."""
    user = request.user
    context = {
        "recovery_codes_left": _codes_left(user),
        "recovery_form": forms.get("recovery_form") or RecoveryCodesForm(),
        "disable_form": None
        if enrolment.applies_to(user)
        else (forms.get("disable_form") or TOTPDisableForm()),
    }
    return render(request, "core/identity/totp_manage.html", context, status=status)


def _enrol(user: User, secret: str, data: dict):
    """开启 (the code alone) or 更换手机 (the code and the password again)."""
    if "password" in data:
        return actions.do_change_totp(
            actor=user, user=user, password=data["password"], secret=secret, code=data["code"]
        )
    return actions.do_enable_totp(actor=user, user=user, secret=secret, code=data["code"])


def _enrol_page(request: AuthenticatedHttpRequest, change: bool) -> HttpResponse:
    """Scan the QR code (or type the secret) and confirm with a code; on success the 恢复码
    are shown, once. While the platform requires 动态口令 the page says until when the
    user may wait, and lets them continue to where they were going if they still may."""
    user = request.user
    next_url = NextForm.next_of(request.POST, request.GET)
    secret = request.session.get(ENROL_KEY) or totp.new_secret()
    request.session[ENROL_KEY] = secret
    form_class = TOTPChangeForm if change else TOTPCodeForm
    form = form_class(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            enrolled = _enrol(user, secret, form.cleaned_data)
        except ValidationError as exc:
            _attach_errors(form, exc, password_field="password")
            status = errors.status_of(exc)
        else:
            request.session.pop(ENROL_KEY, None)
            messages.success(request, _("动态口令已开启，下次登录时需要输入。"))
            return _show_codes_once(
                request, enrolled.recovery_codes, landing_url(request, user, next_url)
            )
    if form.errors and status == 200:
        status = 400
    standing = enrolment.standing(user, timezone.now())
    uri = totp.provisioning_uri(secret, user.username)
    context = {
        "form": form,
        "qr": totp.qr_svg_data_uri(uri),
        "secret": totp.grouped(secret),
        "change": change,
        "next": next_url,
        "standing": standing,
        "continue_url": landing_url(request, user, next_url)
        if standing.must_enrol and not standing.blocked
        else "",
    }
    return render(request, "core/identity/totp.html", context, status=status)


@login_required
@never_cache
@sensitive_post_parameters("code")
def totp_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """动态口令 enrolment (启用动态口令), or its management page once it is on."""
    access.deny_unless(
        request.user, enrolment.may_use(request.user), _("动态口令仅面向工作人员开放。")
    )
    if request.user.totp_enabled:
        return _totp_manage_page(request)
    return _enrol_page(request, change=False)


@login_required
@never_cache
@sensitive_post_parameters("code", "password")
def totp_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    """更换手机: bind 动态口令 to a new authenticator (new secret, new 恢复码)."""
    access.deny_unless(
        request.user, enrolment.may_use(request.user), _("动态口令仅面向工作人员开放。")
    )
    if not request.user.totp_enabled:
        return redirect("core:totp")
    return _enrol_page(request, change=True)


@login_required
@require_POST
@sensitive_post_parameters("password")
def totp_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Turn 动态口令 off after checking the password; refused while it is required."""
    access.deny_unless(
        request.user, enrolment.may_use(request.user), _("动态口令仅面向工作人员开放。")
    )
    form = TOTPDisableForm(request.POST)
    if form.is_valid():
        try:
            actions.do_disable_totp(
                actor=request.user, user=request.user, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            _attach_errors(form, exc, password_field="password")
            status = errors.status_of(exc)
        else:
            messages.success(request, _("动态口令已关闭。"))
            return redirect("core:account")
    else:
        status = 400
    return _totp_manage_page(request, status=status, disable_form=form)


def _show_codes_once(request, codes: list[str], continue_url: str) -> HttpResponse:
    """Keep new 恢复码 in the session just until the next page shows them (then gone)."""
    request.session[CODES_KEY] = {"codes": codes, "continue": continue_url}
    return redirect("core:totp_recovery_codes")


@login_required
@never_cache
@sensitive_post_parameters("password")
def totp_recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """恢复码: GET shows new codes once (after enrolment or regeneration); POST regenerates
    them (重新生成恢复码), after which the old codes stop working."""
    if request.method != "POST":
        shown = request.session.pop(CODES_KEY, None)
        if not shown:
            return redirect("core:totp")
        context = {"codes": shown["codes"], "continue_url": shown["continue"]}
        return render(request, "core/identity/totp_recovery_codes.html", context)
    access.deny_unless(
        request.user, enrolment.may_use(request.user), _("动态口令仅面向工作人员开放。")
    )
    form = RecoveryCodesForm(request.POST)
    if form.is_valid():
        try:
            codes = actions.do_regenerate_recovery_codes(
                actor=request.user, user=request.user, password=form.cleaned_data["password"]
            )
        except ValidationError as exc:
            _attach_errors(form, exc, password_field="password")
            return _totp_manage_page(request, status=errors.status_of(exc), recovery_form=form)
        return _show_codes_once(request, codes, reverse("core:totp"))
    return _totp_manage_page(request, status=400, recovery_form=form)
