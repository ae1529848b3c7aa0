"""Web shell: portal home, navigation per user kind, workbench, homes, elder mode,
language switch, friendly error pages with DEBUG off."""

import re

import pytest
from django.urls import reverse

from yiwang.web.context import ROOMS, rooms_for
from yiwang.web.middleware import COOKIE

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def _rooms_nav(html: str) -> str:
    m = re.search(r'<nav class="rooms".*?</nav>', html, re.S)
    return m.group(0) if m else ""


def test_home_for_anonymous_has_login_and_registration_and_only_resolving_rooms(client):
    html = _html(client.get("/"))
    assert reverse("web:login") in html
    assert reverse("core:register_citizen") in html
    assert reverse("core:register_enterprise") in html
    # Staff rooms are not offered to the public.
    assert reverse("core:inbox") not in _rooms_nav(html)
    # Every offered link resolves to a page that exists.
    for room in rooms_for(None):
        assert room["url"] in html
        assert client.get(room["url"]).status_code in (200, 302)


def test_staff_navigation_workbench_with_waiting_case(client, make_staff, citizen):
    from yiwang.core.actions.workflow import do_start_case

    clerk = make_staff("window_clerk", "410823", "big_data")
    case = do_start_case(
        actor=citizen,
        workflow_code="generic_approval",
        title="食品经营许可证核发",
        division="410823",
        department="410823-big_data",
        applicant=citizen,
    )
    client.force_login(clerk)
    html = _html(client.get(reverse("web:workbench")))
    assert 'id="waiting-count">1<' in html
    assert 'id="overdue-count">0<' in html
    assert reverse("core:case", args=[case.pk]) in html and "食品经营许可证核发" in html
    assert "窗口人员" in html
    nav = _rooms_nav(html)
    assert reverse("core:inbox") in nav and "我的待办" in nav
    # A window clerk has no audit permission: the audit room stays hidden.
    assert reverse("core:audit-search") not in nav
    # Shortcut to the inbox by role.
    assert html.count(reverse("core:inbox")) >= 2
    assert client.get(reverse("web:citizen")).status_code == 403


def test_auditor_sees_audit_room_and_sysadmin_admin_link(client, make_staff):
    auditor = make_staff("auditor")
    client.force_login(auditor)
    html = _html(client.get(reverse("web:workbench")))
    assert reverse("core:audit-search") in _rooms_nav(html)
    assert reverse("admin:index") not in html


def test_citizen_home_masks_identity_and_lists_own_cases(client, citizen, city):
    from yiwang.core.actions.workflow import do_start_case

    do_start_case(
        actor=citizen,
        workflow_code="generic_approval",
        title="居住证申领",
        division="410800",
        department="410800-big_data",
        applicant=citizen,
    )
    client.force_login(citizen)
    html = _html(client.get(reverse("web:citizen")))
    assert "个人中心" in html and "居住证申领" in html
    assert "1101**********002X" in html and "11010519491231002X" not in html
    assert "138****5678" in html
    assert reverse("core:inbox") not in _rooms_nav(html)
    assert client.get(reverse("web:workbench")).status_code == 403
    home = _html(client.get("/"))
    assert f'href="{reverse("web:citizen")}" id="own-space"' in home


def test_enterprise_home(client, enterprise_user):
    client.force_login(enterprise_user)
    html = _html(client.get(reverse("web:enterprise")))
    assert "焦作示例科技有限公司" in html and enterprise_user.credit_code in html
    assert client.get(reverse("web:citizen")).status_code == 403


def test_elder_toggle_sets_cookie_and_body_class(client):
    assert 'class="elder"' not in _html(client.get("/"))
    r = client.post(reverse("web:elder"), {"on": "1", "next": "/"})
    assert r.status_code == 302 and r["Location"] == "/"
    assert r.cookies[COOKIE].value == "1"
    html = _html(client.get("/"))
    assert 'class="elder"' in html and 'aria-pressed="true"' in html and "标准模式" in html
    client.post(reverse("web:elder"), {"on": "0"})
    assert 'class="elder"' not in _html(client.get("/"))
    # No open redirect.
    r = client.post(reverse("web:elder"), {"on": "1", "next": "https://evil.example/"})
    assert r["Location"] == "/"


