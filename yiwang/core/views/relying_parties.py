"""接入系统管理 (``/org/relying-parties/``): the city's big-data bureau registers the
government systems that sign users in with the platform (OpenID Connect relying
parties), edits their sign-in return, after-sign-out and back-channel logout addresses
and their allowed scopes and claims, rotates their secret (shown once) and disables or
re-enables them. Every write goes through ``core.actions.oidc`` and is in the ledger;
nobody else — county administrators included — may open these pages."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache

from yiwang.core import access
from yiwang.core.actions import oidc as actions
from yiwang.core.errors import refused
from yiwang.core.forms import add_errors
from yiwang.core.http import AuthenticatedHttpRequest
from yiwang.core.models import RelyingParty

SECRET_KEY = "yiwang_rp_secret"
CLAIM_LABELS = {
    "name": _lazy("姓名（name）"),
    "preferred_username": _lazy("用户名（preferred_username）"),
    "kind": _lazy("账号类型（kind）"),
    "org_unit": _lazy("所属单位（org_unit）"),
}
SCOPE_LABELS = {
    "openid": _lazy("OpenID 身份（openid，必选）"),
    "profile": _lazy("基本资料（profile）"),
}


class RelyingPartyForm(forms.Form):
    """A relying party's settings as the bureau types them (the rules are the action's)."""

    name = forms.CharField(label=_lazy("系统名称"), max_length=255)
    redirect_uris = forms.CharField(
        label=_lazy("登录回调地址"),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_lazy("每行一个完整地址，须与接入系统发来的 redirect_uri 完全一致。"),
    )
    post_logout_redirect_uris = forms.CharField(
        label=_lazy("退出后返回地址"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text=_lazy("每行一个；接入系统请求退出登录时，只会返回到这里登记的地址。"),
    )
    backchannel_logout_uri = forms.CharField(
        label=_lazy("后端通道退出地址"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"spellcheck": "false", "inputmode": "url"}),
        help_text=_lazy("用户退出焦作一网时，平台向该地址发送退出通知（logout_token）。可不填。"),
    )
    scopes = forms.MultipleChoiceField(
        label=_lazy("允许的权限范围"),
        required=False,
        choices=list(SCOPE_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    claims = forms.MultipleChoiceField(
        label=_lazy("允许的声明"),
        required=False,
        choices=list(CLAIM_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text=_lazy("不选则提供所选权限范围内的全部声明。身份证号码等敏感信息从不提供。"),
    )

    @classmethod
    def of(cls, party: RelyingParty) -> RelyingPartyForm:
        app = party.application
        return cls(
            initial={
                "name": app.name,
                "redirect_uris": "\n".join(app.redirect_uris.split()),
                "post_logout_redirect_uris": "\n".join(app.post_logout_redirect_uris.split()),
                "backchannel_logout_uri": party.backchannel_logout_uri,
                "scopes": party.scope_list,
                "claims": party.claim_list,
            }
        )


def _rows(user) -> list[dict]:
    parties = access.manageable_relying_parties(user).order_by("application__name", "pk")
    return [
        {
            "pk": p.pk,
            "name": p.application.name,
            "client_id": p.application.client_id,
            "disabled": p.disabled_at is not None,
        }
        for p in parties
    ]


def _list_page(request, form: RelyingPartyForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "rows": _rows(request.user)}
    return render(request, "core/relying_parties.html", context, status=status)


def _show_secret_once(request, party: RelyingParty, secret: str) -> HttpResponse:
    """Keep a new secret in the session only until the party's page shows it."""
    request.session[SECRET_KEY] = {"pk": party.pk, "secret": secret}
    return redirect("core:relying-party", pk=party.pk)


@login_required
@never_cache
def relying_party_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The registered relying parties and the form to register one (登记接入系统)."""
    access.require_manage_relying_parties(request.user)
    form = RelyingPartyForm(request.POST if request.method == "POST" else None)
    if request.method != "POST":
        return _list_page(request, form)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        created = actions.do_register_relying_party(actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        add_errors(form, exc)
        return _list_page(request, form, status=refused(exc).status)
    messages.success(request, _("已登记接入系统“%s”。") % created.party.application.name)
    return _show_secret_once(request, created.party, created.client_secret)


def _detail_page(request, party: RelyingParty, form=None, status: int = 200) -> HttpResponse:
    shown = request.session.get(SECRET_KEY)
    secret = ""
    if shown and shown.get("pk") == party.pk and request.method == "GET":
        secret = request.session.pop(SECRET_KEY)["secret"]
    app = party.application
    facts = [
        (_("客户端标识（client_id）"), app.client_id),
        (_("客户端类型"), _("机密客户端，授权码模式 + PKCE（S256），ID 令牌 RS256 签名")),
        (_("状态"), pgettext("relying party", "已停用") if party.disabled_at else _("启用中")),
    ]
    context = {
        "party": party,
        "facts": facts,
        "form": form or RelyingPartyForm.of(party),
        "secret": secret,
    }
    return render(request, "core/relying_party.html", context, status=status)


def _update(request, party: RelyingParty) -> HttpResponse:
    form = RelyingPartyForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, party, form, status=400)
    try:
        actions.do_update_relying_party(actor=request.user, party=party, **form.cleaned_data)
    except ValidationError as exc:
        add_errors(form, exc)
        return _detail_page(request, party, form, status=refused(exc).status)
    messages.success(request, _("已保存。"))
    return redirect("core:relying-party", pk=party.pk)


@login_required
@never_cache
def relying_party(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """One relying party: its settings (修改), 更换密钥 and 停用/启用."""
    access.require_manage_relying_parties(request.user)
    party = access.pick(access.manageable_relying_parties(request.user), pk)
    if request.method != "POST":
        return _detail_page(request, party)
    op = request.POST.get("op", "")
    if op == "update":
        return _update(request, party)
    if op == "rotate":
        secret = actions.do_rotate_relying_party_secret(actor=request.user, party=party)
        messages.success(request, _("已更换密钥，原密钥立即失效。"))
        return _show_secret_once(request, party, secret)
    if op in ("disable", "enable"):
        actions.do_set_relying_party_disabled(
            actor=request.user, party=party, disabled=op == "disable"
        )
        messages.success(
            request, _("已停用该接入系统。") if op == "disable" else _("已重新启用该接入系统。")
        )
        return redirect("core:relying-party", pk=party.pk)
    return _detail_page(request, party, status=400)
