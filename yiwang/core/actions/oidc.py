"""Writes of the platform's OpenID Connect provider (统一身份认证对外): registering and
managing relying parties (接入系统管理: addresses, scopes and claims, secret rotation,
停用) and ending their sessions (单点登录会话) with back-channel logout notices."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_application_model, get_refresh_token_model

from yiwang.core import access, audit
from yiwang.core.identity.oidc import PROFILE_CLAIMS
from yiwang.core.models import OidcSession, RelyingParty, User

# Scopes a relying party may be allowed (the API's own scopes are for API clients).
RP_SCOPES = ("openid", "profile")


@dataclass(frozen=True)
class RelyingPartyCredentials:
    """What the relying party's administrators must keep: the secret is shown once and
    stored only as a hash."""

    party: RelyingParty
    client_id: str
    client_secret: str


def _schemes() -> list[str]:
    return list(settings.OAUTH2_PROVIDER.get("ALLOWED_REDIRECT_URI_SCHEMES", ["https"]))


def _uris(field: str, text: str, *, required: bool) -> list[str]:
    """Check a list of addresses (one a line): absolute, an allowed scheme (https in
    production), no fragment, no wildcard; exact matching only (RFC 9700 2.1)."""
    uris = [line.strip() for line in (text or "").split() if line.strip()]
    if required and not uris:
        raise ValidationError({field: _("请至少填写一个地址。")}, code="required")
    for uri in uris:
        parts = urlsplit(uri)
        if (
            parts.scheme not in _schemes()
            or not parts.netloc
            or parts.fragment
            or "*" in uri
            or "#" in uri
        ):
            raise ValidationError(
                {field: _("地址无效：%(uri)s（须为完整的 %(schemes)s 地址，不含 # 和通配符）")
                 % {"uri": uri, "schemes": "/".join(_schemes())}},
                code="bad_uri",
            )  # fmt: skip
    return uris


def _words(field: str, values, allowed, message: str) -> list[str]:
    chosen = sorted({v.strip() for v in values if v and v.strip()})
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise ValidationError({field: message % ", ".join(unknown)}, code=field)
    return chosen


def _settings(
    *, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, scopes, claims
) -> dict:
    """The checked settings of a relying party (the rules live here, not in the form)."""
    backchannel = _uris("backchannel_logout_uri", backchannel_logout_uri, required=False)
    if len(backchannel) > 1:
        raise ValidationError(
            {"backchannel_logout_uri": _("后端通道退出地址只能填一个。")}, code="bad_uri"
        )
    scopes = _words("scopes", scopes, RP_SCOPES, _("权限范围无效：%s"))
    if "openid" not in scopes:
        scopes = ["openid", *scopes]
    return {
        "redirect_uris": " ".join(_uris("redirect_uris", redirect_uris, required=True)),
        "post_logout_redirect_uris": " ".join(
            _uris("post_logout_redirect_uris", post_logout_redirect_uris, required=False)
        ),
        "backchannel_logout_uri": backchannel[0] if backchannel else "",
        "allowed_scopes": " ".join(sorted(scopes)),
        "allowed_claims": " ".join(_words("claims", claims, PROFILE_CLAIMS, _("声明无效：%s"))),
    }


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写接入系统名称。")}, code="required")
    return name[:255]


@transaction.atomic
def do_register_relying_party(
    *,
    actor,
    name: str,
    redirect_uris: str,
    post_logout_redirect_uris: str = "",
    backchannel_logout_uri: str = "",
    scopes=("openid", "profile"),
    claims=(),
) -> RelyingPartyCredentials:
    """登记接入系统: a confidential client of the authorization code flow (PKCE, RS256 ID
    tokens) with its addresses, scopes and claims; its secret is returned once."""
    access.require_manage_relying_parties(actor)
    name = _name(name)
    checked = _settings(
        redirect_uris=redirect_uris, post_logout_redirect_uris=post_logout_redirect_uris,
        backchannel_logout_uri=backchannel_logout_uri, scopes=scopes, claims=claims,
    )  # fmt: skip
    Application = get_application_model()
    secret = secrets.token_urlsafe(40)
    app = Application(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=checked["redirect_uris"],
        post_logout_redirect_uris=checked["post_logout_redirect_uris"],
        algorithm=Application.RS256_ALGORITHM,
        client_secret=secret,
        hash_client_secret=True,
    )
    app.save()
    party = RelyingParty.objects.create(
        application=app,
        backchannel_logout_uri=checked["backchannel_logout_uri"],
        allowed_scopes=checked["allowed_scopes"],
        allowed_claims=checked["allowed_claims"],
    )
    audit.record(
        actor=actor,
        action="core.relying_party.register",
        obj=party,
        change={"client_id": app.client_id, "name": name, **checked},
    )
    return RelyingPartyCredentials(party=party, client_id=app.client_id, client_secret=secret)


@transaction.atomic
def do_update_relying_party(
    *,
    actor,
    party: RelyingParty,
    name: str,
    redirect_uris: str,
    post_logout_redirect_uris: str = "",
    backchannel_logout_uri: str = "",
    scopes=("openid", "profile"),
    claims=(),
) -> RelyingParty:
    """修改接入系统: name, addresses (sign-in return, after sign-out, back-channel logout),
    allowed scopes and claims. Narrower scopes apply to the next authorization."""
    access.require_manage_relying_parties(actor)
    checked = _settings(
        redirect_uris=redirect_uris, post_logout_redirect_uris=post_logout_redirect_uris,
        backchannel_logout_uri=backchannel_logout_uri, scopes=scopes, claims=claims,
    )  # fmt: skip
    app = party.application
    app.name = _name(name)
    app.redirect_uris = checked["redirect_uris"]
    app.post_logout_redirect_uris = checked["post_logout_redirect_uris"]
    app.save(update_fields=["name", "redirect_uris", "post_logout_redirect_uris", "updated"])
    party.backchannel_logout_uri = checked["backchannel_logout_uri"]
    party.allowed_scopes = checked["allowed_scopes"]
    party.allowed_claims = checked["allowed_claims"]
    party.save(update_fields=["backchannel_logout_uri", "allowed_scopes", "allowed_claims"])
    audit.record(
        actor=actor,
        action="core.relying_party.update",
        obj=party,
        change={"client_id": app.client_id, "name": app.name, **checked},
    )
    return party


@transaction.atomic
def do_rotate_relying_party_secret(*, actor, party: RelyingParty) -> str:
    """更换密钥: a new client secret, returned once (only its hash is kept); the old one
    stops working at once."""
    access.require_manage_relying_parties(actor)
    secret = secrets.token_urlsafe(40)
    app = party.application
    app.client_secret = secret
    app.hash_client_secret = True
    app.save()
    audit.record(
        actor=actor,
        action="core.relying_party.rotate_secret",
        obj=party,
        change={"client_id": app.client_id},
    )
    return secret


def _revoke_tokens(application) -> int:
    """Revoke every refresh and access token, ID token and pending code of a client."""
    from oauth2_provider.models import get_access_token_model, get_grant_model, get_id_token_model

    refresh = list(
        get_refresh_token_model().objects.filter(application=application, revoked__isnull=True)
    )
    for token in refresh:
        token.revoke()
    get_access_token_model().objects.filter(application=application).delete()
    get_id_token_model().objects.filter(application=application).delete()
    get_grant_model().objects.filter(application=application).delete()
    return len(refresh)


@transaction.atomic
def do_set_relying_party_disabled(*, actor, party: RelyingParty, disabled: bool) -> RelyingParty:
    """停用 or 启用 a relying party: while disabled no one signs in to it and it obtains no
    token; disabling revokes the tokens it holds and ends its sessions."""
    access.require_manage_relying_parties(actor)
    if disabled == (party.disabled_at is not None):
        return party
    party.disabled_at = timezone.now() if disabled else None
    party.save(update_fields=["disabled_at"])
    revoked = 0
    if disabled:
        revoked = _revoke_tokens(party.application)
        OidcSession.objects.filter(application=party.application, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
    audit.record(
        actor=actor,
        action="core.relying_party.disable" if disabled else "core.relying_party.enable",
        obj=party,
        change={"client_id": party.application.client_id, "refresh_tokens": revoked},
    )
    return party


# --- ending sessions: back-channel logout (后端通道退出) ---


def _notices(sessions) -> list[dict]:
    """What each relying party with a back-channel logout URI is to be told."""
    notices = []
    for session in sessions:
        party = getattr(session.application, "relying_party", None)
        if party is None or not party.backchannel_logout_uri or party.disabled_at is not None:
            continue
        notices.append(
            {
                "uri": party.backchannel_logout_uri,
                "client_id": session.application.client_id,
                "issuer": session.issuer,
                "sub": str(session.user_id),
                "sid": session.sid,
            }
        )
    return notices


def _send_after_commit(notices: list[dict]) -> None:
    from yiwang.core.tasks import send_backchannel_logouts

    if notices:
        transaction.on_commit(partial(send_backchannel_logouts.enqueue, notices))


@transaction.atomic
def do_end_oidc_sessions(*, actor, user: User, sid: str | None = None, forget: bool = False) -> int:
    """End the relying parties' part in one browser session of ``user`` (``sid``) or in
    all of them: their refresh tokens are revoked (Back-Channel Logout 1.0, 2.7; access
    tokens run out within the hour) and each
    relying party with a back-channel logout URI is sent a logout token after the commit.
    ``forget`` deletes the rows (全部下线 also withdraws earlier consent). Returns the
    number of relying parties told."""
    access.deny_unless(
        actor,
        actor is not None and (actor.pk == user.pk or actor.is_superuser),
        _("只能结束本人的登录会话。"),
    )
    sessions = OidcSession.objects.filter(user=user).select_related(
        "application__relying_party", "user"
    )
    if sid is not None:
        sessions = sessions.filter(sid=sid)
    live = [s for s in sessions if s.ended_at is None]
    families = [s.token_family for s in live if s.token_family]
    if families:
        # Refresh tokens end with the session; access tokens run out on their own.
        get_refresh_token_model().objects.filter(
            token_family__in=families, revoked__isnull=True
        ).update(revoked=timezone.now())
    notices = _notices(live)
    if forget:
        sessions.delete()
    elif live:
        OidcSession.objects.filter(pk__in=[s.pk for s in live]).update(ended_at=timezone.now())
    if live or forget:
        audit.record(
            actor=actor,
            action="core.oidc.sessions_end",
            obj=user,
            change={"sessions": len(live), "notified": [n["client_id"] for n in notices]},
        )
    _send_after_commit(notices)
    return len(notices)
