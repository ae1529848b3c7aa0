"""单点登录会话 (the platform's side of single sign-on): each browser session carries the
time its user authenticated (``auth_time``) and a random session id (``sid``, never the
session key), set on every sign-in — the login page, the second step, Django admin's
login and test logins alike, through Django's ``user_logged_in`` signal. ID tokens
carry both; when the session ends (``user_logged_out``: the logout page, RP-initiated
logout, admin logout) the relying parties that took part in it are told by back-channel
logout (``yiwang.core.actions.oidc.do_end_oidc_sessions``)."""

from __future__ import annotations

import secrets
import time

AUTH_TIME_KEY = "yiwang_auth_time"
SID_KEY = "yiwang_sid"


def new_sid() -> str:
    return secrets.token_urlsafe(24)


def on_login(sender, request, user, **kwargs) -> None:
    """A sign-in: a new authentication time and a new session id."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[AUTH_TIME_KEY] = time.time()
    session[SID_KEY] = new_sid()


def on_logout(sender, request, user, **kwargs) -> None:
    """A sign-out of this browser: end the relying parties' part in this session and
    send them back-channel logout notices."""
    session = getattr(request, "session", None)
    sid = session.get(SID_KEY) if session is not None else None
    if user is None or not sid:
        return
    from yiwang.core.actions.oidc import do_end_oidc_sessions

    do_end_oidc_sessions(actor=user, user=user, sid=sid)


def facts(request) -> tuple[str, float | None]:
    """This session's id and authentication time (seconds). A session signed in before
    they were kept gets a session id now and its account's last login as the time."""
    session = request.session
    sid = session.get(SID_KEY)
    if not sid:
        sid = session[SID_KEY] = new_sid()
    auth_time = session.get(AUTH_TIME_KEY)
    if auth_time is None and getattr(request.user, "last_login", None) is not None:
        auth_time = request.user.last_login.timestamp()
        session[AUTH_TIME_KEY] = auth_time
    return sid, auth_time


def connect() -> None:
    """Connect the sign-in and sign-out receivers (from ``CoreConfig.ready``)."""
    from django.contrib.auth.signals import user_logged_in, user_logged_out

    user_logged_in.connect(on_login, dispatch_uid="yiwang-oidc-login")
    user_logged_out.connect(on_logout, dispatch_uid="yiwang-oidc-logout")
