"""OpenID Connect provider claims (统一身份认证对外): what relying government systems see,
the scopes each API client or relying party (接入系统) may obtain, and the session facts
(``auth_time``, ``sid``) ID tokens carry.

Only the authorization code flow with PKCE is served (RFC 9700): implicit and hybrid
response types are refused for every client, whatever it was registered with."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from oauth2_provider.oauth2_validators import OAuth2Validator

PROFILE_CLAIMS = ("name", "preferred_username", "kind", "org_unit")
# The only response type served: authorization code (OpenID Connect Core 3.1).
RESPONSE_TYPES = ("code",)


def api_client_scopes(application) -> list[str] | None:
    """Scopes an API client (接口客户端) is allowed, or None for other applications."""
    if application is None:
        return None
    from yiwang.core.models import ApiClient

    scopes = ApiClient.objects.filter(application=application).values_list("scopes", flat=True)
    found = scopes.first()
    return found.split() if found is not None else None


def relying_party_of(application):
    """The relying party (接入系统) settings of ``application``, or None (an API client,
    or an application registered before relying parties had their own settings)."""
    if application is None:
        return None
    from yiwang.core.models import RelyingParty

    return RelyingParty.objects.filter(application=application).first()


def allowed_scopes(application) -> list[str] | None:
    """The scopes ``application`` may obtain: an API client's, a relying party's, or None
    (no limit beyond the platform's scopes)."""
    scopes = api_client_scopes(application)
    if scopes is not None:
        return scopes
    party = relying_party_of(application)
    return party.scope_list if party is not None else None


def is_disabled(application) -> bool:
    """Whether the relying party (接入系统) of ``application`` is 停用."""
    party = relying_party_of(application)
    return party is not None and party.disabled_at is not None


def has_consented(user, application, scopes) -> bool:
    """Whether ``user`` already agreed (同意授权) to ``application`` obtaining ``scopes``:
    a pre-approved client, or an earlier session with it that covered them. What lets a
    silent sign-in (``prompt=none``) through without showing the consent page."""
    from yiwang.core.models import OidcSession

    if application.skip_authorization:
        return True
    wanted = set(scopes)
    earlier = OidcSession.objects.filter(user=user, application=application)
    return any(wanted <= set(scope.split()) for scope in earlier.values_list("scope", flat=True))


def _epoch(value) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)


