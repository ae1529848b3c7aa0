"""Journeys through the demo city (演示城市) as ``yiwang demo`` seeds it, walked as its
citizens and staff would: every demo account and every demo case, item and licence.
The city is seeded once for the module and rolled back after."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings

from yiwang.core.management.commands.demo import seed_demo_city, use_served_base_url

# The port the demo is served on in these tests: not the default 8000.
DEMO_PORT = 8765


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo city, served (as far as its links know) on ``DEMO_PORT``."""
    import os

    from django.conf import settings

    from yiwang.core import keys

    media = tmp_path_factory.mktemp("demo-media")
    saved_base = settings.YIWANG.get("PUBLIC_BASE_URL")
    saved_env = os.environ.pop("YIWANG_PUBLIC_BASE_URL", None)
    with (
        django_db_blocker.unblock(),
        override_settings(
            YIWANG_KEY_DIR=tmp_path_factory.getbasetemp() / "keys",
            MEDIA_ROOT=media,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
    ):
        keys.keyring.cache_clear()
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            use_served_base_url("0.0.0.0", DEMO_PORT)
            yield seed_demo_city(people=200, enterprises=50)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            keys.keyring.cache_clear()
            settings.YIWANG["PUBLIC_BASE_URL"] = saved_base
            os.environ.pop("YIWANG_PUBLIC_BASE_URL", None)
            if saved_env is not None:
                os.environ["YIWANG_PUBLIC_BASE_URL"] = saved_env


@pytest.fixture
def demo(demo_city, db, settings):
    """The demo city inside one test's transaction."""
    settings.MEDIA_ROOT = settings.MEDIA_ROOT  # keep the module's media folder
    return demo_city


def login(client, username: str):
    from yiwang.core.models import User

    client.force_login(User.objects.get(username=username))
    return client


# --- QR codes and links point at the address served ---


def test_licence_links_use_the_served_address(demo, client):
    """Every demo licence's verification link (what its QR code carries), as the holder
    reads it through the API, names the address the demo serves on, not port 8000."""
    from yiwang.core.models import User

    served = f"http://127.0.0.1:{DEMO_PORT}/licences/verify/?"
    checked = 0
    for user in User.objects.filter(kind__in=("citizen", "enterprise")).order_by("pk")[:20]:
        login(client, user.username)
        for lic in client.get("/api/v1/licences/mine").json()["items"]:
            detail = client.get(f"/api/v1/licences/mine/{lic['id']}").json()
            assert detail["verify_url"].startswith(served), detail["verify_url"]
            checked += 1
    assert checked >= 5


# --- deadlines: a step never ends after the promised completion date ---


def _paths(definition) -> dict[str, list[str]]:
    """The shortest way (action codes) from the initial step to every open step."""
    paths = {definition.initial: []}
    todo = [definition.initial]
    while todo:
        state = todo.pop(0)
        for action in definition.actions_from(state):
            if action.to not in paths and action.to not in definition.finals:
                paths[action.to] = [*paths[state], action.code]
                todo.append(action.to)
    return paths


def test_step_deadlines_within_promised_date(demo, client):
    """For every published demo item, a case opened with the item's promised time limit
    (承诺办结时限) and walked into every step of its workflow has each step's deadline on
    or before the whole case's, as the API shows them."""
    from yiwang.core.actions.workflow import do_start_case, do_transition
    from yiwang.core.models import Workflow
    from yiwang.core.workflow import definition_of
    from yiwang.services.models import ServiceItem

    items = ServiceItem.objects.filter(
        level=ServiceItem.Level.HANDLING, status=ServiceItem.Status.PUBLISHED
    ).select_related("division", "department")
    kinds = {(i.workflow_code, i.promised_days): i for i in items}
    assert any(days is not None and days <= 1 for _code, days in kinds)
    login(client, "jiaozuo_bureau_admin")
    checked = 0
    for (code, days), item in sorted(kinds.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        wf = Workflow.objects.filter(code=code, active=True).order_by("-version").first()
        for state, path in _paths(definition_of(wf)).items():
            case = do_start_case(
                actor=None,
                workflow_code=code,
                title=item.name,
                division=item.division,
                department=item.department,
                case_time_limit_days=days,
            )
            for action in path:
                do_transition(actor=None, case=case, action_code=action, comment="演示")
            shown = client.get(f"/api/v1/inbox/{case.pk}").json()
            assert shown["state"] == state
            if shown["state_due"] and shown["case_due"]:
                assert shown["state_due"] <= shown["case_due"], (item.name, state, shown)
            checked += 1
    assert checked > len(kinds)


# --- a citizen sees only the applicant's view of their own case ---

# What only staff see on a case: the note box, upload of working papers, the assignee,
# 签收, and the warning about an estimated calendar.
STAFF_MARKS = (
    "添加备注",
    'value="comment"',
    'value="claim"',
    'value="release"',
    'id="case-assignee"',
    "承办人",
    "未签收",
    "estimated-warning",
)


def _case_links(html: str) -> set[str]:
    import re

    return set(re.findall(r'href="(/cases/\d+/)"', html))


def _assert_applicants_page(client, url: str) -> str:
    answer = client.get(url, follow=True)
    assert answer.status_code == 200, url
    html = answer.content.decode()
    for mark in STAFF_MARKS:
        assert mark not in html, (url, mark)
    return html


def test_citizens_see_only_the_applicants_view(demo, client):
    """Every demo case applied for by a citizen or enterprise, reached as its applicant
    by every route — 个人中心's 我的办件, a notification's link, the direct address and
    the API — shows the applicant's view: no notes, no working papers, no 承办人, no
    calendar warning; a staff note stays inside; another citizen gets 404."""
    from yiwang.core.actions.workflow import do_comment
    from yiwang.core.models import Case, User

    cases = list(
        Case.objects.filter(applicant__kind__in=("citizen", "enterprise")).select_related(
            "applicant"
        )
    )
    assert cases
    clerk = User.objects.get(username="jiaozuo_window_clerk")
    stranger = User.objects.filter(kind="citizen").exclude(pk__in=[c.applicant_id for c in cases])[
        0
    ]
    for case in cases:
        Case.objects.filter(pk=case.pk).update(calendar_estimated=True)
        if case.division_id == clerk.org_unit.division_id:
            do_comment(actor=clerk, case=case, comment="内部备注：请核对营业场所")
        applicant = case.applicant
        login(client, applicant.username)
        home = "/me/" if applicant.kind == "citizen" else "/enterprise/"
        links = _case_links(client.get(home).content.decode())
        assert f"/cases/{case.pk}/" in links
        for notice in applicant.notifications.filter(url__contains="/cases/"):
            _assert_applicants_page(client, notice.url)
        html = _assert_applicants_page(client, f"/cases/{case.pk}/")
        assert case.number in html and "内部备注" not in html
        assert "申请人" in html  # the history names the applicant, not staff
        detail = client.get(f"/api/v1/inbox/{case.pk}").json()
        assert detail["assignee"] is None and detail["calendar_estimated"] is False
        assert all("内部备注" not in e["comment"] for e in detail["events"])
        assert {e["actor"] for e in detail["events"]} <= {"申请人", case.department.name}
        refused = client.post(f"/cases/{case.pk}/", {"op": "comment", "comment": "催办"})
        assert refused.status_code == 403
        login(client, stranger.username)
        assert client.get(f"/cases/{case.pk}/").status_code == 404
        assert client.get(f"/api/v1/inbox/{case.pk}").status_code == 404


# --- no dead links for staff ---


def _links(html: str, pattern: str) -> set[str]:
    import re

    return set(re.findall(rf'href="({pattern})"', html))


def test_staff_see_no_dead_links(demo, client):
    """For every demo staff account: no 在线申请 link answers 403 (staff are offered the
    window's 一窗受理 instead), and every sample ticket a 12345 hotspot links to opens."""
    from yiwang.core.models import User
    from yiwang.services.models import ServiceItem

    items = list(
        ServiceItem.objects.filter(
            level=ServiceItem.Level.HANDLING, status=ServiceItem.Status.PUBLISHED, online=True
        ).values_list("code", flat=True)[:3]
    )
    assert items
    hotspot_links = 0
    for user in User.objects.filter(kind="staff", is_active=True).order_by("username"):
        client.force_login(user)
        pages = [f"/services/items/{code}/" for code in items] + ["/services/bundles/"]
        for page in pages:
            html = client.get(page).content.decode()
            for link in _links(html, r"/services/[^\"]*apply/"):
                assert client.get(link).status_code == 200, (user.username, link)
        answer = client.get("/hotline/hotspots/")
        if answer.status_code != 200:
            continue
        for link in _links(answer.content.decode(), r"/hotline/tickets/\d+/"):
            assert client.get(link).status_code == 200, (user.username, link)
            hotspot_links += 1
    assert hotspot_links
    citizen = User.objects.filter(kind="citizen").first()
    client.force_login(citizen)
    guide = client.get(f"/services/items/{items[0]}/").content.decode()
    assert 'id="apply-online"' in guide


# --- a renewal replaces the licence it renews ---


def test_residence_permit_endorsement_replaces_the_permit(demo, client):
    """居住证签注 by a demo citizen holding a valid 居住证: the renewed permit is issued
    and the old one is cancelled (注销) naming it — one valid 居住证, as the holder's
    licence wallet (API) shows."""
    import json

    from yiwang.core.models import User
    from yiwang.services.models import ServiceItem

    holder = User.objects.get(username="citizen001")
    login(client, holder.username)

    def permits():
        mine = client.get("/api/v1/licences/mine?page_size=200").json()["items"]
        return [lic for lic in mine if lic["type_slug"] == "residence_permit"]

    before = [p for p in permits() if p["status"] == "01"]
    assert len(before) == 1
    item = ServiceItem.objects.filter(
        name="居住证签注", status=ServiceItem.Status.PUBLISHED
    ).first()
    form = {
        "permit_number": before[0]["number"],
        "address": "焦作市解放区民主南路 1 号",
        "phone": "13800000001",
    }
    answer = client.post(
        "/api/v1/services/applications", {"item": item.code, "form_data": json.dumps(form)}
    )
    assert answer.status_code == 201, answer.content
    after = permits()
    valid = [p for p in after if p["status"] == "01"]
    assert len(valid) == 1 and valid[0]["id"] != before[0]["id"], after
    old = next(p for p in after if p["id"] == before[0]["id"])
    assert old["status"] == "04"
