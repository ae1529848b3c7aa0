"""The OpenID Connect provider's pages (统一身份认证对外): the authorization endpoint with
our consent page (授权确认), silent sign-in (``prompt=none``), ``max_age`` and
``id_token_hint``; RP-initiated logout (退出登录 requested by a relying party); and the
discovery document saying what the provider really serves.

OpenID Connect Core 1.0 3.1.2.1 and 3.1.2.6: ``prompt=none`` never shows a page — the
relying party gets ``login_required`` (nobody signed in, the sign-in older than
``max_age``, or the hint naming someone else), ``consent_required`` (no earlier consent
to these scopes) or ``interaction_required`` (the account must first enrol in 动态口令).
``prompt=login`` and an exceeded ``max_age`` send the user to sign in again."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.utils import timezone
from jwcrypto import jwt
from jwcrypto.common import JWException
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem
from oauth2_provider.views import AuthorizationView, ConnectDiscoveryInfoView
from oauth2_provider.views.oidc import RPInitiatedLogoutView
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from yiwang.core.actions import identity as identity_actions
from yiwang.core.identity import enrolment, oidc, sessions
from yiwang.core.ratelimit import client_ip

# Set when the user is sent to sign in again for ``max_age``: a sign-in after this time
# satisfies the request that asked for it (so ``max_age=0`` cannot loop).
REAUTH_KEY = "yiwang_reauth_at"


class InteractionRequired(oauth_errors.OAuth2Error):
    """``interaction_required`` (OpenID Connect Core 3.1.2.6), which oauthlib lacks: the
    user must do something on a page first (here: enrol in 动态口令)."""

    error = "interaction_required"
    status_code = 401


def _add_iss(uri: str, issuer: str) -> str:
    """Put ``iss`` on an error redirect too (RFC 9207 2: every authorization response)."""
    parts = urlsplit(uri)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "iss"]
    query.append(("iss", issuer))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _hint_subject(hint: str, issuer: str) -> str | None:
    """The ``sub`` of an ``id_token_hint`` we signed (expired ones too, Core 3.1.2.1),
    or None when it is not one of ours."""
    try:
        key = jwk_from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY)
        token = jwt.JWT(key=key, jwt=hint, check_claims={})
        claims = json.loads(token.claims)
    except (JWException, ValueError, TypeError):
        return None
    if claims.get("iss") != issuer:
        return None
    sub = claims.get("sub")
    return str(sub) if sub is not None else None


class ConsentView(AuthorizationView):
    """OIDC/OAuth2 授权确认: the user sees which system asks for what, in our shell; silent
    sign-in, re-authentication and their errors as OpenID Connect Core 1.0 says."""

    template_name = "core/identity/authorize.html"

    # --- request parameters ---

    def _prompt(self) -> set[str]:
        return set(self.request.GET.get("prompt", "").split())

    def _max_age(self) -> int | None:
        """``max_age`` in seconds; absent or not a whole number ≥ 0 reads as absent."""
        raw = self.request.GET.get("max_age", "").strip()
        return int(raw) if raw.isdigit() else None

    def _without_prompt(self, value: str) -> str:
        """This request's URL without ``value`` in its ``prompt``."""
        parts = urlsplit(self.request.get_full_path())
        query = []
        for key, val in parse_qsl(parts.query, keep_blank_values=True):
            if key == "prompt":
                val = " ".join(p for p in val.split() if p != value)
                if not val:
                    continue
            query.append((key, val))
        return urlunsplit(parts._replace(query=urlencode(query)))

    # --- the session ---

    def _fresh(self, max_age: int | None) -> bool:
        """Whether the sign-in satisfies ``max_age`` (or the user signed in again since
        this request sent them to)."""
        if max_age is None:
            return True
        _sid, auth_time = sessions.facts(self.request)
        if auth_time is None:
            return False
        if int(time.time()) - int(auth_time) <= max_age:
            return True
        asked = self.request.session.get(REAUTH_KEY)
        return asked is not None and auth_time >= asked

    def _must_interact(self) -> bool:
        """Whether the account must do something on a page first (动态口令 enrolment)."""
        user = self.request.user
        if not enrolment.applies_to(user) or user.totp_enabled:
            return False
        return enrolment.standing(user, timezone.now()).must_enrol

    def _reauthenticate(self, drop: str = "") -> HttpResponse:
        """Send the user to sign in again, then back to this request."""
        self.request.session[REAUTH_KEY] = time.time()
        target = self._without_prompt(drop) if drop else self.request.get_full_path()
        return redirect_to_login(
            target, resolve_url(self.get_login_url()), self.get_redirect_field_name()
        )

    # --- answers ---

    def error_response(self, error, application, **kwargs):
        """The toolkit's answer, with ``iss`` on redirects back to the client."""
        response = super().error_response(error, application, **kwargs)
        location = response.get("Location") if response.status_code in (301, 302) else None
        if location and oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS:
            issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
            response["Location"] = _add_iss(location, issuer)
        return response

    def _refuse(self, error_class, application, credentials) -> HttpResponse:
        """Redirect a validated request back to its client with ``error_class``."""
        error = OAuthToolkitError(
            error=error_class(state=credentials.get("state")),
            redirect_uri=credentials["redirect_uri"],
        )
        return self.error_response(error, application)

    def create_authorization_response(self, request, scopes, credentials, allow):
        """Hand the session's id and sign-in time to the code (and its ID token)."""
        if allow and request.user.is_authenticated:
            sid, auth_time = sessions.facts(request)
            credentials = {**credentials, "oidc_sid": sid, "oidc_auth_time": auth_time or 0}
            request.session.pop(REAUTH_KEY, None)
        return super().create_authorization_response(request, scopes, credentials, allow)

    def _silent(self) -> HttpResponse:
        """``prompt=none``: a code at once, or an error to the client — never a page."""
        request = self.request
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        if not request.user.is_authenticated or not self._fresh(self._max_age()):
            return self._refuse(oauth_errors.LoginRequired, application, credentials)
        hint = request.GET.get("id_token_hint")
        if hint and _hint_subject(hint, oidc_issuer(request)) != str(request.user.pk):
            return self._refuse(oauth_errors.LoginRequired, application, credentials)
        if self._must_interact():
            return self._refuse(InteractionRequired, application, credentials)
        if not oidc.has_consented(request.user, application, scopes):
            return self._refuse(oauth_errors.ConsentRequired, application, credentials)
        if isinstance(credentials.get("ui_locales"), list):
            credentials["ui_locales"] = " ".join(credentials["ui_locales"])
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        return self.redirect(uri, application)

    def _unsupported(self) -> HttpResponse:
        """An implicit or hybrid response type: ``unsupported_response_type`` back to a
        known client's registered address, else the error page (never a redirect to an
        address nobody registered)."""
        request = self.request
        application = (
            get_application_model().objects.filter(client_id=request.GET.get("client_id")).first()
        )
        redirect_uri = request.GET.get("redirect_uri", "")
        if (
            application is None
            or oidc.is_disabled(application)
            or not redirect_uri
            or not application.redirect_uri_allowed(redirect_uri)
        ):
            error = oauth_errors.InvalidRequestFatalError(
                description="unsupported response_type for an unknown client or redirect_uri"
            )
            return self.render_to_response({"error": error}, status=400)
        credentials = {"state": request.GET.get("state"), "redirect_uri": redirect_uri}
        return self._refuse(oauth_errors.UnsupportedResponseTypeError, application, credentials)

    # --- entry points ---

    def dispatch(self, request, *args, **kwargs):
        """Refuse implicit and hybrid response types first, signed in or not (RFC 9700
        2.1.2: only the code flow is served)."""
        response_type = request.GET.get("response_type")
        if request.method == "GET" and response_type and response_type not in oidc.RESPONSE_TYPES:
            self.oauth2_data = {}
            return self._unsupported()
        return super().dispatch(request, *args, **kwargs)

    def handle_no_permission(self):
        """Nobody signed in: ``prompt=none`` answers ``login_required``; otherwise our
        login page, where signing in is itself the ``prompt=login`` asked for."""
        if "none" in self._prompt():
            return self._silent()
        return redirect_to_login(
            self._without_prompt("login"),
            resolve_url(self.get_login_url()),
            self.get_redirect_field_name(),
        )

    def get(self, request, *args, **kwargs):
        prompt = self._prompt()
        if "none" in prompt:
            return self._silent()  # with other values oauthlib answers invalid_request
        if "login" in prompt:
            return self._reauthenticate(drop="login")
        if not self._fresh(self._max_age()):
            return self._reauthenticate()
        hint = request.GET.get("id_token_hint")
        if hint and _hint_subject(hint, oidc_issuer(request)) not in (None, str(request.user.pk)):
            return self._reauthenticate()
        return super().get(request, *args, **kwargs)


