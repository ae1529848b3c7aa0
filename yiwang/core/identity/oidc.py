"""OpenID Connect provider claims (统一身份认证对外): what relying government systems see."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator


class YiwangOIDCValidator(OAuth2Validator):
    """Adds profile claims; identifiers are never released as claims in clear."""

    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "kind": "profile",
        "org_unit": "profile",
        "name": "profile",
        "preferred_username": "profile",
    }

    def get_additional_claims(self, request):
        user = request.user
        return {
            "name": user.full_name or user.username,
            "preferred_username": user.username,
            "kind": user.kind,
            "org_unit": user.org_unit_id,
        }