def test_elder_toggle_post_with_odd_values_switches_off_and_goes_home(client):
    # A button with nothing typed: no form to re-render, so an odd post still returns.
    client.cookies[COOKIE] = "1"
    r = client.post(reverse("web:elder"), {"on": "yes", "next": ""})
    assert r.status_code == 302 and r["Location"] == "/"
    assert r.cookies[COOKIE].value == "0"
    r = client.post(reverse("web:elder"), {"on": "1", "next": "/licences/?q=1"})
    assert r["Location"] == "/licences/?q=1" and r.cookies[COOKIE].value == "1"


def test_language_switch_to_english(client):
    r = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert r.status_code == 302
    html = _html(client.get("/"))
    assert 'lang="en"' in html
    assert "Jiaozuo One Network" in html and "Sign in" in html
    assert "焦作一网</h1>" not in html


@pytest.mark.parametrize(
    ("path", "status", "zh", "en"),
    [
        ("/no-such-page/", 404, "页面不存在", "Page not found"),
        ("/test-forbidden/", 403, "无权访问", "Access denied"),
        ("/test-bad/", 400, "请求有误", "Bad request"),
        ("/test-boom/", 500, "系统繁忙", "Service unavailable"),
    ],
)
def test_friendly_error_pages_with_debug_off_in_both_languages(
    client, settings, path, status, zh, en
):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "yiwang.web.tests.raising_urls"
    client.raise_request_exception = False
    r = client.get(path)
    assert r.status_code == status
    assert zh in _html(r) and reverse("web:home") in _html(r)
    r = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == status
    assert en in _html(r) and zh not in _html(r)


def test_a_stale_form_gets_the_expired_page_in_the_shell(citizen):
    """A POST without a valid CSRF token: the site's own 403 page saying what to do, in
    both languages, with a way back to the page the form was on (same site only)."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen)
    r = browser.post(
        "/account/elder/", {"elder_mode": "on"}, HTTP_REFERER="http://testserver/account/"
    )
    assert r.status_code == 403
    html = _html(r)
    assert 'id="csrf-failure"' in html and "页面已过期" in html and "CSRF" not in html
    assert 'href="http://testserver/account/"' in html
    r = browser.post(
        "/account/elder/", {}, HTTP_ACCEPT_LANGUAGE="en", HTTP_REFERER="https://evil.example/"
    )
    assert "Page expired" in _html(r) and "evil.example" not in _html(r)


def test_room_table_names_are_unique():
    keys = [r.key for r in ROOMS]
    assert len(keys) == len(set(keys))


def test_500_page_survives_a_failing_shell(client, settings, monkeypatch):
    """When the shell's own context fails (say the database is down), a bare page remains."""
    settings.DEBUG = False
    settings.ROOT_URLCONF = "yiwang.web.tests.raising_urls"
    client.raise_request_exception = False

    def broken(request):
        raise RuntimeError("shell down")

    monkeypatch.setattr("yiwang.web.context.shell", broken)
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": [
                    *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                ],
            },
        }
    ]
    r = client.get("/test-boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 500
    assert "Service unavailable" in r.content.decode()
    assert 'lang="en"' in r.content.decode()
    assert "Skip to main content" not in r.content.decode()  # the bare page, not the shell


def test_every_shell_string_has_an_english_translation():
    from pathlib import Path

    from django.utils import translation

    from yiwang.core.roles import ROLES
    from yiwang.web import context

    root = Path(context.__file__).parent / "templates"
    pattern = re.compile(r'{% translate "([^"]+)" %}|{% translate \'([^\']+)\' %}')
    msgids = {a or b for t in root.rglob("*.html") for a, b in pattern.findall(t.read_text())}
    assert len(msgids) > 50
    with translation.override("zh-hans"):
        msgids |= {str(r.label) for r in ROLES.values()}
        msgids |= {str(r.label) for r in context.ROOMS} | {
            str(r.description) for r in context.ROOMS
        }
    with translation.override("en"):
        missing = [m for m in sorted(msgids) if translation.gettext(m) == m and m != "English"]
    assert missing == []
