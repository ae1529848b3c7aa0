"""OpenID Connect provider claims (统一身份认证对外): what relying government systems see,
and the scopes each API client may obtain."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator


def api_client_scopes(application) -> list[str] | None:
    """Scopes an API client (接口客户端) is allowed, or None for other applications."""
    if application is None:
        return None
    from yiwang.core.models import ApiClient

    scopes = ApiClient.objects.filter(application=application).values_list("scopes", flat=True)
    found = scopes.first()
    return found.split() if found is not None else None


PROFILE_CLAIMS = ("name", "preferred_username", "kind", "org_unit")


class YiwangOIDCValidator(OAuth2Validator):
    """Adds profile claims; identifiers are never released as claims in clear. API clients
    get at most the scopes they were registered with."""

    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        **dict.fromkeys(PROFILE_CLAIMS, "profile"),
    }

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
        return {name: value for name, value in claims.items() if value is not None}

    def get_discovery_claims(self, request):
        """Advertise the profile claims in discovery (the toolkit lists only ``sub`` when
        claims depend on the request)."""
        return ["sub", *PROFILE_CLAIMS]

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        allowed = api_client_scopes(client)
        return allowed is None or set(scopes) <= set(allowed)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        allowed = api_client_scopes(request.client)
        if allowed is not None:
            return allowed
        return super().get_default_scopes(client_id, request, *args, **kwargs)
