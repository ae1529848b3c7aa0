"""Identity pages: second login step, lifting a login wait, registration, account and 动态口令."""

from django.urls import path

from yiwang.core.identity import views

urlpatterns = [
    path("login/totp/", views.login_totp, name="login_totp"),
    path("login/unlock/", views.login_unlock, name="login_unlock"),
    path("login/unlock/verify/", views.login_unlock_verify, name="login_unlock_verify"),
    path("login/reset/", views.password_reset, name="password_reset"),
    path("login/reset/verify/", views.password_reset_verify, name="password_reset_verify"),
    path("register/citizen/", views.register_citizen, name="register_citizen"),
    path("register/enterprise/", views.register_enterprise, name="register_enterprise"),
    path("account/", views.account, name="account"),
    path("account/verify/send/", views.send_phone_code, name="send_phone_code"),
    path("account/verify/", views.verify_phone_code, name="verify_phone_code"),
    path(
        "account/enterprises/<int:pk>/confirm/",
        views.confirm_enterprise,
        name="confirm_enterprise",
    ),
    path("account/password/", views.change_password, name="change_password"),
    path("account/elder/", views.set_elder_mode, name="elder_mode"),
    path("account/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("account/totp/", views.totp_setup, name="totp"),
    path("account/totp/disable/", views.totp_disable, name="totp_disable"),
    path("account/totp/change/", views.totp_change, name="totp_change"),
    path("account/totp/recovery-codes/", views.totp_recovery_codes, name="totp_recovery_codes"),
]
