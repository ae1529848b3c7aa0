"""接入系统管理: the city's big-data bureau registers, edits, re-keys and disables the
systems that sign users in with the platform; nobody else may (county bureau
administrators included); every write is in the ledger."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yiwang.core.actions import oidc as actions
from yiwang.core.models import AuditEntry, RelyingParty

FORM = {
    "name": "焦作市公积金中心",
    "redirect_uris": "https://gjj.example/cb\nhttps://gjj.example/cb2",
    "post_logout_redirect_uris": "https://gjj.example/bye",
    "backchannel_logout_uri": "https://gjj.example/bcl",
    "scopes": ["openid", "profile"],
    "claims": ["name", "kind"],
}


@pytest.fixture
def bureau(make_staff):
    return make_staff("bureau_admin", "410800", "big_data")


def register(client) -> RelyingParty:
    response = client.post("/org/relying-parties/", FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    return RelyingParty.objects.get()


def test_bureau_registers_a_relying_party_and_sees_its_secret_once(client, bureau):
    client.force_login(bureau)
    page = client.get("/org/relying-parties/")
    html = page.content.decode()
    assert page.status_code == 200 and "登记接入系统" in html and "登录回调地址" in html
    party = register(client)
    app = party.application
    assert app.redirect_uris == "https://gjj.example/cb https://gjj.example/cb2"
    assert app.post_logout_redirect_uris == "https://gjj.example/bye"
    assert party.backchannel_logout_uri == "https://gjj.example/bcl"
    assert party.scope_list == ["openid", "profile"] and party.claim_list == ["kind", "name"]
    assert app.algorithm == "RS256" and app.client_type == "confidential"
    shown = client.get(f"/org/relying-parties/{party.pk}/").content.decode()
    assert 'id="client-secret"' in shown and app.client_id in shown
    again = client.get(f"/org/relying-parties/{party.pk}/").content.decode()
    assert 'id="client-secret"' not in again
    assert AuditEntry.objects.filter(action="core.relying_party.register").exists()


def test_bureau_edits_rotates_and_disables(client, bureau):
    client.force_login(bureau)
    party = register(client)
    old_secret = party.application.client_secret
    edit = {**FORM, "op": "update", "redirect_uris": "https://gjj.example/new", "claims": []}
    assert client.post(f"/org/relying-parties/{party.pk}/", edit).status_code == 302
    party.refresh_from_db()
    party.application.refresh_from_db()
    assert party.application.redirect_uris == "https://gjj.example/new"
    assert party.allowed_claims == ""

    rotated = client.post(f"/org/relying-parties/{party.pk}/", {"op": "rotate"})
    assert rotated.status_code == 302
    party.application.refresh_from_db()
    assert party.application.client_secret != old_secret
    assert 'id="client-secret"' in client.get(rotated["Location"]).content.decode()

    client.post(f"/org/relying-parties/{party.pk}/", {"op": "disable"})
    party.refresh_from_db()
    assert party.disabled_at is not None
    client.post(f"/org/relying-parties/{party.pk}/", {"op": "enable"})
    party.refresh_from_db()
    assert party.disabled_at is None
    actions_done = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "core.relying_party.update",
        "core.relying_party.rotate_secret",
        "core.relying_party.disable",
        "core.relying_party.enable",
    } <= actions_done


@pytest.mark.parametrize(
    "bad",
    [
        {"redirect_uris": ""},
        {"redirect_uris": "https://gjj.example/*"},
        {"redirect_uris": "https://gjj.example/cb#x"},
        {"redirect_uris": "gjj.example/cb"},
        {"backchannel_logout_uri": "https://a.example/1\nhttps://a.example/2"},
    ],
)
def test_bad_addresses_are_refused_with_the_field_named(client, bureau, bad):
    client.force_login(bureau)
    response = client.post("/org/relying-parties/", {**FORM, **bad})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not RelyingParty.objects.exists()


@pytest.mark.parametrize(
    ("role", "division", "line"),
    [
        ("bureau_admin", "410823", "big_data"),
        ("dept_admin", "410800", "big_data"),
        ("sysadmin", "410823", "big_data"),
        ("auditor", "410800", "big_data"),
    ],
)
def test_nobody_else_manages_relying_parties(client, make_staff, bureau, role, division, line):
    created = actions.do_register_relying_party(
        actor=bureau, name="公积金", redirect_uris="https://gjj.example/cb"
    )
    other = make_staff(role, division, line)
    client.force_login(other)
    assert client.get("/org/relying-parties/").status_code == 403
    assert client.post("/org/relying-parties/", FORM).status_code == 403
    detail = f"/org/relying-parties/{created.party.pk}/"
    assert client.get(detail).status_code == 403
    assert client.post(detail, {"op": "rotate"}).status_code == 403
    with pytest.raises(PermissionDenied):
        actions.do_rotate_relying_party_secret(actor=other, party=created.party)


def test_citizen_and_anonymous_are_refused(client, citizen, city):
    assert client.get("/org/relying-parties/").status_code == 302  # to the login page
    client.force_login(citizen)
    assert client.get("/org/relying-parties/").status_code == 403


def test_actions_check_their_input(bureau):
    with pytest.raises(ValidationError) as caught:
        actions.do_register_relying_party(
            actor=bureau, name="", redirect_uris="https://a.example/cb", scopes=["write"]
        )
    assert "name" in caught.value.error_dict


def test_page_in_english(client, bureau):
    client.force_login(bureau)
    register(client)
    html = client.get("/org/relying-parties/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Relying parties" in html