class YiwangOIDCValidator(OAuth2Validator):
    """Adds profile claims; identifiers are never released as claims in clear. API clients
    and relying parties get at most the scopes (and claims) they were registered with; a
    disabled relying party is unknown to every endpoint."""

    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        **dict.fromkeys(PROFILE_CLAIMS, "profile"),
    }

    # --- clients, response types, scopes ---

    def _load_application(self, client_id, request):
        """A disabled relying party (停用) is treated as unknown: no authorization, no
        token, no introspection by it."""
        client = super()._load_application(client_id, request)
        if client is not None and is_disabled(client):
            request.client = None
            return None
        return client

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        """Authorization code only: implicit (``token``, ``id_token``) and hybrid (``code
        id_token`` …) response types are refused for every client (RFC 9700 2.1.2)."""
        if response_type not in RESPONSE_TYPES:
            return False
        return super().validate_response_type(
            client_id, response_type, client, request, *args, **kwargs
        )

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        allowed = allowed_scopes(client)
        return allowed is None or set(scopes) <= set(allowed)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        allowed = api_client_scopes(request.client)
        if allowed is not None:
            return allowed
        return super().get_default_scopes(client_id, request, *args, **kwargs)

    # --- prompt=none and id_token_hint: decided by the authorization page ---

    def validate_silent_login(self, request) -> bool:
        """Silent sign-in (``prompt=none``) is decided by the authorization page, which
        has the browser session (signed in, ``max_age``, ``id_token_hint``) and answers
        ``login_required`` itself; oauthlib's request here has no session."""
        return True

    def validate_silent_authorization(self, request) -> bool:
        """Consent for ``prompt=none`` is checked by the authorization page
        (``has_consented``), which answers ``consent_required`` itself."""
        return True

    def validate_user_match(self, id_token_hint, scopes, claims, request):
        """The ``id_token_hint`` is matched against the signed-in user by the
        authorization page (``login_required`` when it names someone else)."""
        return True

    # --- the session an ID token belongs to (auth_time, sid) ---

    def _create_authorization_code(self, request, code, expires=None):
        """Save the code, and note the relying party's part in the browser session
        (单点登录会话) with the time the user authenticated, so the ID token carries
        ``auth_time`` and ``sid`` and a logout can be told to it."""
        from yiwang.core.models import OidcSession

        grant = super()._create_authorization_code(request, code, expires)
        sid = getattr(request, "oidc_sid", None)
        if sid and "openid" in (request.scopes or ()):
            OidcSession.objects.update_or_create(
                sid=sid,
                application=request.client,
                defaults={
                    "user": request.user,
                    "auth_time": _epoch(getattr(request, "oidc_auth_time", 0) or 0),
                    "scope": " ".join(request.scopes),
                    "issuer": self.get_oidc_issuer_endpoint(request),
                    "grant": grant,
                    "ended_at": None,
                },
            )
        return grant

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        from yiwang.core.models import OidcSession

        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            return False
        request.oidc_session = OidcSession.objects.filter(
            grant__code=code, application=client
        ).first()
        return True

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        """A refresh token is refused once its session has ended (signed out at the
        platform: Back-Channel Logout 1.0, 2.7); its ID tokens keep the session's
        ``auth_time`` and ``sid``."""
        from yiwang.core.models import OidcSession

        if not super().validate_refresh_token(refresh_token, client, request, *args, **kwargs):
            return False
        family = request.refresh_token_instance.token_family
        session = OidcSession.objects.filter(token_family=family).first() if family else None
        if session is not None and session.ended_at is not None:
            return False
        request.oidc_session = session
        return True

    def _create_refresh_token(
        self, request, refresh_token_code, access_token, previous_refresh_token
    ):
        """Note the refresh token's family on the session it was issued in."""
        token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        session = getattr(request, "oidc_session", None)
        if session is not None and session.token_family != token.token_family:
            session.token_family = token.token_family
            session.save(update_fields=["token_family"])
        return token

    def get_id_token_dictionary(self, token, token_handler, request):
        """The toolkit's claims, with ``auth_time`` the time the user really signed in
        (not the account's latest login elsewhere) and ``sid`` the session's id."""
        claims, expires = super().get_id_token_dictionary(token, token_handler, request)
        session = getattr(request, "oidc_session", None)
        if session is not None:
            claims["auth_time"] = int(session.auth_time.timestamp())
            claims["sid"] = session.sid
        return claims, expires

    # --- claims ---

    def get_additional_claims(self, request):
        """Profile claims; a claim with no value is left out, not sent as null (OpenID
        Connect Core 5.1 says absent claims are omitted, and strict clients refuse nulls)."""
        user = request.user
        claims = {
            "name": user.full_name or user.username,
            "preferred_username": user.username,
            "kind": user.kind,
            "org_unit": user.org_unit_id,
        }
        return {name: value for name, value in claims.items() if value not in (None, "")}

    def get_oidc_claims(self, token, token_handler, request):
        """The claims of the granted scopes, narrowed to the relying party's allowed
        claims when it names some (``sub`` always stays)."""
        claims = super().get_oidc_claims(token, token_handler, request)
        party = relying_party_of(request.client)
        if party is None or not party.claim_list:
            return claims
        keep = {"sub", *party.claim_list}
        return {name: value for name, value in claims.items() if name in keep}

    def get_discovery_claims(self, request):
        """Advertise the profile claims in discovery (the toolkit lists only ``sub`` when
        claims depend on the request), and the session claims ID tokens carry."""
        return ["sub", *PROFILE_CLAIMS, "auth_time", "sid"]


def session_is_fresh(auth_time: float | None, max_age: int, now: float | None = None) -> bool:
    """Whether an authentication at ``auth_time`` (seconds) is within ``max_age`` seconds
    (OpenID Connect Core 3.1.2.1); unknown times are never fresh."""
    if auth_time is None:
        return False
    now = timezone.now().timestamp() if now is None else now
    return now - auth_time <= max_age