def oidc_issuer(request) -> str:
    return oauth2_settings.oidc_issuer(request)


class LogoutView(RPInitiatedLogoutView):
    """RP-initiated logout (接入系统发起的退出登录): the ``id_token_hint`` must be one of
    ours and the ``post_logout_redirect_uri`` one the relying party registered; the
    sign-out is in the ledger, and the other relying parties of the session are told by
    back-channel logout (through Django's sign-out signal)."""

    template_name = "core/identity/logout_confirm.html"

    def do_logout(
        self, application=None, post_logout_redirect_uri=None, state=None, token_user=None
    ):
        if self.request.user.is_authenticated:
            identity_actions.do_record_logout(actor=self.request.user, ip=client_ip(self.request))
        return super().do_logout(application, post_logout_redirect_uri, state, token_user)


class DiscoveryView(ConnectDiscoveryInfoView):
    """OpenID Provider metadata (Discovery 1.0, 3) for what is really served: the code
    flow only, the grant types, revocation and introspection, RP-initiated and
    back-channel logout."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        base = request.build_absolute_uri
        from django.urls import reverse

        data.update(
            {
                "response_types_supported": list(oidc.RESPONSE_TYPES),
                "response_modes_supported": ["query"],
                "grant_types_supported": list(oauth2_settings.OAUTH2_GRANT_TYPES_SUPPORTED),
                "revocation_endpoint": base(reverse("oauth2_provider:revoke-token")),
                "introspection_endpoint": base(reverse("oauth2_provider:introspect")),
                "end_session_endpoint": base(reverse("oauth2_provider:rp-initiated-logout")),
                "backchannel_logout_supported": True,
                "backchannel_logout_session_supported": True,
                "frontchannel_logout_supported": False,
                "prompt_values_supported": ["none", "login"],
                "claims_parameter_supported": False,
                "request_parameter_supported": False,
                "request_uri_parameter_supported": False,
                "ui_locales_supported": ["zh-Hans", "en"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )
        answer = JsonResponse(data)
        answer["Access-Control-Allow-Origin"] = "*"
        return answer
