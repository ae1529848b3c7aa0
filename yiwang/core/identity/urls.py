"""Identity pages: second login step, registration, account and 动态口令."""

from django.urls import path

from yiwang.core.identity import views

urlpatterns = [
    path("login/totp/", views.login_totp, name="login_totp"),
    path("register/citizen/", views.register_citizen, name="register_citizen"),
    path("register/enterprise/", views.register_enterprise, name="register_enterprise"),
    path("account/", views.account, name="account"),
    path("account/verify/send/", views.send_phone_code, name="send_phone_code"),
    path("account/verify/", views.verify_phone_code, name="verify_phone_code"),
    path("account/password/", views.change_password, name="change_password"),
    path("account/elder/", views.set_elder_mode, name="elder_mode"),
    path("account/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("account/totp/", views.totp_setup, name="totp"),
    path("account/totp/disable/", views.totp_disable, name="totp_disable"),
]
