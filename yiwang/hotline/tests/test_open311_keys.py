"""Open311 接口密钥 kept by the 12345 值班长: the page (issue, shown once, list, revoke;
Chinese and English; refused to everyone else) and ``yiwang open311keys``, both through
the audited actions, keys stored only as their keyed SM3 digest."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yiwang.core.models import AuditEntry
from yiwang.hotline.actions.open311 import do_issue_open311_key, find_key, key_digest
from yiwang.hotline.models import Open311Key

pytestmark = pytest.mark.django_db
PAGE = "/hotline/open311/keys/"


def test_supervisor_issues_a_key_shown_once_and_stored_hashed(client, supervisor):
    client.force_login(supervisor)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert (
        "Open311 接口密钥" in page.content.decode()
        and "还没有发放接口密钥" in page.content.decode()
    )
    issued = client.post(PAGE, {"name": "焦作日报 随手拍"})
    assert issued.status_code == 200
    assert "no-store" in issued["Cache-Control"]
    body = issued.content.decode()
    row = Open311Key.objects.get()
    clear = body.split('id="issued-key">', 1)[1].split("<", 1)[0]
    assert len(clear) >= 40 and row.digest == key_digest(clear) and clear.startswith(row.prefix)
    assert clear not in (row.name, row.digest) and find_key(clear) == row
    assert AuditEntry.objects.filter(action="hotline.open311_key.issue", actor=supervisor).exists()
    again = client.get(PAGE).content.decode()  # listed by name and prefix, never the key
    assert "焦作日报 随手拍" in again and f"{row.prefix}…" in again and clear not in again


def test_supervisor_revokes_and_the_key_fails(client, supervisor):
    row, clear = do_issue_open311_key(actor=None, name="外部应用")
    client.force_login(supervisor)
    response = client.post(f"{PAGE}{row.pk}/revoke/")
    assert response.status_code == 302
    row.refresh_from_db()
    assert not row.active and find_key(clear) is None
    assert AuditEntry.objects.filter(action="hotline.open311_key.revoke", actor=supervisor).exists()
    assert client.get(f"{PAGE}{row.pk}/revoke/").status_code == 405
    assert client.post(f"{PAGE}999999/revoke/").status_code == 404


def test_bad_names_are_refused_with_the_form(client, supervisor):
    client.force_login(supervisor)
    empty = client.post(PAGE, {"name": ""})
    assert empty.status_code == 400 and 'role="alert"' in empty.content.decode()
    long = client.post(PAGE, {"name": "长" * 101})
    assert long.status_code == 400
    assert not Open311Key.objects.exists()


def test_others_are_refused(client, agent, make_staff, citizen):
    row, _clear = do_issue_open311_key(actor=None, name="外部应用")
    assert client.get(PAGE).status_code == 302  # sign in first
    for user in (agent, make_staff("dept_admin", "410800", "hotline"), citizen):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.post(PAGE, {"name": "x"}).status_code == 403
        assert client.post(f"{PAGE}{row.pk}/revoke/").status_code == 403
    assert Open311Key.objects.get().active and Open311Key.objects.count() == 1


def test_page_in_english(client, supervisor):
    client.force_login(supervisor)
    client.cookies["django_language"] = "en"
    body = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Open311 API keys" in body and "Issue an API key" in body
    issued = client.post(PAGE, {"name": "app"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'API key issued to "app" (shown only this once)' in issued


def test_home_links_the_page_for_the_supervisor_only(client, supervisor, agent):
    client.force_login(supervisor)
    assert 'id="open311-keys-link"' in client.get("/hotline/").content.decode()
    client.force_login(agent)
    assert 'id="open311-keys-link"' not in client.get("/hotline/").content.decode()


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("open311keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_creates_lists_and_revokes():
    out, err = _run("create", "命令行应用")
    row = Open311Key.objects.get()
    clear = out.split("api_key: ", 1)[1].strip()
    assert row.digest == key_digest(clear) and "shown only now" in err
    listed, _err = _run("list")
    assert f"{row.pk}\t{row.prefix}…\tactive" in listed and clear not in listed
    done, _err = _run("revoke", str(row.pk))
    assert done.startswith("revoked") and find_key(clear) is None
    assert "revoked" in _run("list")[0] and _run("revoke", str(row.pk))[0] == "already revoked\n"
    actions = list(
        AuditEntry.objects.filter(action__startswith="hotline.open311_key").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["hotline.open311_key.issue", "hotline.open311_key.revoke"]
    with pytest.raises(CommandError):
        _run("revoke", "999999")
    with pytest.raises(CommandError):
        _run("create", " ")
